from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _install_cash_months(using: str = "default", **kwargs: Any) -> None:
    # The dashboard's cash flow reads months kept by triggers (cash_months.py): create any a
    # migration dropped (SQLite drops them when it copies a table to alter it).
    from .cash_months import cash_months_install

    cash_months_install(using=using)


def _drop_cash_months(using: str = "default", **kwargs: Any) -> None:
    # On SQLite, a migration that alters a table copies and renames it, which a trigger reading
    # it from another table makes fail: drop them first; the handler after migrate puts them
    # back and recounts.
    from .cash_months import cash_months_drop_sqlite

    cash_months_drop_sqlite(using=using)


class ReportingConfig(AppConfig):
    name = "milepost.reporting"
    label = "reporting"

    def ready(self) -> None:
        pre_migrate.connect(_drop_cash_months, sender=self, dispatch_uid="reporting-cash-drop")
        post_migrate.connect(_install_cash_months, sender=self, dispatch_uid="reporting-cash")
