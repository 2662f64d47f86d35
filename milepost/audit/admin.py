from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, even for operators."""

    list_display = [
        "occurred_at",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "contract_id",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "action"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
