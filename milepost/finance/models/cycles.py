"""Payment cycles: an application for payment, the notices that answer it, and the money paid."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models

from milepost.contracts.models import Contract, Party
from milepost.performance.models import Measurement
from milepost.schedule.models import Milestone

from ..choices import DeductionKind


class PaymentCycle(models.Model):
    """One application for payment and everything that answers it.

    The payee applies for ``gross_value`` (for an interim cycle, the gross valuation to date;
    for a stage, the stage's invoice) less retention to date less what earlier cycles notified:
    ``applied_sum``. The timetable (due date, final date, notice deadlines) is fixed when the
    application is made. The payer's payment notice sets ``notified_sum``; without one in time
    the payee's default notice makes the application the notified sum. A pay less notice in time
    lowers what is payable to ``pay_less_sum``, its deductions itemised. Money received is a
    list of receipts; outstanding and overdue are derived from them, never typed.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="payment_cycles")
    number = models.PositiveIntegerField()
    payer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    # The payment milestone a stage cycle applies for; empty for an interim valuation.
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="payment_cycles"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField()
    applied_on = models.DateField()
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    gross_value = models.DecimalField(max_digits=18, decimal_places=2)
    retention = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    previous = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    applied_sum = models.DecimalField(max_digits=18, decimal_places=2)
    due_date = models.DateField()
    final_date = models.DateField()
    payment_notice_by = models.DateField()
    pay_less_by = models.DateField()
    # The payer's payment notice (given late, it is kept on record but the application stands).
    notified_sum = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    notice_given_on = models.DateField(null=True, blank=True)
    notice_basis = models.TextField(blank=True)
    notice_late = models.BooleanField(default=False)
    notice_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The payee's default notice, when no payment notice came in time.
    default_notice_on = models.DateField(null=True, blank=True)
    default_notice_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The payer's pay less notice (given late, it is kept on record but does not lower the sum).
    pay_less_sum = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    pay_less_on = models.DateField(null=True, blank=True)
    pay_less_grounds = models.TextField(blank=True)
    pay_less_late = models.BooleanField(default=False)
    pay_less_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The payee's notice of intention to suspend, once the final date passed unpaid.
    suspension_notice_on = models.DateField(null=True, blank=True)
    suspension_from = models.DateField(null=True, blank=True)
    suspension_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "number"]
        indexes = [
            models.Index(fields=["due_date"], name="cycle_due_idx"),
            models.Index(fields=["final_date"], name="cycle_final_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="cycle_number_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    gross_value__gte=0, retention__gte=0, previous__gte=0, applied_sum__gte=0
                ),
                name="cycle_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(notified_sum__isnull=True) | models.Q(notified_sum__gte=0),
                name="cycle_notified_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(pay_less_sum__isnull=True) | models.Q(pay_less_sum__gte=0),
                name="cycle_pay_less_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(payer=models.F("payee")), name="cycle_payer_not_payee"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment cycle {self.number} of {self.contract}"

    @property
    def retention_to_date(self) -> Decimal:
        """The retention held on the gross value to date: this cycle's share and earlier ones'.

        ``applied_sum`` is the gross less it less ``previous``, so it is what those leave.
        """
        return self.gross_value - self.previous - self.applied_sum

    @property
    def is_stage(self) -> bool:
        return self.milestone_id is not None

    @property
    def notice_in_time(self) -> bool:
        return self.notice_given_on is not None and not self.notice_late

    @property
    def payable_before_pay_less(self) -> Decimal:
        """The notified sum: the payment notice's if given in time, else the application's."""
        if self.notice_in_time and self.notified_sum is not None:
            return self.notified_sum
        return self.applied_sum

    @property
    def payable(self) -> Decimal:
        """What the payer must pay by the final date: lowered only by a pay less notice in time."""
        if (
            self.pay_less_on is not None
            and not self.pay_less_late
            and self.pay_less_sum is not None
        ):
            return self.pay_less_sum
        return self.payable_before_pay_less

    @property
    def withheld(self) -> Decimal:
        """What the notices took off the application (never negative: a notice may pay more)."""
        return max(self.applied_sum - self.payable, Decimal(0))

    def default_notice_open(self, today: dt.date) -> bool:
        """Whether the payee may now give a default notice: the payment notice's time has passed."""
        return (
            today > self.payment_notice_by
            and not self.notice_in_time
            and self.default_notice_on is None
        )


class Receipt(models.Model):
    """Money received against a payment cycle: one of possibly several part payments."""

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.CASCADE, related_name="receipts")
    paid_on = models.DateField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    reference = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        indexes = [models.Index(fields=["paid_on"], name="receipt_paid_on_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="receipt_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} received on {self.paid_on}"


class Deduction(models.Model):
    """One item a pay less notice takes off: delay damages, a service credit, or other grounds.

    Delay damages name the late milestone and a service credit the measurement that earned it,
    so the same damages or credit is never deducted twice.
    """

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.CASCADE, related_name="deductions")
    kind = models.CharField(max_length=16, choices=DeductionKind.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    measurement = models.ForeignKey(
        Measurement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Delay damages: the days of delay this deduction covers, up to ``through``.
    through = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["cycle", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="deduction_positive"),
            models.CheckConstraint(
                condition=models.Q(kind__in=DeductionKind.values), name="deduction_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["measurement"],
                condition=models.Q(measurement__isnull=False),
                name="deduction_credit_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.amount}"
