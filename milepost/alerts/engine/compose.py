"""What a notification says, who hears it, when, and on which channels."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.approvals.events import ApprovalEvent
from milepost.contracts.events import ContractEvent
from milepost.core.dates import zone
from milepost.payments.events import PaymentEvent
from milepost.schedule.choices import Criticality, MilestoneKind
from milepost.schedule.events import ScheduleEvent
from milepost.schedule.models import Milestone

from ..choices import Channel, Digest, Kind
from ..events import PublishedEvent
from ..models import (
    AlertPreference,
    Notification,
    WebhookEndpoint,
)
from ..timing import Trigger, local_instant

REMINDER_TYPES = {
    "reminder": PublishedEvent.MILESTONE_DUE_SOON,
    "overdue": PublishedEvent.MILESTONE_OVERDUE,
    "escalation": PublishedEvent.MILESTONE_ESCALATED,
}
REMINDER_KINDS = {"reminder": Kind.REMINDER, "overdue": Kind.OVERDUE, "escalation": Kind.ESCALATION}
# Audit actions that stakeholders hear about, by the event type they are published as.
UPDATE_TYPES: dict[str, PublishedEvent] = {
    ScheduleEvent.MILESTONE_CREATED: PublishedEvent.MILESTONE_CREATED,
    ScheduleEvent.STATUS_UPDATE_POSTED: PublishedEvent.MILESTONE_STATUS_UPDATE,
    ScheduleEvent.MILESTONE_RESCHEDULED: PublishedEvent.MILESTONE_RESCHEDULED,
    ScheduleEvent.DELIVERABLE_ACCEPTED: PublishedEvent.MILESTONE_MET,
    ApprovalEvent.GATE_DECIDED: PublishedEvent.GATE_DECIDED,
    PaymentEvent.PAYMENT_PAID: PublishedEvent.PAYMENT_RECORDED,
}
# Events about a whole contract that change when its milestones' reminders fall.
REPLAN_CONTRACT_ACTIONS = {ContractEvent.CONTRACT_UPDATED, ContractEvent.CONTRACT_STATUS_CHANGED}


# What a message about a milestone needs, loaded with it.
MILESTONE_RELATED = (
    "contract",
    "owner",
    "payment__payer__organisation",
    "payment__payee__organisation",
    "kpi",
)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def object_url(name: str, pk: int) -> str:
    """The absolute URL of an object's page. ``reverse`` once per name, not once per row."""
    return f"{settings.MILEPOST_BASE_URL}{_url_pattern(name).format(pk=pk)}"


@lru_cache(maxsize=16)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[_PK]).replace(str(_PK), "{pk}")


# A number no real path holds elsewhere, so that replacing it leaves only the id's place.
_PK = 987654321


# --- what a notification says ------------------------------------------------------------------


# The fixed sentences of a consequence; the scan's SQL writes the same words (``scan.py``).
CRITICAL_SENTENCE = "Critical: missing it puts the contract itself at risk."
GATE_SENTENCE = "A gate: work does not move on until every required party approves."
ACCEPTANCE_PREFIX = "Acceptance: "
ACCEPTANCE_CHARS = 300


def consequence(milestone: Milestone) -> str:
    """What depends on the milestone, in words, from its kind's terms (loaded by the caller)."""
    parts = []
    if milestone.criticality == Criticality.CRITICAL:
        parts.append(CRITICAL_SENTENCE)
    if milestone.kind == MilestoneKind.PAYMENT and hasattr(milestone, "payment"):
        terms = milestone.payment
        parts.append(
            f"A payment of {terms.amount:,.2f} {milestone.contract.currency} from "
            f"{terms.payer.organisation} to {terms.payee.organisation} waits on it."
        )
    elif milestone.kind == MilestoneKind.PERFORMANCE and hasattr(milestone, "kpi"):
        kpi = milestone.kpi
        parts.append(
            f"Performance target: {kpi.name} {kpi.get_direction_display().lower()} "
            f"{kpi.target.normalize():f} {kpi.unit}."
        )
    elif milestone.kind == MilestoneKind.GATE:
        parts.append(GATE_SENTENCE)
    elif milestone.kind == MilestoneKind.DELIVERABLE:
        parts.append(f"{ACCEPTANCE_PREFIX}{milestone.acceptance_criteria[:ACCEPTANCE_CHARS]}")
    return " ".join(parts)


def _when(days: int) -> str:
    if days > 1:
        return f"due in {days} days"
    if days == 1:
        return "due tomorrow"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


