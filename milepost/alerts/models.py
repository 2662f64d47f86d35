"""Reminder rules, the notification outbox, and what people subscribe to.

The outbox (``Notification``) holds one row per (occurrence, recipient, channel), guarded by a
unique ``key``. Workers claim due rows, deliver them and record the outcome; a row whose worker
died is claimed again when its lease runs out. Nothing is sent that has no row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from milepost.accounts.models import Organisation
from milepost.audit.models import Event
from milepost.contracts.models import Contract
from milepost.core.models import TimeStampedModel
from milepost.schedule.models import Milestone

from .choices import (
    ActionKind,
    Channel,
    CloseReason,
    Digest,
    Kind,
    Status,
    WorkState,
    WorkUnit,
)


class ReminderRule(TimeStampedModel):
    """When to remind whom about a milestone's due date.

    A rule belongs to exactly one of an organisation (its default for contracts it owns), a
    contract or a milestone; the most specific one applies. ``offsets`` are days before the
    due date (0 is the day itself). Overdue milestones are reminded every ``overdue_every``
    days (0: never) and escalated after ``escalate_after`` days (null: never). With
    ``working_days`` every count skips weekends and the contract's holidays.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_rule"
    )
    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_rule"
    )
    milestone = models.OneToOneField(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_rule"
    )
    offsets = models.JSONField(default=list)
    working_days = models.BooleanField(default=False)
    overdue_every = models.PositiveSmallIntegerField(default=2)
    escalate_after = models.PositiveSmallIntegerField(null=True, blank=True, default=3)
    escalate_critical_to_counterparty = models.BooleanField(default=True)
    channels = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, contract__isnull=True, milestone__isnull=True)
                    | Q(organisation__isnull=True, contract__isnull=False, milestone__isnull=True)
                    | Q(organisation__isnull=True, contract__isnull=True, milestone__isnull=False)
                ),
                name="reminder_rule_one_scope",
            )
        ]

    def __str__(self) -> str:
        return f"Reminder rule {self.pk}"


class ReminderPlan(models.Model):
    """The next day a milestone has a reminder, kept so that a scan reads only what is due.

    ``next_at`` is the first instant of ``next_on`` anywhere on Earth (UTC+14), so the scan
    meets a trigger before any recipient's local hour on that day. ``done_through`` is the
    last day whose triggers have been turned into notifications.
    """

    milestone = models.OneToOneField(
        Milestone, on_delete=models.CASCADE, primary_key=True, related_name="reminder_plan"
    )
    due_date = models.DateField()
    done_through = models.DateField()
    next_on = models.DateField(null=True, blank=True)
    next_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_at"], condition=Q(next_at__isnull=False), name="plan_next_at_idx"
            )
        ]

    def __str__(self) -> str:
        return f"Plan for milestone {self.milestone_id}: next {self.next_on}"


