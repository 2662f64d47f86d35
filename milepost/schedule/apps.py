from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_tallies(using: str = "default", **kwargs: Any) -> None:
    # Contract tallies are kept by triggers on the milestone table (tallies.py): create any a
    # migration dropped (SQLite drops them when it copies a table to alter it).
    from .tallies import tallies_install

    tallies_install(using=using)


class ScheduleConfig(AppConfig):
    name = "milepost.schedule"
    label = "schedule"

    def ready(self) -> None:
        post_migrate.connect(_install_tallies, sender=self, dispatch_uid="schedule-tallies")
