from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "milepost.audit"
    label = "audit"

    def ready(self) -> None:
        # Every app declares the event types it records in its own events.py; load them all
        # so that event_record knows every declared type, whichever app is imported first.
        autodiscover_modules("events")
