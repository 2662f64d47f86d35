from django.apps import AppConfig


class ExtractionConfig(AppConfig):
    name = "milepost.extraction"
    label = "extraction"
    verbose_name = "Reading the contract: proposals read from its documents, for review"
