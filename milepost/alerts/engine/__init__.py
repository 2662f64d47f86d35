"""The worker's three jobs (and a fourth, housekeeping), each a "do what is due" service over rows (STYLE rule 9).

1. ``events_fan_out`` reads the audit log after a cursor. Every event that touches a milestone
   re-plans its reminders; stakeholder events become notifications for watchers and webhook
   endpoints. The cursor moves in the same transaction as the rows it creates, so a crash
   either did both or neither. An event that fails is passed over and fanned out again after
   a wait (``failures``). Events commit in id order (their writers serialise on the
   hash chain's lock), so reading "after the last id" can never skip one.
2. ``reminders_scan`` reads the plans whose next trigger day has begun somewhere on Earth
   (a partial index on ``next_at``), turns the day's triggers into notifications at each
   recipient's local hour, and moves each plan to its next day. A late scan sends only the
   latest trigger of each kind: the current state, not a storm of history. The rows and their
   payloads are built by one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per batch (``scan``).
3. ``deliver_due`` claims due notifications (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, under
   a lease that a dead worker's rows outlive), delivers them and records the outcome.

4. ``clock_run`` treats as accepted each communication whose last day for a reply, after the
   failure to reply was notified, has ended in its contract's time zone (``communications``).

Besides, every few minutes it re-forecasts one active contract whose latest forecast is older
than ``MILEPOST_FORECAST_REFRESH_HOURS``, so that forecast health stays current.

Every notification row has a unique key, so running any step twice, or in two workers at
once, queues nothing twice. Delivery is at least once: a worker killed between sending and
recording leaves the row to be sent again with the same message id.
"""

import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Q
from django.utils import timezone

from milepost.communications.services import communications_deem_due, communications_deem_pending
from milepost.milestones.updates import update_rounds_due, update_rounds_pending
from milepost.schedule.forecasts import forecast_refresh_one, forecasts_stale

from ..choices import WorkUnit
from ..failures import connection_lost, failure_record, failures_clear, units_held
from ..failures import log as failures_log
from ..models import WorkerCursor
from .actions import actions_due, measurements_pending, requests_pending
from .compose import consequence, digest_time, milestone_payload, notice_send
from .delivery import deliver_due, deliveries_due
from .due import CheckAt, due_at
from .fanout import events_due, events_fan_out, update_type
from .scan import reminders_due, reminders_scan

SQLITE_LEASE = "sqlite-worker"


# --- the tick and the SQLite lease --------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def sqlite_lease_take(*, holder: str, now: dt.datetime, seconds: int | None = None) -> bool:
    """On SQLite only one worker runs: take or renew the lease; False if another holds it."""
    free = Q(holder=holder) | Q(holder="") | Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    until = now + dt.timedelta(seconds=seconds or settings.MILEPOST_WORKER_LEASE_SECONDS)
    if WorkerCursor.objects.filter(free, name=SQLITE_LEASE).update(
        holder=holder, lease_until=until
    ):
        return True
    # No lease row yet: the first worker to insert one holds it.
    WorkerCursor.objects.bulk_create(
        [WorkerCursor(name=SQLITE_LEASE, holder=holder, lease_until=until)], ignore_conflicts=True
    )
    return WorkerCursor.objects.filter(name=SQLITE_LEASE, holder=holder).exists()


def sqlite_lease_release(*, holder: str) -> None:
    WorkerCursor.objects.filter(name=SQLITE_LEASE, holder=holder).update(
        holder="", lease_until=None
    )


@dataclass
class TickResult:
    events: int = 0
    plans: int = 0
    delivered: int = 0
    forecasts: int = 0
    actions: int = 0
    deemed: int = 0
    waiting: bool = False

    @property
    def busy(self) -> bool:
        return bool(
            self.events
            or self.plans
            or self.delivered
            or self.forecasts
            or self.actions
            or self.deemed
        )


# Looking for a stale forecast costs an aggregate over the contracts: do it every few minutes,
# not on every tick, so that an idle tick stays a few index reads.
FORECAST_CHECK_EVERY = dt.timedelta(minutes=5)
_forecast_check = {"next": dt.datetime.min.replace(tzinfo=dt.UTC)}


def _forecasts_looked_for(now: dt.datetime) -> bool:
    """Whether the refresh looks for a stale forecast on this tick (every few minutes at most)."""
    return bool(settings.MILEPOST_FORECAST_REFRESH_HOURS) and now >= _forecast_check["next"]


def _forecasts_pending(now: dt.datetime) -> Exists:
    hours = settings.MILEPOST_FORECAST_REFRESH_HOURS
    return Exists(forecasts_stale(now=now, hours=hours))


def _forecasts_none(now: dt.datetime) -> None:
    """None stale: look again in a few minutes."""
    _forecast_check["next"] = now + FORECAST_CHECK_EVERY


