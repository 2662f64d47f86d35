"""The events alerts records, and the event types it publishes to people and webhooks.

Two vocabularies: ``AlertEvent`` names what the audit trail records about alerts' own objects
(see ``milepost.audit.events``); ``PublishedEvent`` names the types of the notifications and
webhook messages alerts sends, which the reminder scan and the audit events it fans out
become (``milestone.due_soon``, ``milestone.met``). Some values read alike in both
(``milestone.rescheduled``): an audit event and the message published about it.
"""

from enum import StrEnum
from typing import Any

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence


class AlertEvent(EventType):
    """What happens to reminder rules, preferences, watches, feed tokens and webhook endpoints."""

    REMINDER_RULE_SET = "reminder_rule.set"
    REMINDER_RULE_CLEARED = "reminder_rule.cleared"
    ALERT_PREFERENCE_CHANGED = "alert_preference.changed"
    ALERT_PREFERENCE_UNSUBSCRIBED = "alert_preference.unsubscribed"
    WATCH_ADDED = "watch.added"
    WATCH_REMOVED = "watch.removed"
    FEED_TOKEN_CREATED = "feed_token.created"
    FEED_TOKEN_ROTATED = "feed_token.rotated"
    FEED_TOKEN_REVOKED = "feed_token.revoked"
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted"
    WEBHOOK_ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated"
    WEBHOOK_ENDPOINT_ENABLED = "webhook_endpoint.enabled"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    WEBHOOK_ENDPOINT_TEST_SENT = "webhook_endpoint.test_sent"
    WORKERFAILURE_DELETED_BY_OPERATOR = "workerfailure.deleted_by_operator"
    # An organisation's wait before action requests are reminded and escalated.
    ACTION_RULE_SET = "action_rule.set"


class PublishedEvent(StrEnum):
    """The type of a notification or webhook message; endpoints subscribe to these."""

    MILESTONE_DUE_SOON = "milestone.due_soon"
    MILESTONE_OVERDUE = "milestone.overdue"
    MILESTONE_ESCALATED = "milestone.escalated"
    MILESTONE_CREATED = "milestone.created"
    MILESTONE_STATUS_UPDATE = "milestone.status_update"
    MILESTONE_MET = "milestone.met"
    MILESTONE_MISSED = "milestone.missed"
    MILESTONE_STATUS_CHANGED = "milestone.status_changed"
    MILESTONE_RESCHEDULED = "milestone.rescheduled"
    GATE_DECIDED = "gate.decided"
    PAYMENT_RECORDED = "payment.recorded"
    # Action requests: a person is asked to act, reminded, escalated to their managers; and
    # the request closes (taken, moot or expired).
    ACTION_REQUEST_OPENED = "action_request.opened"
    ACTION_REQUEST_REMINDED = "action_request.reminded"
    ACTION_REQUEST_ESCALATED = "action_request.escalated"
    ACTION_REQUEST_CLOSED = "action_request.closed"
    # Outcome notices to the people an action affects.
    CHANGE_REQUEST_APPROVED = "change_request.approved"
    CHANGE_REQUEST_REJECTED = "change_request.rejected"
    DELIVERABLE_ACCEPTED = "deliverable.accepted"
    DELIVERABLE_SENT_BACK = "deliverable.sent_back"
    PAYMENT_RECEIVED = "payment.received"
    # Sent to one endpoint whatever it subscribes to; never a subscription choice.
    WEBHOOK_TEST = "webhook.test"
    # Operator notices (a ``notice.`` type): about the installation, not a milestone.
    NOTICE_WEBHOOK_DISABLED = "notice.webhook_disabled"


# --- how each audit event reads (see ``milepost.audit.sentences``) ---------------------------

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _rule_scope(e: Told) -> str:
    snapshot = e.event.after or e.event.before or {}
    if snapshot.get("milestone"):
        return e.milestone_named(snapshot["milestone"])
    if snapshot.get("contract"):
        return e.contract_named(snapshot["contract"])
    return e.organisation(snapshot.get("organisation"), "the organisation")


@sentence(AlertEvent.REMINDER_RULE_SET)
def _rule_set(e: Told) -> str:
    offsets = [int(o) for o in e.after("offsets") or [] if isinstance(o, int)]
    unit = "working days" if e.after("working_days") else "days"
    before = (
        f"{e.listed([str(o) for o in offsets])} {unit} before the due date"
        if offsets
        else "none before the due date"
    )
    every = int(e.after("overdue_every") or 0)
    overdue = f", then every {e.count(every, 'day')} when overdue" if every else ""
    after = int(e.after("escalate_after") or 0)
    escalate = f", escalating after {e.count(after, 'day')} overdue" if after else ""
    return f"{e.actor} set the reminders for {_rule_scope(e)}: {before}{overdue}{escalate}."


@sentence(AlertEvent.REMINDER_RULE_CLEARED)
def _rule_cleared(e: Told) -> str:
    return f"{e.actor} removed the reminder rule for {_rule_scope(e)}; the wider rule applies."


