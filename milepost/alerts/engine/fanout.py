"""Job 1: read the audit log after a cursor; re-plan reminders and tell stakeholders."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Least

from milepost.accounts.models import User
from milepost.audit.models import Event
from milepost.audit.sentences import Names, event_names, event_sentence
from milepost.contracts.models import Party
from milepost.core.dates import local_today
from milepost.schedule.choices import OPEN_STATUSES, MilestoneStatus
from milepost.schedule.events import ScheduleEvent
from milepost.schedule.models import Milestone

from ..choices import Channel, Kind, WorkState, WorkUnit
from ..events import AlertEvent, PublishedEvent
from ..failures import connection_lost, failure_record, failures_clear
from ..models import (
    Watch,
    WorkerCursor,
    WorkerFailure,
)
from ..plans import plans_sync
from .actions import actions_from_events
from .compose import (
    MILESTONE_RELATED,
    REPLAN_CONTRACT_ACTIONS,
    UPDATE_TYPES,
    Audience,
    Row,
    _endpoints_by_contract,
    _now,
    _webhook_rows,
    milestone_payload,
    notifications_insert,
)
from .due import is_due

EVENTS_CURSOR = "events"


# --- 1. events: re-plan and tell stakeholders -------------------------------------------------


def _cursor(name: str) -> WorkerCursor | None:
    """Lock the named cursor row; None if another worker holds it (PostgreSQL only)."""
    cursor = WorkerCursor.objects.select_for_update(skip_locked=True).filter(name=name).first()
    if cursor is None and not WorkerCursor.objects.filter(name=name).exists():
        WorkerCursor.objects.bulk_create([WorkerCursor(name=name)], ignore_conflicts=True)
        cursor = WorkerCursor.objects.select_for_update(skip_locked=True).filter(name=name).first()
    return cursor


def update_type(event: Event) -> str | None:
    """The stakeholder event type an audit event is published as, or None."""
    if event.action == ScheduleEvent.MILESTONE_STATUS_CHANGED:
        status = (event.after or {}).get("status")
        if status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET):
            return PublishedEvent.MILESTONE_MET
        if status == MilestoneStatus.NOT_MET:
            return PublishedEvent.MILESTONE_MISSED
        return PublishedEvent.MILESTONE_STATUS_CHANGED
    return UPDATE_TYPES.get(event.action)


def _event_text(event: Event, event_type: str, names: Names | None = None) -> str:
    """What happened, as the history says it (``audit.sentences``): one sentence per event type."""
    return event_sentence(event, names)


def _replan_ids(events: list[Event]) -> set[int]:
    """The milestones whose plan the events may have changed."""
    ids = {e.milestone_id for e in events if e.milestone_id}
    contract_ids = {
        e.contract_id for e in events if e.action in REPLAN_CONTRACT_ACTIONS and e.contract_id
    }
    org_ids: set[int] = set()
    for e in events:
        if (
            e.action in (AlertEvent.REMINDER_RULE_SET, AlertEvent.REMINDER_RULE_CLEARED)
            and not e.milestone_id
        ):
            if e.contract_id:
                contract_ids.add(e.contract_id)
            else:
                snapshot = e.after or e.before or {}
                if snapshot.get("organisation"):
                    org_ids.add(snapshot["organisation"])
    if contract_ids or org_ids:
        ids |= set(
            Milestone.objects.filter(status__in=OPEN_STATUSES)
            .filter(Q(contract__in=contract_ids) | Q(contract__owner__in=org_ids))
            .values_list("pk", flat=True)
        )
    return ids


def _retries_due(now: dt.datetime) -> "QuerySet[WorkerFailure]":
    return WorkerFailure.objects.filter(
        unit=WorkUnit.EVENT, state=WorkState.RETRYING, retry_after__lte=now
    )


def events_due(now: dt.datetime) -> Exists:
    """The idle check: any event after the cursor, or after the first failed event whose retry
    is due?"""
    position = Coalesce(
        Subquery(WorkerCursor.objects.filter(name=EVENTS_CURSOR).values("position")[:1]), Value(0)
    )
    retry = Subquery(_retries_due(now).order_by("object_id").values("object_id")[:1])
    after = Least(position, Coalesce(retry - Value(1), position))
    return Exists(Event.objects.filter(pk__gt=after))


def events_fan_out(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Process up to ``limit`` new audit events, and the failed events whose next attempt has
    come; return how many were processed."""
    now = _now(now)
    # The idle case costs one read and no transaction (the tick asks it with the other jobs').
    if not is_due(events_due(now)):
        return 0
    with transaction.atomic():
        cursor = _cursor(EVENTS_CURSOR)
        if cursor is None:
            return 0
        retried = _events_retry(now, limit)
        events = list(Event.objects.filter(pk__gt=cursor.position).order_by("pk")[:limit])
        if not events:
            return retried
        try:
            with transaction.atomic():
                _fan_out(events, now)
            done = events
        except Exception as error:
            if connection_lost(error):
                raise
            # One event (or the milestone it names) is bad: go one by one, so that the others
            # still re-plan and notify, and the bad one is retried, then left failed.
            done = _fan_out_each(events, now)
        cursor.position = done[-1].pk
        cursor.save(update_fields=["position"])
    return retried + len(done)


