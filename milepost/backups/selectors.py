"""Reads of the backup record."""

from __future__ import annotations

from .models import Backup


def backup_latest() -> Backup | None:
    """Return the newest backup taken of (or restored into) this installation, if any."""
    return Backup.objects.order_by("-taken_at", "-id").first()
