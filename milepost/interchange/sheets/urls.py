"""Pages of this area; included by ``milepost.interchange.urls``."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path(
        "contracts/<int:pk>/import/milestones/",
        views.milestone_upload,
        name="sheets-milestones-upload",
    ),
    path("imports/contracts/", views.contract_upload, name="sheets-contracts-upload"),
    path("imports/sheets/<int:pk>/", views.preview, name="sheets-preview"),
    path("imports/sheets/<int:pk>/apply/", views.apply, name="sheets-apply"),
    path("imports/sheets/<int:pk>/discard/", views.discard, name="sheets-discard"),
    path(
        "imports/templates/<str:which>.<str:fmt>",
        views.template_download,
        name="sheets-template",
    ),
]
