from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "milepost.communications"
    label = "communications"
    verbose_name = "The contract's clock: formal communications, reply periods, deemed outcomes"
