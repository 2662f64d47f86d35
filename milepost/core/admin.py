"""The base of every read-only admin page.

Operators see every domain row in the Django admin, read-only: changes go through the services
(web pages, CLI), so that every one is validated and leaves an audit event. Each app registers
its own models in its ``admin.py``; only users, organisations and memberships are edited there.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
