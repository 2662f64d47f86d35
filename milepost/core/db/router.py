"""The database router: heavy reads to a replica, everything else to the primary."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from . import health
from .routing import current, in_transaction, replica_aliases


class ReplicaRouter:
    """Send a marked request's reads to a healthy replica, and every other query to the primary.

    A read goes to a replica only when all hold: replicas are configured; the request's view
    is a heavy read and its person has not written in the last few seconds (the middleware
    says so); the request has not written yet; the read is not inside a transaction; and a
    replica is answering and close enough behind. Without replicas the router answers None
    everywhere, which leaves Django's own choice (the one database) untouched.
    """

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_aliases():
            return None
        state = current()
        if state is None or not state.replica_reads or state.wrote or in_transaction():
            return DEFAULT_DB_ALIAS
        if state.alias is None:
            state.alias = health.pick() or DEFAULT_DB_ALIAS
        return state.alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_aliases():
            return None
        state = current()
        if state is not None:
            # From now on this request reads what it wrote: from the primary.
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # A row read from a replica is the primary's row: relate it freely.
        return True if replica_aliases() else None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        # A replica copies the primary's schema; nothing migrates it directly.
        if db in replica_aliases():
            return False
        return None
