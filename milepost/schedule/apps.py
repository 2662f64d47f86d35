from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _install_tallies(using: str = "default", **kwargs: Any) -> None:
    # Contract tallies are kept by triggers on the milestone table (tallies.py): create any a
    # migration dropped (SQLite drops them when it copies a table to alter it).
    from .tallies import tallies_install

    tallies_install(using=using)


def _drop_tallies(using: str = "default", **kwargs: Any) -> None:
    # On SQLite, a migration that alters a table copies and renames it, which a trigger reading
    # it from another table makes fail: drop them first; the handler after migrate puts them
    # back and recounts.
    from .tallies import tallies_drop_sqlite

    tallies_drop_sqlite(using=using)


class ScheduleConfig(AppConfig):
    name = "milepost.schedule"
    label = "schedule"

    def ready(self) -> None:
        pre_migrate.connect(_drop_tallies, sender=self, dispatch_uid="schedule-tallies-drop")
        post_migrate.connect(_install_tallies, sender=self, dispatch_uid="schedule-tallies")
