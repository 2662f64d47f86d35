"""Reads of the backup record."""

from __future__ import annotations

import datetime as dt

from .models import Backup


def backup_latest() -> Backup | None:
    """Return the newest backup taken of (or restored into) this installation, if any."""
    return Backup.objects.order_by("-taken_at", "-id").first()


def _when(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    return f"{moment.day} {moment:%b %Y %H:%M} UTC"


def backup_status_line() -> str:
    """Say in one sentence when this installation was last backed up, or restored, and where."""
    backup = backup_latest()
    if backup is None:
        return "Backups: none taken yet; run `milepost backup PATH`."
    files = f"{backup.evidence_files:,} evidence file{'s' if backup.evidence_files != 1 else ''}"
    if backup.restored_at is not None:
        return (
            f"Backups: restored on {_when(backup.restored_at)} from the backup of "
            f"{_when(backup.taken_at)} at {backup.path} ({files})."
        )
    return (
        f"Backups: the last was taken on {_when(backup.taken_at)} to {backup.path} "
        f"({backup.audit_events:,} audit events, {files})."
    )
