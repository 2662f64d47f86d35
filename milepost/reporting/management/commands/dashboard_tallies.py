"""Recount what the dashboard reads precomputed: each contract's milestone tallies and its
payments planned and paid by month."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from milepost.contracts.models import Contract
from milepost.reporting.cash_months import (
    cash_months_install,
    cash_months_rebuild,
    cash_months_recount,
    cash_months_stored,
)
from milepost.schedule.tallies import (
    tallies_install,
    tallies_rebuild,
    tallies_recount,
    tallies_stored,
)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class Command(BaseCommand):
    help = (
        "Recount what the dashboard reads precomputed, from the rows themselves: each "
        "contract's milestone tallies and its payments planned and paid by month, and put back "
        "any of the triggers that keep them that is missing. The database keeps them as things "
        "change; this is for a repair. With --check, only list the contracts whose figures are "
        "wrong (exit status 1 if any)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="only compare; write nothing")

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        if check:
            self._check()
            return
        if tallies_install() | cash_months_install():
            self.stdout.write(
                "Some triggers were missing: they are back, and everything is recounted."
            )
            return
        tallies, months = tallies_rebuild(), cash_months_rebuild()
        if tallies:
            self.stdout.write(
                f"The tallies of {_plural(tallies, 'contract were', 'contracts were')} wrong "
                "and are now recounted."
            )
        if months:
            self.stdout.write(
                f"{_plural(months, 'month', 'months')} of cash flow "
                f"{'was' if months == 1 else 'were'} wrong and {'is' if months == 1 else 'are'} "
                "now added up again."
            )
        if not tallies and not months:
            self.stdout.write("Every figure matched its rows; recounted anyway.")

    def _check(self) -> None:
        counted, stored = tallies_recount(), tallies_stored()
        wrong = {pk for pk in counted.keys() | stored.keys() if counted.get(pk) != stored.get(pk)}
        months, kept = cash_months_recount(), cash_months_stored()
        wrong_money = {
            key[0] for key in months.keys() | kept.keys() if months.get(key) != kept.get(key)
        }
        if not wrong and not wrong_money:
            self.stdout.write("Every contract's tallies match its milestones and payments.")
            return
        names = dict(
            Contract.objects.filter(pk__in=wrong | wrong_money).values_list("pk", "reference")
        )
        for pk in sorted(wrong | wrong_money):
            what = " and ".join(
                part
                for part, bad in (
                    ("milestone tallies", pk in wrong),
                    ("cash flow", pk in wrong_money),
                )
                if bad
            )
            self.stdout.write(f"{names.get(pk, pk)}: its {what} do not match its rows.")
        self.stdout.write(
            f"{_plural(len(wrong | wrong_money), 'contract', 'contracts')} to recount: run "
            "milepost dashboard_tallies."
        )
        sys.exit(1)
