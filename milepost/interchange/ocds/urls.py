"""Pages of this area; included by ``milepost.interchange.urls``."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/ocds.json", views.ocds_export, name="ocds-export"),
    path("imports/ocds/", views.ocds_upload, name="ocds-import"),
    path("imports/ocds/<int:pk>/", views.ocds_import_preview, name="ocds-import-preview"),
    path("imports/ocds/<int:pk>/discard", views.ocds_import_discard, name="ocds-import-discard"),
]