def _fan_out(events: list[Event], now: dt.datetime) -> None:
    # plans_sync isolates each milestone and records and clears their failures itself.
    plans_sync(milestone_ids=_replan_ids(events), now=now)
    updates = [(e, t) for e in events if e.milestone_id and (t := update_type(e))]
    if updates:
        notifications_insert(_update_rows(updates, now))
    # Action requests open and close with the events, in the same transaction as the cursor.
    notifications_insert(actions_from_events(events, now))


def _fan_out_each(events: list[Event], now: dt.datetime) -> list[Event]:
    """Fan out events one at a time, each in its own savepoint; return them all.

    An event that raises is recorded (with its id and error, for ``milepost status``) and
    passed over: the events after it must not wait on it. ``_events_retry`` tries it again
    once its wait is over.
    """
    for event in events:
        try:
            with transaction.atomic():
                _fan_out([event], now)
        except Exception as error:
            if connection_lost(error):
                raise
            failure_record(WorkUnit.EVENT, event.pk, error, now=now)
    return events


def _events_retry(now: dt.datetime, limit: int) -> int:
    """Fan out again the failed events whose next attempt has come (5, then 30 minutes after
    a failure); one that goes through is cleared, one that fails a third time is left failed.
    Runs under the cursor's lock, so two workers never retry the same event at once."""
    ids = list(
        _retries_due(now).order_by("retry_after", "pk").values_list("object_id", flat=True)[:limit]
    )
    if not ids:
        return 0
    events = Event.objects.in_bulk(ids)
    for pk in ids:
        event = events.get(pk)
        try:
            if event is not None:
                with transaction.atomic():
                    _fan_out([event], now)
        except Exception as error:
            if connection_lost(error):
                raise
            failure_record(WorkUnit.EVENT, pk, error, now=now)
        else:
            failures_clear(WorkUnit.EVENT, [pk])
    return len(ids)


def _update_rows(updates: list[tuple[Event, str]], now: dt.datetime) -> list[Row]:
    milestones = Milestone.objects.select_related(*MILESTONE_RELATED).in_bulk(
        {e.milestone_id for e, _ in updates}
    )
    watches = Watch.objects.filter(
        Q(milestone__in=milestones) | Q(contract__in={m.contract_id for m in milestones.values()})
    ).select_related("user")
    # Each watcher with the watch's scope (for its unsubscribe link) and when it began.
    watchers: dict[tuple[str, int], list[tuple[User, str, dt.datetime]]] = defaultdict(list)
    for w in watches:
        if w.milestone_id:
            watchers[("m", w.milestone_id)].append((w.user, f"m{w.milestone_id}", w.created_at))
        else:
            watchers[("c", w.contract_id or 0)].append((w.user, f"c{w.contract_id}", w.created_at))
    allowed = _viewers(
        {m.contract_id for m in milestones.values()},
        {u.pk for w in watchers.values() for u, _, _ in w},
    )
    audience = Audience()
    audience.load(u for w in watchers.values() for u, _, _ in w)
    endpoints = _endpoints_by_contract({m.contract_id for m in milestones.values()})
    names = event_names([e for e, _ in updates])
    rows: list[Row] = []
    for event, event_type in updates:
        milestone = milestones.get(event.milestone_id or 0)
        if milestone is None:
            continue
        days = (milestone.due_date - local_today(milestone.contract.time_zone, now)).days
        text = _event_text(event, event_type, names)
        summary = text
        payload = milestone_payload(milestone, event_type, days=days, summary=summary)
        payload["event"] = {
            "id": event.pk,
            "action": event.action,
            "actor": event.actor_name,
            "occurred_at": event.occurred_at.isoformat(),
            "text": text,
            "before": event.before,
            "after": event.after,
        }
        common = {
            "kind": Kind.UPDATE,
            "event_type": event_type,
            "contract": milestone.contract,
            "milestone": milestone,
            "event": event,
        }
        seen: set[int] = set()
        for user, scope, since in (
            watchers[("m", milestone.pk)] + watchers[("c", milestone.contract_id)]
        ):
            # Not your own doings, not what happened before you watched, not after losing access.
            if (
                user.pk in seen
                or user.pk == event.actor_id
                or since > event.occurred_at
                or (milestone.contract_id, user.pk) not in allowed
            ):
                continue
            seen.add(user.pk)
            rows += audience.rows(
                user,
                key=f"e:{event.pk}",
                at=now,
                day=None,
                now=now,
                channels=(Channel.INAPP, Channel.EMAIL),
                payload={**payload, "watch": scope},
                **common,
            )
        rows += _webhook_rows(
            [e for e in endpoints[milestone.contract_id] if e.created_at <= event.occurred_at],
            key=f"e:{event.pk}",
            now=now,
            payload=payload,
            **common,
        )
    return rows


def _viewers(contract_ids: set[int], user_ids: set[int]) -> set[tuple[int, int]]:
    """(contract, user) pairs where the user belongs to an organisation party to the contract."""
    if not user_ids:
        return set()
    return set(
        Party.objects.filter(
            contract__in=contract_ids, organisation__memberships__user__in=user_ids
        ).values_list("contract_id", "organisation__memberships__user_id")
    )