def milestone_payload(
    milestone: Milestone, event_type: str, *, days: int, summary: str
) -> dict[str, Any]:
    contract = milestone.contract
    return {
        "type": event_type,
        "summary": summary,
        "days": days,
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "title": contract.title,
            "url": object_url("reporting:contract-detail", contract.pk),
        },
        "milestone": {
            "id": milestone.pk,
            "title": milestone.title,
            "kind": milestone.kind,
            "criticality": milestone.criticality,
            "due_date": milestone.due_date.isoformat(),
            "status": milestone.status,
            "owner": str(milestone.owner),
            "url": object_url("milestones:milestone-detail", milestone.pk),
            "consequence": consequence(milestone),
        },
    }


def _reminder_summary(milestone: Milestone, trigger: Trigger, days: int) -> str:
    head, tail = summary_parts(trigger.kind, days, milestone.due_date)
    return f"{head}[{milestone.contract.reference}] {milestone.title}{tail}"


def summary_parts(kind: str, days: int, due: dt.date) -> tuple[str, str]:
    """What a reminder's summary says before and after "[reference] title"."""
    if kind == "escalation":
        return "Escalation: ", f" is {_when(days)}"
    return "", f" is {_when(days)} ({due:%d %b %Y})"


# --- who hears it, when, on which channels -----------------------------------------------------


# A notification to queue, as the columns it will be stored in (``attname`` → value). Building
# model instances cost more than the rest of a scan together.
Row = dict[str, Any]
_FOREIGN = ("user", "endpoint", "contract", "milestone", "event")


@lru_cache(maxsize=1)
def _row_defaults() -> Row:
    return {
        f.attname: f.get_default()
        for f in Notification._meta.concrete_fields
        if not f.primary_key and f.attname not in ("payload", "created_at")
    }


def queued(**fields: Any) -> Row:
    """A row to queue: the model's defaults, then ``fields`` (related objects or their ids)."""
    row = dict(_row_defaults())
    for name in _FOREIGN:
        if name in fields:
            target = fields.pop(name)
            row[f"{name}_id"] = target.pk if target is not None else None
    row.update(fields)
    row.setdefault("payload", {})
    return row


@dataclass
class Audience:
    """What the scan and the fan-out need about people, loaded in a few queries per batch."""

    prefs: dict[int, AlertPreference] = field(default_factory=dict)

    def load(self, users: Iterable[User]) -> None:
        missing = {u.pk for u in users} - set(self.prefs)
        if missing:
            for pref in AlertPreference.objects.filter(user__in=missing):
                self.prefs[pref.user_id] = pref
            for pk in missing - set(self.prefs):
                self.prefs[pk] = AlertPreference(user_id=pk)

    def rows(
        self,
        user: User,
        *,
        key: str,
        at: dt.datetime | None,
        day: dt.date | None,
        now: dt.datetime,
        channels: Iterable[str],
        **fields: Any,
    ) -> list[Row]:
        """The user's rows for one occurrence: in-app and one email (or digest), by preference.

        ``day`` places the message at the user's hour on that local date; ``at`` is a fixed
        instant (stakeholder updates go out at once). Past its moment by more than the catch-up
        window, a row is marked as a catch-up and sent now.
        """
        if not user.is_active:
            return []
        pref = self.prefs[user.pk]
        moment = moments(pref, user.time_zone, day=day, at=at, now=now)
        out = []
        if Channel.INAPP in channels and pref.inapp:
            out.append(
                queued(
                    key=f"{key}:u{user.pk}:inapp",
                    channel=Channel.INAPP,
                    user=user,
                    send_after=moment.send_after,
                    catch_up=moment.catch_up,
                    **fields,
                )
            )
        if Channel.EMAIL in channels and pref.email:
            out.append(
                queued(
                    key=f"{key}:u{user.pk}:mail",
                    channel=moment.mail_channel,
                    user=user,
                    send_after=moment.mail_after,
                    catch_up=moment.mail_catch_up,
                    **fields,
                )
            )
        return out


@dataclass(frozen=True)
class Moments:
    """When one person's rows for one occurrence go out: in-app, and email or digest."""

    send_after: dt.datetime
    catch_up: bool
    mail_channel: str
    mail_after: dt.datetime
    mail_catch_up: bool


def moments(
    pref: AlertPreference,
    tz_name: str,
    *,
    day: dt.date | None,
    at: dt.datetime | None,
    now: dt.datetime,
) -> Moments:
    """Place a message at the person's hour on ``day`` (or at ``at``), by their preferences.

    Past its moment by more than the catch-up window, it is a catch-up and goes now. Email
    waits for the digest when the person takes one (and is then no catch-up of its own).
    """
    send_after = local_instant(day, pref.hour, tz_name) if day else (at or now)
    catch_up = send_after < now - dt.timedelta(hours=settings.MILEPOST_CATCH_UP_AFTER_HOURS)
    if catch_up:
        send_after = now
    if pref.digest != Digest.OFF:
        return Moments(
            send_after, catch_up, Channel.DIGEST, digest_time(pref, tz_name, send_after), False
        )
    return Moments(send_after, catch_up, Channel.EMAIL, send_after, catch_up)


