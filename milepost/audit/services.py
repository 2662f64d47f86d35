"""Write events; every domain service calls ``event_record`` inside its own transaction."""

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from .events import EventType, event_type
from .models import Event

GENESIS = "0" * 64
# Any constant works: it names the one advisory lock that orders writers of the chain.
_CHAIN_LOCK = 0x4D494C45


def _normalise(value: Any) -> Any:
    """Return ``value`` as it reads back from a JSON column (Decimals and dates as strings)."""
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Hash one event's content together with the previous event's hash."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def hashed_fields(event: Event) -> dict[str, Any]:
    """Return the fields of ``event`` that its hash covers."""
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "contract_id": event.contract_id,
        "milestone_id": event.milestone_id,
        "before": event.before,
        "after": event.after,
    }


def _scope(obj: models.Model) -> tuple[int | None, int | None]:
    """Find the contract and milestone an object belongs to, for history views."""
    label = obj._meta.label_lower
    contract_id = obj.pk if label == "contracts.contract" else getattr(obj, "contract_id", None)
    milestone_id = obj.pk if label == "schedule.milestone" else getattr(obj, "milestone_id", None)
    return contract_id, milestone_id


def event_record(
    *,
    actor: Any,
    action: EventType,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    contract_id: int | None = None,
    milestone_id: int | None = None,
) -> Event:
    """Append one event to the chain, in the caller's transaction.

    ``action`` must be declared in an app's ``events.py``; an undeclared one raises
    ``ValueError`` before anything is written.
    """
    declared = event_type(action)
    with transaction.atomic():
        (event,) = _chained(actor, [(declared, obj, before, after, contract_id, milestone_id)])
        event.save(force_insert=True)
    return event


# (action, obj, before, after, contract_id, milestone_id), as ``event_record`` takes them.
EventItem = tuple[EventType, models.Model, dict[str, Any] | None, dict[str, Any] | None, Any, Any]


def event_record_many(*, actor: Any, events: list[EventItem]) -> int:
    """Append many events to the chain at once, in the caller's transaction, in order.

    Each item is ``(action, obj, before, after, contract_id, milestone_id)`` as ``event_record``
    takes them; the events are hashed one after the other and written in one bulk insert. For
    imports that write thousands of objects; the chain is the same as one ``event_record`` each.
    """
    if not events:
        return 0
    types = {action: event_type(action) for action in {item[0] for item in events}}
    declared: list[EventItem] = [(types[item[0]], *item[1:]) for item in events]
    with transaction.atomic():
        rows = _chained(actor, declared)
        Event.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _chained(actor: Any, events: list[EventItem]) -> list[Event]:
    """The unsaved events, each hashed onto the one before, starting from the chain's head.

    Call it inside the transaction that saves them: on PostgreSQL it takes the advisory lock
    that serialises chain writers (SQLite already serialises writers).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    prev_hash = Event.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    now = timezone.now()
    rows: list[Event] = []
    for action, obj, before, after, contract_id, milestone_id in events:
        own_contract, own_milestone = _scope(obj)
        event = Event(
            occurred_at=now,
            actor=actor,
            actor_name=getattr(actor, "username", "") if actor is not None else "",
            action=action.value,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            contract_id=contract_id if contract_id is not None else own_contract,
            milestone_id=milestone_id if milestone_id is not None else own_milestone,
            before=_normalise(before),
            after=_normalise(after),
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = event_hash(prev_hash, hashed_fields(event))
        rows.append(event)
    return rows
