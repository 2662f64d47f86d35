from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_cash_months(using: str = "default", **kwargs: Any) -> None:
    # The dashboard's cash flow reads months kept by triggers (cash_months.py): create any a
    # migration dropped (SQLite drops them when it copies a table to alter it).
    from .cash_months import cash_months_install

    cash_months_install(using=using)


class ReportingConfig(AppConfig):
    name = "milepost.reporting"
    label = "reporting"

    def ready(self) -> None:
        post_migrate.connect(_install_cash_months, sender=self, dispatch_uid="reporting-cash")
