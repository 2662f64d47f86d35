"""Performance targets and the measurements that decide them."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models

from milepost.contracts.models import Party
from milepost.schedule.models import Milestone

from .choices import CreditMethod, Direction, Period


class KPI(models.Model):
    """A measurable target held over a span, such as 99.5% monthly availability.

    Each period from ``measurement_start`` to the milestone's due date gets one measurement;
    the milestone's status follows from them, never from a click.
    """

    milestone = models.OneToOneField(Milestone, on_delete=models.CASCADE, related_name="kpi")
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=32)
    target = models.DecimalField(max_digits=18, decimal_places=4)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    period = models.CharField(max_length=16, choices=Period.choices)
    measurement_start = models.DateField()

    class Meta:
        verbose_name = "KPI"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=Direction.values), name="kpi_direction_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=Period.values), name="kpi_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.get_direction_display().lower()} {self.target.normalize():f} {self.unit}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id

    def passes(self, value: Decimal) -> bool:
        """Return whether one measured value meets the target."""
        return (
            value >= self.target if self.direction == Direction.AT_LEAST else value <= self.target
        )


class Measurement(models.Model):
    """The value a KPI reached over one period, recorded by someone who measured it."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period_start"], name="measurement_one_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.name} {self.period_start}: {self.value}"

    @property
    def contract_id(self) -> int:
        return self.kpi.milestone.contract_id

    @property
    def milestone_id(self) -> int:
        return self.kpi.milestone_id

    @property
    def passed(self) -> bool:
        return self.kpi.passes(self.value)


class CreditTerms(models.Model):
    """What the supplier owes the client for each period a KPI misses its target: a service credit.

    A credit is a fixed ``amount`` per missed period, ``percent`` of the period's charge
    (``period_charge``), or, with ``bands``, the percentage of the charge set against how far the
    measurement missed: each band is ``{"shortfall": "0.5", "percent": "10"}`` and applies from
    that shortfall up to the next band's, sorted by shortfall. ``cap_period`` caps one period's
    credit and ``cap_year`` the credits of one service year (twelve months from the KPI's
    measurement start and each anniversary). ``payer`` is the supplier that gives the credit,
    ``payee`` the client that receives it (taken off a payment to the supplier in a pay less
    notice, where the contract has payment cycles).
    """

    kpi = models.OneToOneField(KPI, on_delete=models.CASCADE, related_name="credit_terms")
    method = models.CharField(max_length=24, choices=CreditMethod.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    period_charge = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    bands = models.JSONField(default=list, blank=True)
    cap_period = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    cap_year = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    payer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "credit terms"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=CreditMethod.values), name="credit_method_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(payer=models.F("payee")), name="credit_payer_not_payee"
            ),
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True)
                | models.Q(percent__gt=0, percent__lte=100),
                name="credit_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Service credits of {self.kpi.name}"


class ServiceCredit(models.Model):
    """The credit one missed period earned: what the supplier gives back against its charges.

    ``uncapped`` is what the terms give for the miss alone; ``amount`` is what stands after the
    caps per period and per service year. It is worked out when the measurement is recorded and
    again when the measurement or the terms change, until a pay less notice deducts it
    (``deducted``): then it is settled and never changes.
    """

    measurement = models.OneToOneField(
        Measurement, on_delete=models.CASCADE, related_name="service_credit"
    )
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="service_credits")
    period_start = models.DateField()
    shortfall = models.DecimalField(max_digits=18, decimal_places=4)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    uncapped = models.DecimalField(max_digits=18, decimal_places=2)
    payer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    # Set when a pay less notice given in time takes the credit off a payment: from then on the
    # credit is settled and never changes (milepost.performance.services.credit_mark_deducted).
    deducted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period_start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, uncapped__gte=models.F("amount")),
                name="service_credit_capped_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Service credit for {self.kpi.name} from {self.period_start}"

    @property
    def capped(self) -> bool:
        return self.amount < self.uncapped


def period_starts(period: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """Return the start of every period from ``first`` whose start is on or before ``last``."""
    starts: list[dt.date] = []
    current = first
    while current <= last:
        starts.append(current)
        current = next_period_start(period, current)
    return starts


def next_period_start(period: str, start: dt.date) -> dt.date:
    """Return the start of the period after the one starting on ``start``."""
    if period == Period.DAY:
        return start + dt.timedelta(days=1)
    if period == Period.WEEK:
        return start + dt.timedelta(days=7)
    months = 1 if period == Period.MONTH else 3
    month_index = start.month - 1 + months
    return start.replace(year=start.year + month_index // 12, month=month_index % 12 + 1)
