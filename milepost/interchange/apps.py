from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "milepost.interchange"
    label = "interchange"
    verbose_name = "Imports, exports and templates"
