"""Recount each contract's milestone tallies (what the dashboard counts) from its milestones."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from milepost.contracts.models import Contract
from milepost.schedule.tallies import (
    tallies_install,
    tallies_rebuild,
    tallies_recount,
    tallies_stored,
)


class Command(BaseCommand):
    help = (
        "Recount each contract's milestone tallies, which the dashboard reads, from the "
        "milestones themselves, and put back any tally trigger that is missing. The database "
        "keeps them as milestones change; this is for a restore or a repair. With --check, only "
        "list the contracts whose tallies are wrong (exit status 1 if any)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="only compare, and write nothing")

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        if check:
            counted, stored = tallies_recount(), tallies_stored()
            wrong = sorted(
                pk for pk in counted.keys() | stored.keys() if counted.get(pk) != stored.get(pk)
            )
            if not wrong:
                self.stdout.write("Every contract's tallies match its milestones.")
                return
            names = dict(Contract.objects.filter(pk__in=wrong).values_list("pk", "reference"))
            for pk in wrong:
                self.stdout.write(f"{names.get(pk, pk)}: the tallies do not match its milestones.")
            self.stdout.write(
                f"{len(wrong)} contract{'s' if len(wrong) != 1 else ''} to recount: run "
                "milepost contract_tallies."
            )
            sys.exit(1)
        installed = tallies_install()
        wrong = 0 if installed else tallies_rebuild()
        if installed:
            self.stdout.write(
                "The tally triggers were missing: they are back, and every tally is recounted."
            )
        elif wrong:
            self.stdout.write(
                f"{wrong} contract's tallies were wrong and are now recounted."
                if wrong == 1
                else f"{wrong} contracts' tallies were wrong and are now recounted."
            )
        else:
            self.stdout.write("Every contract's tallies matched its milestones; recounted anyway.")