class WebhookEndpoint(TimeStampedModel):
    """An organisation's URL that receives milestone events, signed per Standard Webhooks.

    ``event_types`` empty means every type. An endpoint that keeps failing is disabled
    (``disabled_at``) and its organisation's admins are told.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    event_types = models.JSONField(default=list, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # The first failure since the last success; cleared by a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class Notification(models.Model):
    """One message to one recipient on one channel: the outbox row a worker delivers.

    ``key`` is unique per (occurrence, recipient, channel), so the same reminder can never be
    queued twice. ``payload`` holds what the message says, fixed when the row is made; the
    message id (email ``Message-ID``, ``webhook-id``) is derived from the row's id, so a
    retry after a crash carries the same id and a receiver can drop it.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    event_type = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The day this reminder is about (its trigger date), for reminders.
    fire_on = models.DateField(null=True, blank=True)
    # Sent late, after its moment had passed (a worker was down): it says so.
    catch_up = models.BooleanField(default=False)
    payload = models.JSONField(default=dict)
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Rows sent together in one email (a digest or a catch-up) share this id.
    batch = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # What a worker claims: due pending rows, and rows whose worker's lease ran out.
            models.Index(
                fields=["send_after"],
                condition=Q(status=Status.PENDING),
                name="notification_due_idx",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status=Status.SENDING),
                name="notification_lease_idx",
            ),
            # The bell and the in-app list.
            models.Index(
                fields=["user", "channel", "status", "read_at"],
                name="notification_inbox_idx",
            ),
            models.Index(fields=["endpoint", "created_at"], name="notification_endpoint_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="notification_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(endpoint__isnull=False),
                name="notification_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event_type} #{self.pk}"

    @property
    def message_id(self) -> str:
        """The stable id a receiver can use to drop a repeat: ``msg_<id>`` or the batch's."""
        return f"msg_{self.batch or self.pk}"


class Watch(models.Model):
    """A person following a contract or one milestone, to hear of its updates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(contract__isnull=False, milestone__isnull=True)
                | Q(contract__isnull=True, milestone__isnull=False),
                name="watch_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "contract"],
                condition=Q(contract__isnull=False),
                name="watch_contract_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "milestone"],
                condition=Q(milestone__isnull=False),
                name="watch_milestone_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.contract or self.milestone}"


class AlertPreference(models.Model):
    """How and when one person hears from Milepost. Missing row: the defaults below."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    email = models.BooleanField(default=True)
    inapp = models.BooleanField(default=True)
    digest = models.CharField(max_length=8, choices=Digest.choices, default=Digest.OFF)
    # The local hour (in the user's time zone) reminders and digests are sent at.
    hour = models.PositiveSmallIntegerField(default=8)
    # Monday is 0; the day a weekly digest goes out.
    digest_weekday = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="alert_preference_hour"),
            models.CheckConstraint(
                condition=Q(digest_weekday__lte=6), name="alert_preference_weekday"
            ),
            models.CheckConstraint(
                condition=Q(digest__in=Digest.values), name="alert_preference_digest_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Alert preferences of {self.user}"


class FeedToken(TimeStampedModel):
    """The secret in a calendar feed's URL: a user's own milestones, or one contract's.

    The feed shows only what its user may see at the moment it is read; rotating replaces
    the token, so the old URL stops working.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(contract__isnull=True), name="feed_token_user_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "contract"],
                condition=Q(contract__isnull=False),
                name="feed_token_contract_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Feed of {self.user}" + (f" for {self.contract}" if self.contract_id else "")


class WorkerCursor(models.Model):
    """Where the worker has got to in the event log, and (on SQLite) who holds the lease."""

    name = models.CharField(max_length=32, primary_key=True)
    position = models.BigIntegerField(default=0)
    holder = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class WorkerFailure(models.Model):
    """One unit of the worker's work that raised: a contract's forecast refresh, a milestone's
    reminder plan, or an audit event's fan-out.

    The worker logs it, records it here and goes on with everything else. It tries the unit
    again after ``retry_after``, up to ``MAX_ATTEMPTS`` times in all; then the row is
    ``failed`` and the unit is skipped until it is repaired (a reschedule, or ``milepost
    repair_dates``), which clears the row. ``milepost status`` and the admin list these rows.
    (A notification that fails keeps its own count and state on the ``Notification`` row.)
    """

    unit = models.CharField(max_length=16, choices=WorkUnit.choices)
    # The contract (forecast), milestone (plan) or event id.
    object_id = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=WorkState.choices, default=WorkState.RETRYING)
    attempts = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField()
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    retry_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "object_id"], name="worker_failure_unique"),
            models.CheckConstraint(
                condition=Q(unit__in=WorkUnit.values), name="worker_failure_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=WorkState.values), name="worker_failure_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_unit_display()} {self.object_id}: {self.state}"


# What each kind of request asks, as the words of its link.
ACTION_VERBS: dict[str, str] = {
    ActionKind.CHANGE_APPROVAL: "Approve or reject",
    ActionKind.GATE_DECISION: "Approve or reject",
    ActionKind.ACCEPTANCE: "Accept or send back",
    ActionKind.PAYMENT: "Record the payment",
    ActionKind.MEASUREMENT: "Record the measurement",
    ActionKind.RECOVERY: "Mark it done",
    ActionKind.PROGRESS_UPDATE: "Answer",
    ActionKind.PAYMENT_NOTICE: "Give the payment notice",
    ActionKind.DEFAULT_NOTICE: "Give the default notice",
    ActionKind.CYCLE_PAYMENT: "Record the payment",
    ActionKind.REPLY: "Answer it",
    ActionKind.FAILURE_NOTICE: "Notify the failure",
    ActionKind.NOTIFY_EVENT: "Notify the event",
}


class ActionRule(TimeStampedModel):
    """How long an organisation lets a request addressed to its people wait.

    A request opened for someone acting for the organisation is reminded after
    ``remind_after`` working days and escalated to the organisation's admins and managers
    after ``escalate_after`` working days (null: never), counted on the contract's calendar.
    Without a row the defaults below apply.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="action_rule"
    )
    remind_after = models.PositiveSmallIntegerField(default=2)
    escalate_after = models.PositiveSmallIntegerField(null=True, blank=True, default=5)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(remind_after__gte=1, remind_after__lte=60),
                name="action_rule_remind_range",
            ),
            models.CheckConstraint(
                condition=Q(escalate_after__isnull=True)
                | Q(escalate_after__gte=1, escalate_after__lte=60),
                name="action_rule_escalate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Action rule of {self.organisation}"


class ActionRequest(models.Model):
    """A decision or answer the product waits for, addressed to one person who may give it.

    Approving a change, deciding a gate, accepting a deliverable, paying an invoice, recording
    a measurement, completing a recovery action, saying how a milestone is going: each
    becomes one row per (what is asked, recipient). The worker opens it from the event that
    made the action possible and closes it from the event that took it (``taken``), made it
    pointless (``moot``: the milestone or the contract closed, the change was withdrawn) or
    when ``expires_at`` passes (``expired``). ``organisation`` is the one the recipient acts
    for: its rule says when to remind (``remind_on``) and escalate (``escalate_on``), and its
    admins and managers hear of the escalation. ``key`` names the occurrence, so reading the
    same event twice opens nothing twice, and only one request per (kind, object, recipient)
    is ever open.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What the action is about: "schedule.changerequest" 12, "schedule.milestone" 7, ...
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="action_requests"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Who asked (the actor of the opening event), when a person did.
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the request says and where to act, fixed when it opens.
    sentence = models.CharField(max_length=500)
    url = models.CharField(max_length=500)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    remind_on = models.DateField(null=True, blank=True)
    escalate_on = models.DateField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # When the reminder scan next looks at it (the start of the next remind/escalate day).
    next_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=8, choices=CloseReason.choices, blank=True)
    closed_by = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["opened_at", "id"]
        indexes = [
            # "Waiting for you", oldest first, and the navigation's count.
            models.Index(
                fields=["recipient", "opened_at"],
                condition=Q(closed_at__isnull=True),
                name="action_open_recipient_idx",
            ),
            models.Index(
                fields=["next_at"],
                condition=Q(closed_at__isnull=True, next_at__isnull=False),
                name="action_next_at_idx",
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(closed_at__isnull=True, expires_at__isnull=False),
                name="action_expires_at_idx",
            ),
            models.Index(fields=["object_type", "object_id"], name="action_object_idx"),
            models.Index(fields=["milestone"], name="action_milestone_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "recipient"],
                condition=Q(closed_at__isnull=True),
                name="action_request_one_open",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActionKind.values), name="action_request_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, close_reason="")
                | Q(closed_at__isnull=False, close_reason__in=CloseReason.values),
                name="action_request_closed_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def verb(self) -> str:
        """What the link to act says: "Approve or reject", "Record the payment"."""
        return ACTION_VERBS[self.kind]
