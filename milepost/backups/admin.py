from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Backup


@admin.register(Backup)
class BackupAdmin(admin.ModelAdmin):
    """Read-only: backups are taken and restored with `milepost backup` and `milepost restore`."""

    list_display = [
        "taken_at",
        "path",
        "vendor",
        "audit_events",
        "evidence_files",
        "evidence_bytes",
        "restored_at",
    ]
    list_filter = ["vendor"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
