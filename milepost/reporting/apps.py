from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "milepost.reporting"
    label = "reporting"
