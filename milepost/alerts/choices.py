"""Channels, kinds and delivery statuses of notifications, and digest frequencies."""

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    INAPP = "inapp", "In-app"
    # Email held for the recipient's daily or weekly digest instead of sent on its own.
    DIGEST = "digest", "Digest email"
    WEBHOOK = "webhook", "Webhook"


# The channels a reminder rule may name; webhooks belong to organisations, not to rules.
PERSON_CHANNELS = (Channel.EMAIL, Channel.INAPP)


class Kind(models.TextChoices):
    REMINDER = "reminder", "Reminder before the due date"
    OVERDUE = "overdue", "Overdue reminder"
    ESCALATION = "escalation", "Escalation"
    UPDATE = "update", "Stakeholder update"
    NOTICE = "notice", "Notice"
    # An action request: opened, reminded or escalated (see ``models.ActionRequest``).
    ACTION = "action", "Action request"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    # Claimed by a worker until ``lease_until``; a worker that dies leaves it to be re-claimed.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    # No longer true when its moment came (met, rescheduled, access lost): not sent, by design.
    SKIPPED = "skipped", "Skipped"
    # Every retry failed; the last error is kept.
    FAILED = "failed", "Failed"


class Digest(models.TextChoices):
    OFF = "off", "Send each email as it happens"
    DAILY = "daily", "One email a day"
    WEEKLY = "weekly", "One email a week"


class WorkUnit(models.TextChoices):
    """What one of the worker's failures is about (``WorkerFailure.object_id`` names which)."""

    FORECAST = "forecast", "Contract forecast refresh"
    PLAN = "plan", "Milestone reminder plan"
    EVENT = "event", "Event fan-out"
    CLOCK = "clock", "Communication deemed by the contract's clock"


class WorkState(models.TextChoices):
    RETRYING = "retrying", "Retrying"
    # Every attempt failed: skipped until repaired.
    FAILED = "failed", "Failed"


class ActionKind(models.TextChoices):
    """What an action request asks its recipient to do."""

    CHANGE_APPROVAL = "change_approval", "Approve a change"
    GATE_DECISION = "gate_decision", "Decide a gate"
    ACCEPTANCE = "acceptance", "Accept a deliverable"
    PAYMENT = "payment", "Pay an invoice"
    MEASUREMENT = "measurement", "Record a measurement"
    RECOVERY = "recovery", "Complete a recovery action"
    PROGRESS_UPDATE = "progress_update", "Say how a milestone is going"
    # A payment cycle's notices and money (``finance``): each has a deadline of its own.
    PAYMENT_NOTICE = "payment_notice", "Give a payment notice"
    DEFAULT_NOTICE = "default_notice", "Give a default notice"
    CYCLE_PAYMENT = "cycle_payment", "Pay an application for payment"
    # The contract's clock (``communications``): an answer owed by a day, a failure to notify,
    # and a compensation event to notify before its time bar.
    REPLY = "reply", "Answer a communication"
    FAILURE_NOTICE = "failure_notice", "Notify a failure to reply"
    NOTIFY_EVENT = "notify_event", "Notify a compensation event"


class CloseReason(models.TextChoices):
    TAKEN = "taken", "Done"
    # Nothing left to decide: the milestone or contract closed, the change was withdrawn.
    MOOT = "moot", "No longer needed"
    EXPIRED = "expired", "Expired"
