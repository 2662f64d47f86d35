"""Back up the database and evidence files into a new folder while Milepost keeps running."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from milepost.backups.services import backup_take
from milepost.core.errors import DomainError

VENDORS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database, the evidence files and a manifest into PATH "
        "(a new or empty folder); the server and workers may keep running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a new or empty folder for the backup")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            backup, problems = backup_take(path=Path(path), actor=None)
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc
        except OSError as exc:
            raise CommandError(
                f"path: The backup could not be written ({exc.strerror or exc}); "
                f"nothing was kept at {path}."
            ) from exc
        rows = sum(backup.rows.values())
        self.stdout.write(
            f"Backed up the {VENDORS[backup.vendor]} database ({rows:,} rows, "
            f"{backup.audit_events:,} audit events) and {backup.evidence_files:,} evidence "
            f"file{'s' if backup.evidence_files != 1 else ''} "
            f"({filesizeformat(backup.evidence_bytes)}) to {backup.path}."
        )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"The backup is written, but {len(problems)} evidence "
                f"file{'s were' if len(problems) != 1 else ' was'} missing or changed (above)."
            )
