"""Whether the worker's jobs have anything to do, asked of the database in one round trip.

Each job states its idle check as a boolean expression (``Exists`` over the very queryset it
claims from, or several combined); the job asks it alone when run by itself, and the tick asks
all of them in a single ``SELECT EXISTS(…), EXISTS(…), …`` so that an idle tick is one query.
"""

from collections.abc import Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Exists, ExpressionWrapper
from django.db.models.sql import Query


def due_now(checks: Mapping[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> dict[str, bool]:
    """Evaluate each named boolean expression (an ``Exists``, or ``Q`` objects combining them) in
    one SELECT without a table; return name → bool."""
    if not checks:
        return {}
    query = Query(None)
    names = list(checks)
    for i, name in enumerate(names):
        check = checks[name]
        if not isinstance(check, Exists):
            check = ExpressionWrapper(check, output_field=BooleanField())
        query.add_annotation(check, f"c{i}")
    sql, params = query.get_compiler(using).as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {name: bool(value) for name, value in zip(names, row, strict=True)}


def is_due(check: Any) -> bool:
    """One job's own idle check, alone."""
    return due_now({"due": check})["due"]
