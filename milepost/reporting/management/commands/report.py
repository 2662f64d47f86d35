"""Draw (or issue) a stakeholder report and write it as a PDF or HTML file."""

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.core.errors import DomainError
from milepost.reporting.choices import ReportType
from milepost.reporting.reports.issue import report_draw, report_issue, report_request
from milepost.reporting.reports.render import report_pdf


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date such as 2026-12-06.") from exc


class Command(BaseCommand):
    help = (
        "Write a report as a PDF (--pdf) or HTML (--html): contract_status, look_ahead, "
        "payment or communications for --contract REF, or portfolio --as USER. --issue also "
        "keeps it on the contract as an issued report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("type", choices=ReportType.values)
        parser.add_argument("--contract", help="the contract's reference")
        parser.add_argument("--from", dest="start", type=_day, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=_day, help="last day (YYYY-MM-DD)")
        parser.add_argument("--weeks", type=int, default=2, help="a look-ahead's weeks: 2 or 4")
        parser.add_argument("--audience", default="", help="who the report is for")
        parser.add_argument(
            "--as",
            dest="username",
            help="whose view of the data (default: a manager of the contract's owner)",
        )
        parser.add_argument("--pdf", type=Path, help="write the PDF here")
        parser.add_argument("--html", type=Path, help="write the HTML document here")
        parser.add_argument("--issue", action="store_true", help="issue it as a snapshot too")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["pdf"] and not options["html"]:
            raise CommandError("Say where to write the report: --pdf FILE or --html FILE.")
        contract = None
        if options["contract"]:
            contract = Contract.objects.filter(reference=options["contract"]).first()
            if contract is None:
                raise CommandError(f"No contract {options['contract']}.")
        user = self._reader(options["username"], contract)
        try:
            wanted = report_request(
                user=user,
                report_type=options["type"],
                contract_id=contract.pk if contract else None,
                start=options["start"],
                end=options["end"],
                weeks=options["weeks"],
                audience=options["audience"],
            )
            if options["issue"]:
                issued = report_issue(request=wanted, actor=user, reader=user)
                html, pdf = issued.html, bytes(issued.pdf)
            else:
                html = report_draw(user=user, request=wanted)[1]
                pdf = report_pdf(html) if options["pdf"] else b""
        except DomainError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from exc
        if options["pdf"]:
            options["pdf"].write_bytes(pdf)
            self.stdout.write(f"Wrote {options['pdf']} ({len(pdf):,} bytes).")
        if options["html"]:
            options["html"].write_text(html)
            self.stdout.write(f"Wrote {options['html']}.")

    def _reader(self, username: str | None, contract: Contract | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username}.")
            return user
        if contract is None:
            raise CommandError("A portfolio is someone's: say whose with --as USER.")
        manager = (
            User.objects.filter(
                is_active=True,
                memberships__organisation=contract.owner,
                memberships__role__in=[Role.ADMIN, Role.MANAGER],
            )
            .order_by("id")
            .first()
        )
        if manager is None:
            raise CommandError(
                "Nobody manages the contract's owner: say whose view with --as USER."
            )
        return manager