def digest_time(pref: AlertPreference, tz_name: str, after: dt.datetime) -> dt.datetime:
    """The first digest moment (the user's hour, daily or on their weekday) at or after ``after``."""
    day = after.astimezone(zone(tz_name)).date()
    for _ in range(8):
        at = local_instant(day, pref.hour, tz_name)
        if at >= after and (pref.digest == Digest.DAILY or day.weekday() == pref.digest_weekday):
            return at
        day += dt.timedelta(days=1)
    raise AssertionError("a week always holds the digest day")  # pragma: no cover


def _managers_by_org(org_ids: set[int]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = defaultdict(list)
    for m in Membership.objects.filter(
        organisation__in=org_ids, role__in=[Role.MANAGER, Role.ADMIN], user__is_active=True
    ).select_related("user"):
        found[m.organisation_id].append(m.user)
    return found


def _endpoints_by_contract(contract_ids: set[int]) -> dict[int, list[WebhookEndpoint]]:
    """Active webhook endpoints of every organisation party to each contract, in one query."""
    found: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    rows = WebhookEndpoint.objects.filter(
        disabled_at__isnull=True, organisation__parties__contract__in=contract_ids
    ).annotate(for_contract=F("organisation__parties__contract"))
    for endpoint in rows:
        found[endpoint.for_contract].append(endpoint)
    return found


def _webhook_rows(
    endpoints: Iterable[WebhookEndpoint],
    *,
    key: str,
    now: dt.datetime,
    **fields: Any,
) -> list[Row]:
    """One row per endpoint that takes this event type (``fields`` holds ``event_type``)."""
    event_type = fields["event_type"]
    return [
        queued(
            key=f"{key}:e{endpoint.pk}",
            channel=Channel.WEBHOOK,
            endpoint=endpoint,
            send_after=now,
            **fields,
        )
        for endpoint in endpoints
        if not endpoint.event_types or event_type in endpoint.event_types
    ]


def notice_send(
    *,
    users: Iterable[User],
    key: str,
    event_type: str,
    summary: str,
    payload: dict[str, Any],
    now: dt.datetime | None = None,
) -> int:
    """Queue a notice (in-app, and email by preference) to people; the same key queues once."""
    now = _now(now)
    users = list(users)
    audience = Audience()
    audience.load(users)
    rows = []
    for user in users:
        rows += audience.rows(
            user,
            key=key,
            at=now,
            day=None,
            now=now,
            channels=(Channel.INAPP, Channel.EMAIL),
            kind=Kind.NOTICE,
            event_type=event_type,
            payload={"type": event_type, "summary": summary, **payload},
        )
    return notifications_insert(rows)


def notifications_insert(rows: list[Row]) -> int:
    """Queue rows, skipping any whose key is already queued; return how many were given.

    ``INSERT … ON CONFLICT (key) DO NOTHING``, with values adapted per column type rather than
    per field call. Django's ``bulk_create`` sends PostgreSQL arrays
    of every column instead, and quoting thousands of JSON payloads into array literals cost
    seconds a scan.
    """
    if not rows:
        return 0
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    adapt: list[Callable[[Any], Any] | None] = []
    # One payload is shared by a recipient's in-app and email rows: encode it once.
    encoded: dict[int, Any] = {}

    def json_value(value: Any) -> Any:
        key = id(value)
        if key not in encoded:
            encoded[key] = ops.adapt_json_value(value, None)
        return encoded[key]

    for f in fields:
        kind = f.get_internal_type()
        if kind == "JSONField":
            adapt.append(json_value)
        elif kind == "DateTimeField":
            adapt.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapt.append(ops.adapt_datefield_value)
        else:
            adapt.append(None)
    now = timezone.now()
    values = [
        [
            a(row.get(f.attname, now)) if a else row[f.attname]
            for f, a in zip(fields, adapt, strict=True)
        ]
        for row in rows
    ]
    quote = ops.quote_name
    table = quote(Notification._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    # Only the model's own table and column names go into the text; values are parameters.
    if connection.vendor == "postgresql":
        # COPY into a session-local table, then one INSERT … SELECT: the driver's C code writes
        # the rows, instead of quoting every value into statement text.
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS notification_in AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            cursor.execute("TRUNCATE notification_in")
            with cursor.cursor.copy(f"COPY notification_in ({columns}) FROM STDIN") as copy:
                for record in values:
                    copy.write_row(record)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM notification_in "  # noqa: S608
                f"ON CONFLICT ({quote('key')}) DO NOTHING"
            )
            cursor.execute("TRUNCATE notification_in")
        return len(rows)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({quote('key')}) DO NOTHING",
            values,
        )
    return len(rows)
