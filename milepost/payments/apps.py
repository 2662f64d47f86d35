from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "milepost.payments"
    label = "payments"
