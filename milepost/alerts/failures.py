"""One bad row never stops the worker: a unit of work that raises is recorded, retried a few
times, then left failed for an operator, while every other unit goes on.

A unit is a contract's forecast refresh, a milestone's reminder plan or an audit event's
fan-out (``WorkUnit``). Its failure is logged with its id and kept in ``WorkerFailure``:
``milepost status`` and the admin show it, with the error text. Notifications keep their own
attempts and failed state on their row (``delivery``).
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import InterfaceError, OperationalError
from django.db.models import Q

from .choices import WorkState, WorkUnit
from .models import WorkerFailure

log = logging.getLogger("milepost.alerts.worker")

# Attempts in all before a unit is left failed; the waits between them grow.
MAX_ATTEMPTS = 3
RETRY_AFTER = (dt.timedelta(minutes=5), dt.timedelta(minutes=30))


def connection_lost(error: BaseException) -> bool:
    """Is ``error`` the database going away (back off and retry), not a bad row?"""
    return isinstance(error, (OperationalError, InterfaceError))


def failure_record(
    unit: WorkUnit, object_id: int, error: BaseException, *, now: dt.datetime, attempts: int = 1
) -> WorkerFailure:
    """Log and record ``attempts`` more failed attempts at a unit; after ``MAX_ATTEMPTS`` in
    all it is failed.

    Call it inside the caller's transaction, after the unit's own savepoint rolled back.
    """
    text = f"{error.__class__.__name__}: {error}"[:2000]
    failure = WorkerFailure.objects.filter(unit=unit, object_id=object_id).first()
    if failure is None:
        failure = WorkerFailure(
            unit=unit, object_id=object_id, attempts=0, first_failed_at=now, last_error=text
        )
    failure.attempts = min(failure.attempts + attempts, MAX_ATTEMPTS)
    failure.last_error = text
    failure.last_failed_at = now
    if failure.attempts >= MAX_ATTEMPTS:
        failure.state = WorkState.FAILED
        failure.retry_after = None
    else:
        failure.state = WorkState.RETRYING
        failure.retry_after = now + RETRY_AFTER[min(failure.attempts, len(RETRY_AFTER)) - 1]
    failure.save()
    log.error(
        "worker: %s %s failed (attempt %s of %s, %s): %s",
        unit.label,
        object_id,
        failure.attempts,
        MAX_ATTEMPTS,
        failure.state,
        text,
        exc_info=error,
    )
    return failure


def failures_clear(unit: WorkUnit, object_ids: Iterable[int]) -> None:
    """Forget the failures of units that have since gone through (or been repaired)."""
    ids = list(object_ids)
    if ids:
        WorkerFailure.objects.filter(unit=unit, object_id__in=ids).delete()


def units_held(unit: WorkUnit, *, now: dt.datetime) -> set[int]:
    """The ids of units not to try now: failed, or waiting for their next attempt."""
    return set(
        WorkerFailure.objects.filter(unit=unit)
        .filter(Q(state=WorkState.FAILED) | Q(retry_after__gt=now))
        .values_list("object_id", flat=True)
    )
