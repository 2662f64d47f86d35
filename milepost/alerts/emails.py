"""Email: one message per batch of notification rows, and the one-link unsubscribe.

A batch is one row, the catch-up rows of one person, or one person's due digest rows; it
becomes one email with a plain-text body and an HTML alternative. The message id comes from
the rows (``Notification.message_id``), so a retry after a crash carries the same
``Message-ID`` and a mail client shows the repeat once.
"""

import datetime as dt
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats

from milepost.accounts.models import User
from milepost.approvals.selectors import gates_awaiting_decision
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.core.dates import local_today, zone
from milepost.core.errors import DomainError
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone

from .choices import Channel
from .errors import DeliveryError
from .events import AlertEvent, PublishedEvent
from .models import AlertPreference, Notification, Watch

UNSUBSCRIBE_SALT = "milepost.unsubscribe"
# Where the preferences page lives if its URL name is not installed (it is named below).
PREFERENCES_FALLBACK = "/account/notifications/"
# At most this many gates awaiting the reader's decision are listed in a digest.
DIGEST_GATES = 50

# Digest sections, in the order an email shows them within each contract.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("actions", "Waiting for you"),
    ("due", "Due soon"),
    ("slipped", "Overdue or slipped"),
    ("met", "Met"),
    ("gates", "Gates waiting on you"),
    ("updates", "Status updates posted"),
    ("other", "Other news"),
)
_SECTION_OF: dict[str, str] = {
    PublishedEvent.MILESTONE_DUE_SOON: "due",
    PublishedEvent.MILESTONE_OVERDUE: "slipped",
    PublishedEvent.MILESTONE_ESCALATED: "slipped",
    PublishedEvent.MILESTONE_MISSED: "slipped",
    PublishedEvent.MILESTONE_MET: "met",
    PublishedEvent.MILESTONE_STATUS_UPDATE: "updates",
    PublishedEvent.ACTION_REQUEST_OPENED: "actions",
    PublishedEvent.ACTION_REQUEST_REMINDED: "actions",
    PublishedEvent.ACTION_REQUEST_ESCALATED: "actions",
}


# Sending


def send_batch(
    notifications: Sequence[Notification], *, connection: BaseEmailBackend | None = None
) -> None:
    """Send one email for rows that share a recipient; raise ``DeliveryError`` if it fails.

    The caller loaded each row's ``user``, and may pass an open ``connection`` to send several
    emails over one SMTP session. An SMTP refusal of the address with a 5xx code is permanent;
    a closed port, a timeout or a 4xx answer is worth retrying.
    """
    if not notifications:
        return
    user = notifications[0].user
    if user is None or not user.email:
        raise DeliveryError("The recipient has no email address.", permanent=True)
    message = email_build(notifications)
    try:
        (connection or get_connection(fail_silently=False)).send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        raise DeliveryError(
            f"The mail server refused {user.email}: {_reasons(error)}", permanent=permanent
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"Could not send email: {error!r}"[:500]) from error


