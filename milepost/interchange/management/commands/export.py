"""Export a list as CSV or XLSX: the milestone list (filtered) or one of a contract's lists."""

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.accounts.models import User
from milepost.contracts.selectors import contracts_for_user
from milepost.interchange.exports.tables import (
    CONTRACT_TABLES,
    contract_table,
    milestone_list_table,
)
from milepost.interchange.exports.writers import WRITERS
from milepost.reporting.selectors.milestones import MilestoneFilters
from milepost.schedule.choices import ChangeStatus, MilestoneKind, MilestoneStatus


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date such as 2026-12-06.") from exc


class Command(BaseCommand):
    help = (
        "Write a list as CSV or XLSX, as USER sees it: the milestone list (with filters) or a "
        "contract's milestones (the import sheet's columns), payments, change-requests or "
        "history. The format follows the file's extension, or --format."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list", choices=["milestone-list", *CONTRACT_TABLES])
        parser.add_argument("--as", dest="username", required=True, help="whose view of the data")
        parser.add_argument("--contract", help="the contract's reference or number")
        parser.add_argument("--output", "-o", default="-", help="the file (default: stdout)")
        parser.add_argument("--format", choices=sorted(WRITERS), help="csv or xlsx")
        parser.add_argument("--kind", choices=MilestoneKind.values)
        parser.add_argument("--status", help="a milestone's (or a change request's) status")
        parser.add_argument("--owner", help="a username, or me")
        parser.add_argument("--due-from", type=_day, help="first due date (YYYY-MM-DD)")
        parser.add_argument("--due-to", type=_day, help="last due date (YYYY-MM-DD)")
        parser.add_argument("--q", default="", help="title contains")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']}.")
        output: str = options["output"]
        fmt = options["format"] or (Path(output).suffix.lstrip(".").lower() or "csv")
        if fmt not in WRITERS:
            raise CommandError(f"Say csv or xlsx with --format; “{fmt}” is neither.")
        if fmt == "xlsx" and output == "-" and sys.stdout.isatty():
            raise CommandError("An XLSX file is binary: give it a file name with --output.")
        status = options["status"] or ""
        if options["list"] == "milestone-list":
            if status and status not in MilestoneStatus.values:
                raise CommandError(f"“{status}” is not a milestone status.")
            contract = self._contract(user, options["contract"]) if options["contract"] else None
            filters = MilestoneFilters(
                contract=contract.pk if contract else None,
                kind=options["kind"],
                status=status or None,
                owner=options["owner"],
                due_from=options["due_from"],
                due_to=options["due_to"],
                q=options["q"],
            )
            table = milestone_list_table(user=user, filters=filters)
        else:
            if not options["contract"]:
                raise CommandError("Say which contract with --contract REF.")
            if status and status not in ChangeStatus.values:
                raise CommandError(f"“{status}” is not a change request status.")
            contract = self._contract(user, options["contract"])
            table = contract_table(
                name=options["list"], contract=contract, user=user, status=status
            )
        writer, _ = WRITERS[fmt]
        if output == "-":
            for chunk in writer(table):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        written = 0
        with open(output, "wb") as file:
            for chunk in writer(table):
                written += file.write(chunk)
        self.stderr.write(f"Wrote {output} ({written:,} bytes).")

    def _contract(self, user: User, wanted: str) -> Any:
        visible = contracts_for_user(user=user)
        found = visible.filter(reference=wanted).order_by("id").first()
        if found is None and wanted.isdigit():
            found = visible.filter(pk=int(wanted)).first()
        if found is None:
            raise CommandError(f"{user.username} can see no contract {wanted}.")
        return found
