"""Reads of KPIs, their measurements and the service credits they earn."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.errors import NotFound
from milepost.core.money import quantize
from milepost.schedule.models import Milestone

from .models import KPI, CreditTerms, Measurement, ServiceCredit


def kpi_for_milestone(*, milestone: Milestone) -> KPI | None:
    """Return the KPI of a performance milestone. The caller checked access."""
    return KPI.objects.filter(milestone=milestone).first()


def measurements_for_kpi(*, kpi: KPI) -> QuerySet[Measurement]:
    """Return a KPI's measurements in period order, with who recorded them and any credit."""
    return kpi.measurements.select_related("recorded_by", "kpi", "service_credit").order_by(
        "period_start"
    )


def measurement_get_for_user(*, user: User, pk: int) -> Measurement:
    """Return one measurement on a contract the user can see, or raise NotFound."""
    measurement = (
        Measurement.objects.filter(
            pk=pk, kpi__milestone__contract__in=contracts_for_user(user=user)
        )
        .select_related("kpi__milestone__contract", "recorded_by")
        .first()
    )
    if measurement is None:
        raise NotFound("measurement")
    return measurement


def credit_terms_for_kpi(*, kpi: KPI) -> CreditTerms | None:
    """Return a KPI's service credit terms with the parties they are between, if it has any."""
    return (
        CreditTerms.objects.filter(kpi=kpi)
        .select_related("payer__organisation", "payee__organisation", "kpi__milestone__contract")
        .first()
    )


def credits_for_kpi(*, kpi: KPI) -> QuerySet[ServiceCredit]:
    """Return the service credits a KPI's missed periods earned, in period order."""
    return (
        ServiceCredit.objects.filter(kpi=kpi).select_related("measurement").order_by("period_start")
    )


def credits_for_contract(*, contract: Contract) -> QuerySet[ServiceCredit]:
    """Return every service credit earned on a contract, by period, with its target and parties.

    The finance app offers those not yet ``deducted`` as deductions from a payment to the
    supplier (``payer``) in a pay less notice, where the contract has payment cycles.
    """
    return (
        ServiceCredit.objects.filter(kpi__milestone__contract=contract)
        .select_related(
            "measurement",
            "kpi__milestone__contract",
            "payer__organisation",
            "payee__organisation",
        )
        .order_by("period_start", "kpi__milestone__title", "pk")
    )


@dataclass(frozen=True)
class CreditTotal:
    """What a KPI's missed periods earned in all, and what the caps took off."""

    amount: Decimal
    uncapped: Decimal

    @property
    def capped_off(self) -> Decimal:
        return self.uncapped - self.amount


def credit_total(*, kpi: KPI) -> CreditTotal:
    """Return the sum of a KPI's service credits, from one database aggregate."""
    currency = kpi.milestone.contract.currency
    sums = ServiceCredit.objects.filter(kpi=kpi).aggregate(
        amount=Sum("amount"), uncapped=Sum("uncapped")
    )
    # SQLite sums decimals as floats: round them back to the currency.
    return CreditTotal(
        amount=quantize(Decimal(str(sums["amount"] or 0)), currency),
        uncapped=quantize(Decimal(str(sums["uncapped"] or 0)), currency),
    )
