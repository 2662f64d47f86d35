"""Restore a backup into an empty data directory or an empty PostgreSQL database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from milepost.backups.services import backup_restore
from milepost.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore the backup in PATH into an empty data directory (SQLite) or the empty database "
        "DATABASE_URL names, then check rows, evidence checksums and the audit trail."
    )
    # The target database is empty: nothing may touch it before the restore does.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the folder `milepost backup` wrote")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            backup = backup_restore(path=Path(path), actor=None)
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc
        except OSError as exc:
            raise CommandError(
                f"path: The restore could not finish ({exc.strerror or exc}); empty the data "
                f"directory (and database) and run it again."
            ) from exc
        rows = sum(backup.rows.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {backup.taken_at.day} {backup.taken_at:%b %Y %H:%M} UTC: "
                f"{rows:,} rows and "
                f"{backup.evidence_files:,} evidence file{'s' if backup.evidence_files != 1 else ''} "
                f"({filesizeformat(backup.evidence_bytes)}) match the manifest, and the audit "
                f"trail is intact ({backup.audit_events:,} events)."
            )
        )
