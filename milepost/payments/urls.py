"""Payment forms posted from a milestone's page."""

from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("milestones/<int:pk>/invoice/", views.post_invoice, name="payment-invoice"),
    path("milestones/<int:pk>/paid/", views.post_paid, name="payment-paid"),
]
