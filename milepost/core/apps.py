from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "milepost.core"
    label = "core"
