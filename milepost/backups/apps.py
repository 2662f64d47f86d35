from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "milepost.backups"
    label = "backups"
    verbose_name = "Backups"
