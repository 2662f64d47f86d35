"""Issued reports (immutable snapshots) and report subscriptions with their deliveries."""

from django.conf import settings
from django.db import models

from milepost.contracts.models import Contract
from milepost.core.errors import DomainError

from .choices import DeliveryStatus, Frequency, ReportType

# "Contract status report: " and a contract's reference (64) and title (200) fit, with room.
REPORT_TITLE_MAX = 300


class IssuedReport(models.Model):
    """A report as it was issued: the rendered page and its PDF, never drawn again.

    The figures are those of the moment it was issued; later changes to the contract leave it
    as it was, and ``sha256`` (of the PDF) lets a reader check the copy they were sent.
    """

    report_type = models.CharField(max_length=20, choices=ReportType.choices)
    # None for a portfolio report, which covers every contract its issuer sees.
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="issued_reports"
    )
    title = models.CharField(max_length=REPORT_TITLE_MAX)
    audience = models.CharField(max_length=120)
    period_start = models.DateField()
    period_end = models.DateField()
    issued_at = models.DateTimeField()
    # None when the worker issued it for a subscription.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subscription = models.ForeignKey(
        "ReportSubscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issued_reports",
    )
    scheduled_for = models.DateField(null=True, blank=True)
    html = models.TextField()
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    figures = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["contract", "-issued_at"], name="issued_report_contract_idx")
        ]
        constraints = [
            # A subscription's report for a day is issued once, however many workers run.
            models.UniqueConstraint(
                fields=["subscription", "scheduled_for"],
                condition=models.Q(subscription__isnull=False),
                name="issued_report_once_per_day",
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="issued_report_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_start} to {self.period_end})"

    def save(self, *args: object, **kwargs: object) -> None:
        # A snapshot is written once; nothing may redraw it differently later.
        if not self._state.adding:
            raise DomainError("report_immutable", "An issued report cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ReportSubscription(models.Model):
    """A report sent by email on a schedule to a distribution list, weekly or monthly."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report_type = models.CharField(max_length=20, choices=ReportType.choices)
    audience = models.CharField(max_length=120)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    # Monday is 0; set for weekly subscriptions.
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    # 1 to 28, so that every month has the day; set for monthly subscriptions.
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    # How far a look-ahead looks: 2 or 4 weeks.
    weeks = models.PositiveSmallIntegerField(default=2)
    next_run_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A report that could not be issued is tried again later, so that it never holds up the
    # others; after a few failures that day is given up and the next scheduled day is tried.
    failures = models.PositiveSmallIntegerField(default=0)
    retry_after = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_run_on"], name="report_subscription_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(frequency=Frequency.WEEKLY, weekday__gte=0, weekday__lte=6)
                    | models.Q(
                        frequency=Frequency.MONTHLY, day_of_month__gte=1, day_of_month__lte=28
                    )
                ),
                name="report_subscription_schedule_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(weeks__in=[2, 4]), name="report_subscription_weeks_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_report_type_display()} for {self.contract}"


class SubscriptionRecipient(models.Model):
    """One entry of a subscription's distribution list: a member, or a plain email address."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="recipients"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, email="")
                    | models.Q(user__isnull=True) & ~models.Q(email="")
                ),
                name="subscription_recipient_one_kind",
            ),
            models.UniqueConstraint(
                fields=["subscription", "user"],
                condition=models.Q(user__isnull=False),
                name="subscription_recipient_user_once",
            ),
            models.UniqueConstraint(
                fields=["subscription", "email"],
                condition=~models.Q(email=""),
                name="subscription_recipient_email_once",
            ),
        ]

    def __str__(self) -> str:
        return self.email or str(self.user)

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"email:{self.email.lower()}"


class ReportDelivery(models.Model):
    """One email of one issued report to one recipient; the key makes it happen once."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    report = models.ForeignKey(IssuedReport, on_delete=models.CASCADE, related_name="deliveries")
    issue_date = models.DateField()
    recipient_key = models.CharField(max_length=280)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "report deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="report_delivery_due_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "issue_date", "recipient_key"],
                name="report_delivery_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} to {self.email or self.user}"


class ContractCashMonth(models.Model):
    """One contract's payments planned and paid in one month, for the dashboard's cash flow.

    Planned is the amount of the contract's payment milestones due that month (not waived or
    cancelled); paid is what was paid on them that month, plus the money received that month
    on interim valuations. The database keeps these rows as payments, milestones and receipts
    change, in the writing transaction (``reporting/cash_months.py``), so that the dashboard
    adds up one row per contract and month rather than joining every payment; a month with
    nothing in it may have no row, or a row of zeros.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    planned = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    paid = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="cash_month_unique")
        ]
        # The dashboard reads a range of months for the visible contracts from this index alone.
        indexes = [
            models.Index(
                fields=["month", "contract", "planned", "paid"], name="cash_month_cover_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%b %Y}: {self.planned} planned, {self.paid} paid"
