"""Pages of this area; included by ``milepost.interchange.urls``."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contract-templates/", views.template_list, name="templates-list"),
    path("contract-templates/<str:key>/", views.template_detail, name="templates-detail"),
    path(
        "contract-templates/<str:key>/new-contract/",
        views.template_new_contract,
        name="templates-new-contract",
    ),
    path("contract-templates/<int:pk>/change/", views.template_change, name="templates-change"),
    path("contract-templates/<int:pk>/delete/", views.template_delete, name="templates-delete"),
    path("contracts/<int:pk>/save-as-template/", views.template_save, name="templates-save"),
]
