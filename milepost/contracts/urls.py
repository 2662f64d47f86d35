"""Contract pages that change a contract: creating one, its status and its parties."""

from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("contracts/new/", views.contract_new, name="contract-new"),
    path("contracts/holiday-regions/", views.holiday_regions, name="holiday-regions"),
    path("contracts/<int:pk>/status/", views.contract_status, name="contract-status"),
    path("contracts/<int:pk>/parties/", views.party_new, name="party-new"),
    path(
        "contracts/<int:pk>/parties/<int:party_id>/remove/",
        views.party_delete,
        name="party-remove",
    ),
]
