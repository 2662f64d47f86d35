"""A contract's payment terms: the cycle, the notice timetable, retention and its release."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from milepost.contracts.models import Contract, Party
from milepost.schedule.models import Milestone

from ..choices import CycleBasis, PaymentRegime


class MoneyTerms(models.Model):
    """How and when a contract pays: its cycle, its notice timetable, and the retention it holds.

    The timetable counts from the end of a valuation period (or the making of the claim, if
    later) to the due date, then to the final date for payment; a payment notice is given within
    ``payment_notice_days`` after the due date and a pay less notice no later than
    ``pay_less_days`` before the final date. ``working_days`` counts all of them on the
    contract's working-day calendar. The defaults are the Scheme's (see ``finance.timetable``).

    Retention is held on interim cycles at ``retention_percent`` (a stage payment holds its own
    percentage), unless a retention bond stands instead. ``retention_first_release_percent`` of
    the balance is released when ``completion`` is met, the rest ``defects_months`` later; each
    release is a payment milestone, created with the terms.
    """

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="money_terms")
    regime = models.CharField(max_length=16, choices=PaymentRegime.choices)
    basis = models.CharField(max_length=16, choices=CycleBasis.choices)
    # The day of the month an interim valuation period ends (1 to 28), or 0 for the month's last day.
    period_end_day = models.PositiveSmallIntegerField(default=0)
    due_days = models.PositiveSmallIntegerField()
    final_days = models.PositiveSmallIntegerField()
    payment_notice_days = models.PositiveSmallIntegerField()
    pay_less_days = models.PositiveSmallIntegerField()
    working_days = models.BooleanField(default=False)
    # A plain invoice regime (net 30) has no statutory notices: the invoice is the notified sum.
    notices_required = models.BooleanField(default=True)
    suspension_notice_days = models.PositiveSmallIntegerField(default=7)
    payer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="money_terms_payer")
    payee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="money_terms_payee")
    retention_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    retention_bond = models.BooleanField(default=False)
    retention_first_release_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(50)
    )
    completion = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    defects_months = models.PositiveSmallIntegerField(default=12)
    first_release = models.OneToOneField(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    second_release = models.OneToOneField(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "money terms"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(regime__in=PaymentRegime.values), name="money_regime_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(basis__in=CycleBasis.values), name="money_basis_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end_day__lte=28), name="money_period_end_day_range"
            ),
            models.CheckConstraint(
                condition=models.Q(retention_percent__gte=0, retention_percent__lte=100),
                name="money_retention_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    retention_first_release_percent__gte=0,
                    retention_first_release_percent__lte=100,
                ),
                name="money_first_release_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(payer=models.F("payee")), name="money_payer_not_payee"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment terms of {self.contract}"
