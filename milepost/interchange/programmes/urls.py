"""Pages of this area; included by ``milepost.interchange.urls``."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path(
        "contracts/<int:pk>/import/programme/",
        views.programme_upload,
        name="programmes-upload",
    ),
    path(
        "imports/programmes/<int:pk>/",
        views.programme_preview_page,
        name="programmes-preview",
    ),
]