def _reasons(error: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(
        f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        for code, reply in error.recipients.values()
    )[:400]


def email_build(notifications: Sequence[Notification]) -> EmailMultiAlternatives:
    """Render the email for rows of one recipient: a single message, a digest or a catch-up."""
    rows = sorted(notifications, key=lambda n: n.pk or 0)
    user = rows[0].user
    assert user is not None  # send_batch checked it; a row always has a person here.
    if rows[0].channel == Channel.DIGEST:
        template, context = "digest", _digest_context(rows, user)
    elif len(rows) > 1:
        template, context = "catch_up", _catch_up_context(rows)
    else:
        template, context = "single", _single_context(rows[0], user)
    scope = context.pop("scope", "email")
    context.update(
        user=user,
        base_url=settings.MILEPOST_BASE_URL,
        unsubscribe_url=unsubscribe_url(user, scope),
        unsubscribe_what=_scope_words(scope),
        preferences_url=_absolute_preferences_url(),
    )
    subject = " ".join(str(context["subject"]).split())[:250]
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"alerts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.get_full_name(), user.email))],
        headers={
            "Message-ID": f"<{rows[0].message_id}@{_mail_domain()}>",
            # ", " lets a long list fold onto several lines (a line may not pass 998 bytes).
            "X-Milepost-Notifications": ", ".join(str(row.pk) for row in rows),
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string(f"alerts/email/{template}.html", context), "text/html"
    )
    return message


def _mail_domain() -> str:
    return urlsplit(settings.MILEPOST_BASE_URL).hostname or "milepost.invalid"


def _absolute_preferences_url() -> str:
    try:
        path = reverse("alert-preferences")
    except NoReverseMatch:
        path = PREFERENCES_FALLBACK
    return f"{settings.MILEPOST_BASE_URL}{path}"


# What one row says


@dataclass
class Item:
    """One notification as an email shows it, read from its payload."""

    notification: Notification
    payload: dict[str, Any]
    contract: dict[str, Any]
    milestone: dict[str, Any]
    event: dict[str, Any]
    headline: str
    label: str
    due: dt.date | None
    when: str
    url: str
    occurred_at: dt.datetime | None = None

    @property
    def action(self) -> dict[str, Any]:
        """An action request's sentence, link and link words; empty for other messages."""
        found = self.payload.get("action")
        return found if isinstance(found, dict) else {}

    @property
    def outcome(self) -> dict[str, Any]:
        """An outcome notice's sentence and link; empty for other messages."""
        found = self.payload.get("outcome")
        return found if isinstance(found, dict) else {}

    @property
    def is_notice(self) -> bool:
        return str(self.payload.get("type", "")).startswith("notice.")

    @property
    def critical(self) -> bool:
        return self.milestone.get("criticality") == "critical"

    @property
    def status_label(self) -> str:
        status = self.milestone.get("status", "")
        return str(MilestoneStatus(status).label) if status in MilestoneStatus.values else status

    @property
    def section(self) -> str:
        kind = str(self.payload.get("type", ""))
        if kind == PublishedEvent.MILESTONE_RESCHEDULED:
            before = str((self.event.get("before") or {}).get("due_date", ""))
            after = str((self.event.get("after") or {}).get("due_date", ""))
            return "slipped" if before and after > before else "other"
        return _SECTION_OF.get(kind, "other")


def item_from(notification: Notification, tz_name: str = "UTC") -> Item:
    """Read a notification's payload into what the templates show."""
    payload = notification.payload or {}
    milestone = payload.get("milestone") or {}
    event = payload.get("event") or {}
    due = _date(milestone.get("due_date"))
    days = payload.get("days")
    occurred = _datetime(event.get("occurred_at"))
    return Item(
        notification=notification,
        payload=payload,
        contract=payload.get("contract") or {},
        milestone=milestone,
        event=event,
        headline=headline(payload),
        label=label(payload),
        due=due,
        when=_when(days) if isinstance(days, int) else "",
        url=str(milestone.get("url") or payload.get("url") or ""),
        occurred_at=occurred.astimezone(zone(tz_name)) if occurred else None,
    )


def label(payload: dict[str, Any]) -> str:
    """What happened, without naming the milestone: "Due in 7 days", "Met"."""
    kind = str(payload.get("type", ""))
    days = payload.get("days")
    days = days if isinstance(days, int) else 0
    late = _plural(abs(days), "day")
    if kind == PublishedEvent.MILESTONE_DUE_SOON:
        return {0: "Due today", 1: "Due tomorrow"}.get(days, f"Due in {_plural(days, 'day')}")
    if kind == PublishedEvent.MILESTONE_OVERDUE:
        return f"Overdue by {late}"
    if kind == PublishedEvent.MILESTONE_ESCALATED:
        return f"Escalated, overdue by {late}"
    if kind == PublishedEvent.MILESTONE_RESCHEDULED:
        due = _date(((payload.get("event") or {}).get("after") or {}).get("due_date"))
        return f"Rescheduled to {_short(due)}" if due else "Rescheduled"
    return _LABELS.get(kind) or str(payload.get("summary") or "Milepost notification")


_LABELS: dict[str, str] = {
    PublishedEvent.MILESTONE_MET: "Met",
    PublishedEvent.MILESTONE_MISSED: "Missed",
    PublishedEvent.MILESTONE_CREATED: "New milestone",
    PublishedEvent.MILESTONE_STATUS_UPDATE: "Status update",
    PublishedEvent.MILESTONE_STATUS_CHANGED: "Status changed",
    PublishedEvent.GATE_DECIDED: "Gate decision",
    PublishedEvent.PAYMENT_RECORDED: "Payment recorded",
    PublishedEvent.ACTION_REQUEST_OPENED: "Waiting for you",
    PublishedEvent.ACTION_REQUEST_REMINDED: "Still waiting for you",
    PublishedEvent.ACTION_REQUEST_ESCALATED: "Waiting too long",
    PublishedEvent.CHANGE_REQUEST_APPROVED: "Change approved",
    PublishedEvent.CHANGE_REQUEST_REJECTED: "Change rejected",
    PublishedEvent.DELIVERABLE_ACCEPTED: "Accepted",
    PublishedEvent.DELIVERABLE_SENT_BACK: "Sent back",
    PublishedEvent.PAYMENT_RECEIVED: "Payment received",
}


# An action request's subject starts with what state it is in; an outcome's is its sentence.
_ACTION_HEADS: dict[str, str] = {
    PublishedEvent.ACTION_REQUEST_REMINDED: "Reminder: ",
    PublishedEvent.ACTION_REQUEST_ESCALATED: "Escalation: ",
}


def headline(payload: dict[str, Any]) -> str:
    """The one line that says what happened to what, used as a single email's subject."""
    kind = str(payload.get("type", ""))
    name = _name(payload)
    if payload.get("action") or payload.get("outcome"):
        return _ACTION_HEADS.get(kind, "") + str(payload.get("summary") or "")
    if not name or kind.startswith("notice."):
        return str(payload.get("summary") or "Milepost notification")
    if kind == PublishedEvent.MILESTONE_ESCALATED:
        days = payload.get("days")
        late = _plural(abs(days) if isinstance(days, int) else 0, "day")
        return f"Escalation: {name} overdue by {late}"
    if kind == PublishedEvent.MILESTONE_STATUS_UPDATE:
        return f"Status update on {name}"
    if kind == PublishedEvent.MILESTONE_RESCHEDULED:
        due = _date(((payload.get("event") or {}).get("after") or {}).get("due_date"))
        return f"Rescheduled: {name}" + (f", now due {_short(due)}" if due else "")
    return f"{label(payload)}: {name}"


def _name(payload: dict[str, Any]) -> str:
    title = (payload.get("milestone") or {}).get("title", "")
    reference = (payload.get("contract") or {}).get("reference", "")
    return f"[{reference}] {title}" if reference else str(title)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _when(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _datetime(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _short(day: dt.date) -> str:
    return formats.date_format(day, "j M Y")


# One email per kind of batch


def _single_context(row: Notification, user: User) -> dict[str, Any]:
    item = item_from(row, user.time_zone)
    watch = item.payload.get("watch")
    return {
        "subject": item.headline,
        "item": item,
        "late": row.catch_up,
        "scope": f"watch:{watch}" if watch else "email",
    }


@dataclass
class ContractGroup:
    """One contract's part of a digest: its rows by section, and its gates awaiting the reader."""

    reference: str
    title: str
    url: str
    items: dict[str, list[Item]] = field(default_factory=dict)
    gates: list[Milestone] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, str, list[Any]]]:
        """Each non-empty section as (key, heading, entries), in the order of ``SECTIONS``."""
        found: list[tuple[str, str, list[Any]]] = []
        for key, heading in SECTIONS:
            entries: list[Any] = self.gates if key == "gates" else self.items.get(key, [])
            if entries:
                found.append((key, heading, entries))
        return found


def _digest_context(rows: list[Notification], user: User) -> dict[str, Any]:
    groups: dict[int | None, ContractGroup] = {}
    for row in rows:
        item = item_from(row, user.time_zone)
        key = item.contract.get("id")
        group = groups.get(key)
        if group is None:
            group = groups[key] = ContractGroup(
                reference=str(item.contract.get("reference", "")),
                title=str(item.contract.get("title", "General")),
                url=str(item.contract.get("url", "")),
            )
        group.items.setdefault(item.section, []).append(item)
    for gate in gates_awaiting_decision(user=user, limit=DIGEST_GATES):
        group = groups.get(gate.contract_id)
        if group is None:
            group = groups[gate.contract_id] = ContractGroup(
                reference=gate.contract.reference,
                title=gate.contract.title,
                url=_absolute("reporting:contract-detail", gate.contract_id),
            )
        gate.url = _absolute("milestones:milestone-detail", gate.pk)  # type: ignore[attr-defined]
        group.gates.append(gate)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[1].reference, kv[0] or 0))
    count = len(rows)
    return {
        "subject": f"Your Milepost digest: {_plural(count, 'update')}",
        "groups": [group for _, group in ordered],
        "count": count,
    }


