"""Delay damages: what a late completion or section costs the party responsible, per day."""

from django.conf import settings
from django.db import models

from milepost.contracts.models import Party
from milepost.schedule.models import Milestone

from ..choices import DamagesUnit


class DamagesTerms(models.Model):
    """Liquidated damages for a milestone finished late, such as completion or a section.

    They accrue at ``rate`` per day or week from the day after the milestone's contractual
    date until it is met. The contractual date is the baseline moved only by approved change
    requests (extensions of time), never by a reschedule. The total is capped by
    ``cap_amount`` or by ``cap_percent`` of the contract value, whichever is set.
    ``payer`` owes them (the party late) to ``payee``; they are taken by pay less notices.
    """

    milestone = models.OneToOneField(Milestone, on_delete=models.CASCADE, related_name="damages")
    rate = models.DecimalField(max_digits=18, decimal_places=2)
    unit = models.CharField(max_length=8, choices=DamagesUnit.choices)
    cap_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    cap_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    payer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "damages terms"
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="damages_rate_positive"),
            models.CheckConstraint(
                condition=models.Q(unit__in=DamagesUnit.values), name="damages_unit_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(cap_amount__isnull=True) | models.Q(cap_amount__gte=0),
                name="damages_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_percent__isnull=True)
                | models.Q(cap_percent__gte=0, cap_percent__lte=100),
                name="damages_cap_percent_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(payer=models.F("payee")), name="damages_payer_not_payee"
            ),
        ]

    def __str__(self) -> str:
        return f"Delay damages of {self.rate} {self.get_unit_display()} on {self.milestone}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id