def forecasts_refresh(*, now: dt.datetime) -> int:
    """Re-forecast one contract whose forecast is stale, checking every few minutes at most."""
    hours = settings.MILEPOST_FORECAST_REFRESH_HOURS
    if not _forecasts_looked_for(now):
        return 0

    def failed(contract_id: int, error: Exception) -> None:
        if connection_lost(error):
            raise error
        failure_record(WorkUnit.FORECAST, contract_id, error, now=now)

    run = forecast_refresh_one(
        now=now, hours=hours, skip=units_held(WorkUnit.FORECAST, now=now), on_error=failed
    )
    if run is not None:
        failures_clear(WorkUnit.FORECAST, [run.contract_id])
    else:
        _forecasts_none(now)
    return 1 if run is not None else 0


def clock_run(*, now: dt.datetime) -> int:
    """Deem what silence has accepted; a communication that fails is recorded and passed over."""

    def failed(pk: int, error: Exception) -> None:
        if connection_lost(error):
            raise error
        failure_record(WorkUnit.CLOCK, pk, error, now=now)

    done = communications_deem_due(
        now=now, skip=units_held(WorkUnit.CLOCK, now=now), on_error=failed
    )
    failures_clear(WorkUnit.CLOCK, done)
    return len(done)


def _clock_pending(now: dt.datetime) -> Exists:
    return Exists(communications_deem_pending(now))


def tick(
    *, now: dt.datetime | None = None, holder: str | None = None, deliver_limit: int = 50
) -> TickResult:
    """One round of the worker: events, reminders, a batch of deliveries, a stale forecast.

    The jobs' idle checks are asked together first, in one query, so an idle tick is one read
    (after the SQLite lease). A job runs if its answer was yes, or once an earlier job has done
    something: what that one wrote (a round's events, a scan's notifications) may be due to the next ones
    in this same tick, and each job checks again for itself, as it does when run alone.
    """
    now = now or timezone.now()
    if connection.vendor == "sqlite" and not sqlite_lease_take(
        holder=holder or worker_name(), now=now
    ):
        return TickResult(waiting=True)
    due = _due(now)
    ran = False

    def run(name: str, job: Callable[..., int], **kwargs: Any) -> int:
        nonlocal ran
        if not (ran or due.get(name)):
            return 0
        done = _job(job, now=now, **kwargs)
        # A job that found nothing to do wrote nothing for the next ones (an update schedule
        # is pending all day on its weekday, but sends its round only at its hour).
        ran = ran or done > 0
        return done

    run("rounds", update_rounds_due)  # scheduled update rounds; the fan-out below sends them
    # Deemed first: what silence accepted is an event the fan-out sends on in this same tick.
    deemed = run("clock", clock_run)
    result = TickResult(
        deemed=deemed,
        events=run("events", events_fan_out),
        plans=run("plans", reminders_scan),
        actions=run("actions", actions_due),
        delivered=run("delivery", deliver_due, limit=deliver_limit),
    )
    if _forecasts_looked_for(now):
        if ran or due.get("forecasts"):
            result.forecasts = _job(forecasts_refresh, now=now)
        else:
            _forecasts_none(now)
    return result


def idle_checks(now: dt.datetime | None = None) -> dict[str, CheckAt | tuple[CheckAt, ...]]:
    """Each job's idle check, a function of the time (or several, any of which makes it due);
    the forecasts' only when the refresh looks on this tick (always, without ``now``)."""
    checks: dict[str, CheckAt | tuple[CheckAt, ...]] = {
        "rounds": update_rounds_pending,
        "clock": _clock_pending,
        "events": events_due,
        "plans": reminders_due,
        "actions": (requests_pending, measurements_pending),
        "delivery": deliveries_due,
    }
    if now is None or _forecasts_looked_for(now):
        checks["forecasts"] = _forecasts_pending
    return checks


def _due(now: dt.datetime) -> dict[str, bool]:
    """Which jobs have something to do: their own idle checks, asked in one SELECT.

    If asking fails (other than by a lost connection), every job runs and asks for itself.
    """
    checks = idle_checks(now)
    try:
        return due_at(checks, now)
    except Exception as error:
        if connection_lost(error):
            raise
        failures_log.exception("worker: the idle checks failed; every job looks for itself")
        return dict.fromkeys(checks, True)


def _job(job: Callable[..., int], **kwargs: Any) -> int:
    """Run one of the tick's jobs; an unexpected error is logged and the next job still runs.

    Each job already isolates its own items (``failures``); this is the net under that. A
    lost database connection is raised, for the worker to back off and reconnect.
    """
    try:
        return job(**kwargs)
    except Exception as error:
        if connection_lost(error):
            raise
        failures_log.exception("worker: %s failed; the next tick tries again", job.__name__)
        return 0


__all__ = [
    "TickResult",
    "actions_due",
    "consequence",
    "deliver_due",
    "digest_time",
    "events_fan_out",
    "milestone_payload",
    "notice_send",
    "reminders_scan",
    "sqlite_lease_release",
    "sqlite_lease_take",
    "tick",
    "update_type",
    "worker_name",
]
