"""Payment terms attached to payment milestones."""

import datetime as dt
from decimal import Decimal

from django.db import models

from milepost.contracts.models import Party
from milepost.core.money import quantize
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone

from .choices import PaymentBasis, PaymentState

HUNDRED = Decimal(100)


class PaymentTerms(models.Model):
    """What one party owes another when a triggering milestone is met.

    The amount is fixed or a percentage of the contract value; the other is derived. The payer
    holds back ``retention_percent`` of each invoice until practical completion.
    """

    milestone = models.OneToOneField(Milestone, on_delete=models.CASCADE, related_name="payment")
    basis = models.CharField(max_length=16, choices=PaymentBasis.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    percentage = models.DecimalField(max_digits=7, decimal_places=4)
    payer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="payments_out")
    payee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="payments_in")
    trigger = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, related_name="triggered_payments"
    )
    retention_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    invoiced_on = models.DateField(null=True, blank=True)
    invoiced_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    paid_amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    # A release of retention pays back money the stages already counted, so it stands outside
    # the rule that a contract's payments total at most its value.
    releases_retention = models.BooleanField(default=False)
    # The finance app's payment cycle that applied for this stage: it is paid only through it.
    cycle_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "payment terms"
        # The dashboard's cash flow sums what was paid in a range of months.
        indexes = [models.Index(fields=["paid_on"], name="payment_paid_on_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(payer=models.F("payee")), name="payment_payer_not_payee"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="payment_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(percentage__gte=0, percentage__lte=100),
                name="payment_percentage_range",
            ),
            models.CheckConstraint(
                condition=models.Q(retention_percent__gte=0, retention_percent__lte=100),
                name="payment_retention_range",
            ),
            models.CheckConstraint(
                condition=models.Q(basis__in=PaymentBasis.values), name="payment_basis_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} for {self.milestone}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id

    def retention_of(self, amount: Decimal) -> Decimal:
        """Return the retention held back from ``amount``."""
        return quantize(amount * self.retention_percent / HUNDRED, self.milestone.contract.currency)

    @property
    def retention_amount(self) -> Decimal:
        return self.retention_of(
            self.invoiced_amount if self.invoiced_amount is not None else self.amount
        )

    @property
    def payable_amount(self) -> Decimal:
        """What the payer owes now: the invoice (or the amount) less retention."""
        gross = self.invoiced_amount if self.invoiced_amount is not None else self.amount
        return gross - self.retention_of(gross)

    @property
    def outstanding(self) -> Decimal:
        return max(self.payable_amount - self.paid_amount, Decimal(0))

    def state(self, today: dt.date) -> str:
        """Return where the payment stands on ``today``."""
        status = self.milestone.status
        if status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET):
            # Partially met: a smaller invoice than the agreed amount was paid in full.
            return PaymentState.PAID
        if status in (MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED, MilestoneStatus.NOT_MET):
            return PaymentState.CLOSED
        if self.invoiced_on is not None:
            return (
                PaymentState.OVERDUE if today > self.milestone.due_date else PaymentState.INVOICED
            )
        trigger_done = self.trigger.status in (MilestoneStatus.MET, MilestoneStatus.WAIVED)
        return PaymentState.DUE if trigger_done else PaymentState.PLANNED