def _absolute(name: str, pk: int) -> str:
    return f"{settings.MILEPOST_BASE_URL}{reverse(name, args=[pk])}"


@dataclass(frozen=True)
class CatchUpLine:
    """One milestone in a catch-up email, as it stands when the email is sent."""

    item: Item
    due: dt.date | None
    when: str
    status: str
    open: bool


def _catch_up_context(rows: list[Notification]) -> dict[str, Any]:
    latest: dict[Any, Notification] = {}
    for row in rows:
        # Each milestone once, told by its latest reminder; rows without one stay as they are.
        key = row.milestone_id or f"row{row.pk}"
        known = latest.get(key)
        if known is None or (row.fire_on or dt.date.min) >= (known.fire_on or dt.date.min):
            latest[key] = row
    current = {
        m.pk: m
        for m in Milestone.objects.filter(
            pk__in=[r.milestone_id for r in latest.values() if r.milestone_id]
        ).select_related("contract")
    }
    lines = []
    for row in latest.values():
        item = item_from(row)
        milestone = current.get(row.milestone_id or 0)
        if milestone is None:
            lines.append(CatchUpLine(item, item.due, item.when, item.status_label, True))
            continue
        days = (milestone.due_date - local_today(milestone.contract.time_zone)).days
        lines.append(
            CatchUpLine(
                item,
                milestone.due_date,
                _when(days),
                milestone.get_status_display(),
                milestone.is_open,
            )
        )
    lines.sort(key=lambda line: (line.due or dt.date.max, line.item.headline))
    return {
        "subject": f"Catch-up: {_plural(len(lines), 'reminder')} while Milepost was offline",
        "lines": lines,
    }


