from django.apps import AppConfig


class ExtractionConfig(AppConfig):
    name = "milepost.extraction"
    label = "extraction"
    verbose_name = "Reading the contract: proposals read from its documents, for review"

    def ready(self) -> None:
        # How the review's events read: registered with the audit sentences when Django starts.
        from . import sentences as _sentences  # noqa: F401
