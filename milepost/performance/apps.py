from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "milepost.performance"
    label = "performance"
