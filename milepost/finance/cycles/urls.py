"""Pages for a contract's money: its terms and cycles, and each cycle with its notices."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/money/", views.money, name="money"),
    path("contracts/<int:pk>/money/terms/", views.post_terms, name="money-terms"),
    path("contracts/<int:pk>/money/apply/", views.post_apply, name="cycle-apply"),
    path("payment-cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("payment-cycles/<int:pk>/payment-notice/", views.post_notice, name="cycle-notice"),
    path("payment-cycles/<int:pk>/default-notice/", views.post_default, name="cycle-default"),
    path("payment-cycles/<int:pk>/pay-less/", views.post_pay_less, name="cycle-pay-less"),
    path("payment-cycles/<int:pk>/receipts/", views.post_receipt, name="cycle-receipt"),
    path(
        "payment-cycles/<int:pk>/suspension-notice/",
        views.post_suspension,
        name="cycle-suspension",
    ),
]