def _preference_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "email": ("email alerts", e.on_off),
        "inapp": ("in-app alerts", e.on_off),
        "digest": ("digest", lambda v: e.words(v, "none")),
        "hour": ("hour", lambda v: f"{int(v or 0):02d}:00"),
        "digest_weekday": (
            "digest day",
            lambda v: _WEEKDAYS[v] if isinstance(v, int) and 0 <= v < 7 else "not set",
        ),
    }


@sentence(AlertEvent.ALERT_PREFERENCE_CHANGED)
def _preference_changed(e: Told) -> str:
    return f"{e.actor} changed their alert settings: {e.changes(_preference_labels(e))}."


@sentence(AlertEvent.ALERT_PREFERENCE_UNSUBSCRIBED)
def _unsubscribed(e: Told) -> str:
    if e.before("watch"):
        what = "a contract" if str(e.before("watch")).startswith("c") else "a milestone"
        return f"{e.actor} stopped watching {what} from the link in an email."
    return f"{e.actor} turned email alerts off from the link in an email."


def _watched(e: Told) -> str:
    snapshot = e.event.after or e.event.before or {}
    if snapshot.get("milestone"):
        return e.milestone_named(snapshot["milestone"])
    return e.contract_named(snapshot.get("contract"))


@sentence(AlertEvent.WATCH_ADDED)
def _watch_added(e: Told) -> str:
    return f"{e.actor} started watching {_watched(e)}."


@sentence(AlertEvent.WATCH_REMOVED)
def _watch_removed(e: Told) -> str:
    return f"{e.actor} stopped watching {_watched(e)}."


def _feed(e: Told) -> str:
    contract = e.value("contract_id")
    return (
        f"the calendar feed of {e.contract_named(contract)}" if contract else "their calendar feed"
    )


@sentence(AlertEvent.FEED_TOKEN_CREATED)
def _feed_created(e: Told) -> str:
    return f"{e.actor} turned on {_feed(e)}."


@sentence(AlertEvent.FEED_TOKEN_ROTATED)
def _feed_rotated(e: Told) -> str:
    return f"{e.actor} gave {_feed(e)} a new address; the old one stopped working."


@sentence(AlertEvent.FEED_TOKEN_REVOKED)
def _feed_revoked(e: Told) -> str:
    return f"{e.actor} turned off {_feed(e)}."


def _endpoint_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "url": ("address", lambda v: str(v or "not set")),
        "description": ("description", e.quoted),
        "event_types": (
            "messages it receives",
            lambda v: e.listed([e.words(t).replace(".", " ") for t in v or []]) or "none",
        ),
    }


@sentence(AlertEvent.WEBHOOK_ENDPOINT_CREATED)
def _endpoint_created(e: Told) -> str:
    org = e.organisation(e.after("organisation"), "their organisation")
    return (
        f"{e.actor} added the webhook endpoint {e.after('url') or 'without an address'} for {org}."
    )


@sentence(AlertEvent.WEBHOOK_ENDPOINT_UPDATED)
def _endpoint_updated(e: Told) -> str:
    return f"{e.actor} changed a webhook endpoint: {e.changes(_endpoint_labels(e))}."


@sentence(AlertEvent.WEBHOOK_ENDPOINT_DELETED)
def _endpoint_deleted(e: Told) -> str:
    return f"{e.actor} removed the webhook endpoint {e.before('url') or 'without an address'}."


@sentence(AlertEvent.WEBHOOK_ENDPOINT_SECRET_ROTATED)
def _endpoint_rotated(e: Told) -> str:
    return f"{e.actor} replaced the signing secret of a webhook endpoint."


@sentence(AlertEvent.WEBHOOK_ENDPOINT_ENABLED)
def _endpoint_enabled(e: Told) -> str:
    return f"{e.actor} turned a disabled webhook endpoint back on."


@sentence(AlertEvent.WEBHOOK_ENDPOINT_DISABLED)
def _endpoint_disabled(e: Told) -> str:
    since = e.after("failing_since")
    failing = f" after it had failed since {e.date(since)}" if since else ""
    return f"{e.actor} turned a webhook endpoint off{failing}{e.note('disabled_reason')}."


@sentence(AlertEvent.WEBHOOK_ENDPOINT_TEST_SENT)
def _endpoint_tested(e: Told) -> str:
    return f"{e.actor} sent a test message to a webhook endpoint."


@sentence(AlertEvent.WORKERFAILURE_DELETED_BY_OPERATOR)
def _failure_deleted(e: Told) -> str:
    tries = e.count(int(e.before("attempts") or 0), "attempt")
    what = {"forecast": "forecast refresh", "plan": "reminder plan", "event": "event fan-out"}.get(
        str(e.before("unit")), "worker job"
    )
    return f"{e.actor} dismissed a failed {what} after {tries} in the administration pages."


@sentence(
    AlertEvent.ACTION_RULE_SET,
    example={"after": {"organisation": 1, "remind_after": 2, "escalate_after": 5}},
)
def _action_rule_set(e: Told) -> str:
    who = e.organisation(e.after("organisation"), "the organisation")
    remind = e.count(int(e.after("remind_after") or 0), "working day")
    after = int(e.after("escalate_after") or 0)
    escalate = (
        f" and escalated to its managers after {e.count(after, 'working day')}"
        if after
        else " and never escalated"
    )
    return f"{e.actor} set that requests to {who} are reminded after {remind}{escalate}."
