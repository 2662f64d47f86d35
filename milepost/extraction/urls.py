"""A contract's documents, a document's review page and file, and the review's actions."""

from django.urls import path

from . import views

app_name = "extraction"
urlpatterns = [
    path("contracts/<int:pk>/documents/", views.documents, name="documents"),
    path("documents/<int:pk>/", views.document_review, name="document-review"),
    path("documents/<int:pk>/file", views.document_file, name="document-file"),
    path("documents/<int:pk>/apply/", views.document_apply, name="document-apply"),
    path("proposals/<int:pk>/edit/", views.proposal_edit_page, name="proposal-edit"),
    path("proposals/<int:pk>/<slug:decision>/", views.proposal_decision, name="proposal-decide"),
]
