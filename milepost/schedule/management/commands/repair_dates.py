"""List, and with --apply repair, dates out of range that older rows may hold."""

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.table import Table

from milepost.core.dates import DATE_MAX, DATE_MIN, MILESTONE_MARGIN_YEARS
from milepost.schedule.repair import dates_out_of_range, dates_repair


class Command(BaseCommand):
    help = (
        f"List contracts and milestones with a date out of range (a contract's outside "
        f"{DATE_MIN}..{DATE_MAX}, a milestone's outside its contract's term with "
        f"{MILESTONE_MARGIN_YEARS} years either side). With --apply, move each to the nearest "
        "valid date, one audit event per row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="repair the rows listed (default: only list)"
        )
        parser.add_argument(
            "--cancel",
            action="store_true",
            help=(
                "also cancel each open milestone of an active contract whose due date was "
                "out of range"
            ),
        )

    def handle(self, *args: Any, apply: bool, cancel: bool, **options: Any) -> None:
        console = Console(file=cast("IO[str]", self.stdout), width=160)
        findings = dates_repair(cancel=cancel) if apply else dates_out_of_range(cancel=cancel)
        if not findings:
            console.print("No dates out of range.")
            return
        table = Table(title="Repaired" if apply else "Dates out of range (run with --apply)")
        for column in ("What", "Id", "Contract", "Title", "Status", "Repair"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.kind, str(f.id), f.contract, f.title, f.status, f.describe())
        console.print(table)
        if apply:
            # The worker clears a unit's recorded failure when it next goes through it.
            console.print(f"{len(findings)} row{'s' if len(findings) != 1 else ''} repaired.")
        else:
            console.print(f"{len(findings)} row{'s' if len(findings) != 1 else ''} to repair.")
