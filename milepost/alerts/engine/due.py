"""Whether the worker's jobs have anything to do, asked of the database in one round trip.

Each job states its idle check as a boolean expression (``Exists`` over the very queryset it
claims from, or several combined); the job asks it alone when run by itself, and the tick asks
all of them in a single ``SELECT EXISTS(…), EXISTS(…), …`` so that an idle tick is one query.

The tick asks every few seconds, forever, and building and compiling the checks through the ORM
cost more than the database's answer (about 3 ms of the 5 ms an idle tick may take). So a check
given as a function of the time is compiled once: the function is built at two probe times,
and when the two SQL texts are the same and the parameters differ only where the time itself
goes, that SQL is kept and later ticks put their own time in those places. A check that uses
anything derived from the time (a local day, a weekday, a time an hour earlier) fails that
test and is built and compiled on every tick, as before.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Exists, ExpressionWrapper
from django.db.models.sql import Query

Check = Any  # an Exists, or Q objects combining Exists
CheckAt = Callable[[dt.datetime], Check]

# Two times that share no part (year, month, day, hour, minute, second, microsecond, weekday),
# so that a parameter derived from the time differs from the time in one of them at least.
_PROBES = (
    dt.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC),  # a Saturday
    dt.datetime(2012, 11, 28, 19, 42, 51, 123456, tzinfo=dt.UTC),  # a Wednesday
)


class _Template(NamedTuple):
    sql: str
    params: tuple[Any, ...]
    slots: frozenset[int]  # the positions in params that hold the time


# (database alias, check function) → its compiled template, or None when it cannot be kept.
_templates: dict[tuple[str, CheckAt], _Template | None] = {}


def _compiled(check: Check, using: str) -> tuple[str, tuple[Any, ...]]:
    """One check as ``SELECT <boolean>``: its SQL and parameters."""
    if not isinstance(check, Exists):
        check = ExpressionWrapper(check, output_field=BooleanField())
    query = Query(None)
    query.add_annotation(check, "due")
    sql, params = query.get_compiler(using).as_sql()
    return sql, tuple(params)


def _expression(sql: str, using: str) -> str:
    """``SELECT <boolean> AS due`` → ``<boolean>``, to be one column of the tick's SELECT."""
    head, tail = "SELECT ", f" AS {connections[using].ops.quote_name('due')}"
    if sql.startswith(head) and sql.endswith(tail):
        return sql[len(head) : -len(tail)]
    return f"({sql})"


def _template(at: CheckAt, using: str) -> _Template | None:
    """The check's SQL with the time's places marked, if the time is all that changes in it."""
    adapt = connections[using].ops.adapt_datetimefield_value
    (sql, params), (other_sql, other_params) = (_compiled(at(t), using) for t in _PROBES)
    if sql != other_sql or len(params) != len(other_params):
        return None
    times = [adapt(t) for t in _PROBES]
    slots = set()
    for i, (a, b) in enumerate(zip(params, other_params, strict=True)):
        if a == b:
            continue
        if [a, b] != times:
            return None  # something derived from the time: build it every tick
        slots.add(i)
    return _Template(sql, params, frozenset(slots))


def _sql_at(at: CheckAt, now: dt.datetime, using: str) -> tuple[str, tuple[Any, ...]]:
    key = (using, at)
    if key not in _templates:
        _templates[key] = _template(at, using)
    template = _templates[key]
    if template is None:
        return _compiled(at(now), using)
    value = connections[using].ops.adapt_datetimefield_value(now)
    return template.sql, tuple(
        value if i in template.slots else p for i, p in enumerate(template.params)
    )


def due_at(
    checks: Mapping[str, CheckAt | Sequence[CheckAt]],
    now: dt.datetime,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[str, bool]:
    """Evaluate each named check at ``now``, in one SELECT without a table; return name → bool.

    A check is a function of the time, or several of them, any of which makes it due (so that
    a part that can be kept compiled is not compiled again with the part that cannot).
    """
    named = [
        (name, at)
        for name, check in checks.items()
        for at in (check if isinstance(check, Sequence) else (check,))
    ]
    if not named:
        return {}
    parts = [_sql_at(at, now, using) for _, at in named]
    sql = "SELECT " + ", ".join(_expression(part, using) for part, _ in parts)
    params = [p for _, part_params in parts for p in part_params]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    due = dict.fromkeys(checks, False)
    for (name, _), value in zip(named, row, strict=True):
        due[name] = due[name] or bool(value)
    return due


def is_due(check: Check, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """One job's own idle check, alone."""
    sql, params = _compiled(check, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.fetchone()[0])
