"""Take a backup of the installation, or restore one into an empty installation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from milepost.accounts.models import User
from milepost.audit.selectors import chain_verify
from milepost.audit.services import event_record
from milepost.core.errors import DomainError

from . import archive
from .events import BackupEvent
from .models import Backup


@transaction.atomic
def _record(
    *,
    manifest: dict[str, Any],
    path: Path,
    restored_at: dt.datetime | None,
    action: BackupEvent,
    actor: User | None,
) -> Backup:
    evidence = manifest["evidence"]
    backup = Backup.objects.create(
        taken_at=dt.datetime.fromisoformat(manifest["created_at"]),
        path=str(path.expanduser().absolute()),
        vendor=manifest["database"]["vendor"],
        milepost_version=manifest["milepost_version"],
        audit_head=manifest["audit"]["head"],
        audit_events=manifest["audit"]["events"],
        rows=manifest["rows"],
        evidence_files=evidence["count"],
        evidence_bytes=evidence["bytes"],
        restored_at=restored_at,
    )
    event_record(
        actor=actor,
        action=action,
        obj=backup,
        after={
            "path": backup.path,
            "taken_at": backup.taken_at,
            "vendor": backup.vendor,
            "audit_events": backup.audit_events,
            "audit_head": backup.audit_head,
            "evidence_files": backup.evidence_files,
            "evidence_problems": len(evidence["problems"]),
        },
    )
    return backup


def backup_take(*, path: Path, actor: User | None) -> tuple[Backup, list[str]]:
    """Back up the database and evidence files into the new folder ``path`` while others write.

    Return the record and the evidence files that were missing or changed (copied as found).
    """
    manifest = archive.backup_write(path)
    backup = _record(
        manifest=manifest, path=path, restored_at=None, action=BackupEvent.BACKUP_TAKEN, actor=actor
    )
    return backup, list(manifest["evidence"]["problems"])


def backup_restore(*, path: Path, actor: User | None) -> Backup:
    """Restore the backup at ``path`` into this empty installation and check it against its manifest.

    The restore is recorded (an event after the restored trail's last one) only when the
    database rows, the audit trail and every evidence file match the manifest.
    """
    restored = archive.restore_from(path)
    report = chain_verify()
    if not report.intact:
        restored.problems.append(
            f"The restored audit trail is broken at event {report.first_broken_id}."
        )
    if restored.problems:
        raise DomainError(
            "restore_mismatch",
            "The backup was restored but does not match its manifest:\n- "
            + "\n- ".join(restored.problems),
            field="path",
        )
    return _record(
        manifest=restored.manifest,
        path=path,
        restored_at=timezone.now(),
        action=BackupEvent.BACKUP_RESTORED,
        actor=actor,
    )
