"""The cash-flow pages; assembled in ``milepost.finance.urls`` (namespace ``finance``)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/cash-flow/", views.contract_cash_flow, name="cash-flow"),
    path("cash-flow/", views.portfolio_cash_flow, name="portfolio-cash-flow"),
]
