"""The events alerts records, and the event types it publishes to people and webhooks.

Two vocabularies: ``AlertEvent`` names what the audit trail records about alerts' own objects
(see ``milepost.audit.events``); ``PublishedEvent`` names the types of the notifications and
webhook messages alerts sends, which the reminder scan and the audit events it fans out
become (``milestone.due_soon``, ``milestone.met``). Some values read alike in both
(``milestone.rescheduled``): an audit event and the message published about it.
"""

from enum import StrEnum

from milepost.audit.events import EventType


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
    # Sent to one endpoint whatever it subscribes to; never a subscription choice.
    WEBHOOK_TEST = "webhook.test"
    # Operator notices (a ``notice.`` type): about the installation, not a milestone.
    NOTICE_WEBHOOK_DISABLED = "notice.webhook_disabled"
