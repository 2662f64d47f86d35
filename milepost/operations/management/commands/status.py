"""Print a user's milestones that need attention: overdue, due soon, or at risk."""

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from milepost.accounts.models import User
from milepost.accounts.selectors import user_get_by_username
from milepost.alerts.selectors import worker_failures
from milepost.backups.selectors import backup_status_line
from milepost.contracts.selectors import contracts_for_user
from milepost.core.db.summary import database_lines
from milepost.schedule.choices import Health
from milepost.schedule.selectors import (
    ContractCounts,
    contract_counts_for_user,
    milestones_needing_attention,
)

STYLE = {
    Health.OVERDUE: "bold red",
    Health.AT_RISK: "yellow",
    Health.ON_TRACK: "green",
    Health.DONE: "dim",
}


class Command(BaseCommand):
    help = (
        "Show, per contract, the overdue, due-within-N-days and at-risk milestones a user can see."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user", help="username; without it, only the worker's failures are shown"
        )
        parser.add_argument(
            "--days", type=int, default=14, help="due-soon window in days (default 14)"
        )
        parser.add_argument(
            "--system",
            action="store_true",
            help="also show the database: the primary, its pool, and how far behind each replica is",
        )

    def handle(
        self, *args: Any, user: str | None, days: int, system: bool = False, **options: Any
    ) -> None:
        console = Console(file=cast("IO[str]", self.stdout), width=160)
        if system:
            for line in database_lines():
                console.print(line, markup=False, highlight=False, soft_wrap=True)
        if user is not None:
            person = user_get_by_username(username=user)
            if person is None:
                raise CommandError(f"No active user '{user}'.")
            self._user(console, person, days)
        self._worker(console)
        console.print(backup_status_line(), markup=False, highlight=False, soft_wrap=True)

    def _worker(self, console: Console) -> None:
        """What the worker could not do: units retrying or failed, and failed notifications."""
        failures, notifications = worker_failures()
        if not failures and not notifications:
            console.print("Worker: no failures.")
            return
        table = Table(title='Worker failures (see docs/alerts/README.md, "When the worker fails")')
        for column in ("What", "Id", "State", "Attempts", "Last failed", "Error"):
            table.add_column(column)
        for f in failures:
            table.add_row(
                f.get_unit_display(),
                str(f.object_id),
                f"[bold red]{f.state}[/]" if f.state == "failed" else f.state,
                str(f.attempts),
                f"{f.last_failed_at:%Y-%m-%d %H:%M}",
                escape(f.last_error[:120]),
            )
        for n in notifications:
            table.add_row(
                f"Notification ({n.channel})",
                str(n.pk),
                "[bold red]failed[/]",
                str(n.attempts),
                f"{n.send_after:%Y-%m-%d %H:%M}",
                escape(n.last_error[:120]),
            )
        console.print(table)

    def _user(self, console: Console, person: User, days: int) -> None:
        counts = contract_counts_for_user(user=person, due_within_days=days)
        rows = milestones_needing_attention(user=person, within_days=days)
        summary = Table(title=f"Contracts of {person} (due soon = within {days} days)")
        for column in ("Contract", "Overdue", "Due soon", "At risk", "Milestones"):
            summary.add_column(column, justify="left" if column == "Contract" else "right")
        for contract in contracts_for_user(user=person).order_by("reference"):
            c = counts.get(contract.pk, ContractCounts())
            summary.add_row(
                f"{contract.reference} {contract.title}",
                str(c.overdue),
                str(c.due_soon),
                str(c.at_risk),
                str(c.total),
            )
        console.print(summary)
        detail = Table(title="Milestones needing attention")
        for column in ("Contract", "Milestone", "Kind", "Owner", "Due", "Status", "Health"):
            detail.add_column(column)
        for m in rows:
            health = Health(m.health)  # type: ignore[attr-defined]  # annotated by the selector
            detail.add_row(
                m.contract.reference,
                m.title,
                m.kind,
                str(m.owner),
                f"{m.due_date:%d %b %Y}",
                m.get_status_display(),
                f"[{STYLE[health]}]{health.label}[/]",
            )
        if rows:
            console.print(detail)
        else:
            console.print("Nothing is overdue, due soon or at risk.")
