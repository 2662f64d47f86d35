from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "milepost.alerts"
    label = "alerts"
    verbose_name = "Alerts"
