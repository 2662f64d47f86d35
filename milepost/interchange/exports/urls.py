"""Pages of this area; included by ``milepost.interchange.urls``."""

from django.urls import URLPattern, path

from . import views

# ``fmt`` is "csv" or "xlsx"; any other answers 404.
urlpatterns: list[URLPattern] = [
    path("milestones/export.<str:fmt>", views.milestone_list_export, name="exports-milestones"),
    path(
        "contracts/<int:pk>/milestones.<str:fmt>",
        views.contract_milestones_export,
        name="exports-contract-milestones",
    ),
    path(
        "contracts/<int:pk>/payments.<str:fmt>",
        views.contract_payments_export,
        name="exports-contract-payments",
    ),
    path(
        "contracts/<int:pk>/change-requests.<str:fmt>",
        views.contract_change_requests_export,
        name="exports-contract-change-requests",
    ),
    path(
        "contracts/<int:pk>/history.<str:fmt>",
        views.contract_history_export,
        name="exports-contract-history",
    ),
    path(
        "contracts/<int:pk>/cash-flow.<str:fmt>",
        views.contract_cash_flow_export,
        name="exports-contract-cash-flow",
    ),
    path("cash-flow/export.<str:fmt>", views.cash_flow_export, name="exports-cash-flow"),
]
