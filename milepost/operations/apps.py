from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running a Milepost: start it, fill it with demo data, report its health."""

    name = "milepost.operations"
    label = "operations"