# Unsubscribe


def unsubscribe_token(user: User, scope: str) -> str:
    """Sign who is unsubscribing from what; the link needs no login."""
    return signing.dumps({"u": user.pk, "s": scope}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user: User, scope: str) -> str:
    """The absolute one-link unsubscribe address for ``user`` and ``scope``."""
    path = reverse("unsubscribe", args=[unsubscribe_token(user, scope)])
    return f"{settings.MILEPOST_BASE_URL}{path}"


@dataclass(frozen=True)
class UnsubscribeRequest:
    """A verified unsubscribe link: whose it is and what it stops."""

    user: User
    scope: str
    what: str


def unsubscribe_read(*, token: str) -> UnsubscribeRequest:
    """Check a link's signature and scope; raise ``invalid_link`` if it was altered."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, scope = int(data["u"]), str(data["s"])
        _parse_scope(scope)
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise DomainError("invalid_link", "This unsubscribe link is not valid.") from error
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DomainError("invalid_link", "This unsubscribe link is no longer valid.")
    return UnsubscribeRequest(user=user, scope=scope, what=_scope_words(scope))


def _parse_scope(scope: str) -> tuple[str, int | None]:
    """Split a scope into ("email", None), ("contract", id) or ("milestone", id)."""
    if scope == "email":
        return "email", None
    prefix, _, target = scope.partition(":")
    if prefix == "watch" and target[:1] in {"c", "m"} and target[1:].isdigit():
        return ("contract" if target[0] == "c" else "milestone"), int(target[1:])
    raise ValueError(f"Unknown unsubscribe scope {scope!r}.")


def _scope_words(scope: str) -> str:
    kind, target = _parse_scope(scope)
    if target is None:
        return "emails from Milepost"
    if kind == "contract":
        contract = Contract.objects.filter(pk=target).only("reference", "title").first()
        name = f"{contract.reference} {contract.title}" if contract else "this contract"
        return f"updates about the contract {name}"
    milestone = Milestone.objects.filter(pk=target).only("title").first()
    return f"updates about the milestone {milestone.title if milestone else 'you watched'}"


@transaction.atomic
def email_unsubscribe(*, user: User, scope: str) -> bool:
    """Stop the emails a link names; return False when they had already stopped.

    "email" turns every email off; "watch:c<id>" and "watch:m<id>" end that watch.
    """
    try:
        kind, target = _parse_scope(scope)
    except ValueError as error:
        raise DomainError("invalid_scope", str(error), field="scope") from error
    if kind == "email":
        preference, _ = AlertPreference.objects.select_for_update().get_or_create(user=user)
        if not preference.email:
            return False
        preference.email = False
        preference.save(update_fields=["email", "updated_at"])
        event_record(
            actor=user,
            action=AlertEvent.ALERT_PREFERENCE_UNSUBSCRIBED,
            obj=preference,
            before={"email": True},
            after={"email": False},
        )
        return True
    watch = Watch.objects.filter(user=user, **{f"{kind}_id": target}).first()
    if watch is None:
        return False
    event_record(
        actor=user,
        action=AlertEvent.ALERT_PREFERENCE_UNSUBSCRIBED,
        obj=watch,
        before={"watch": scope.partition(":")[2]},
        after={"watch": None},
    )
    watch.delete()
    return True
