"""Reads for retention: what a contract holds, what it released, and what a release pays."""

from decimal import Decimal

from django.db.models import Q, Sum

from milepost.core.money import quantize
from milepost.payments.choices import RELEASED
from milepost.payments.models import HUNDRED
from milepost.schedule.models import Milestone

from ..models import MoneyTerms, PaymentCycle, Receipt

FIRST = "first"
SECOND = "second"


def _sum(value: Decimal | float | None, currency: str) -> Decimal:
    # SQLite sums decimals as floats: re-quantize to the currency's places.
    return quantize(Decimal(str(value or 0)), currency)


def release_slot(*, milestone: Milestone) -> tuple[MoneyTerms, str] | None:
    """Return the money terms this milestone releases retention for and which release it is."""
    terms = (
        MoneyTerms.objects.filter(Q(first_release=milestone) | Q(second_release=milestone))
        .select_related("contract", "payer__organisation", "payee__organisation")
        .first()
    )
    if terms is None:
        return None
    return terms, FIRST if terms.first_release_id == milestone.pk else SECOND


def retention_held(*, contract_id: int, currency: str) -> Decimal:
    """Retention held by all the contract's payment cycles so far."""
    total = PaymentCycle.objects.filter(contract_id=contract_id).aggregate(t=Sum("retention"))["t"]
    return _sum(total, currency)


def _release_cycles(contract_id: int) -> Q:
    return Q(cycle__contract_id=contract_id, cycle__milestone__payment__releases_retention=True)


def retention_released(*, contract_id: int, currency: str) -> Decimal:
    """Money received on cycles that apply for a release of retention."""
    total = Receipt.objects.filter(_release_cycles(contract_id)).aggregate(t=Sum("amount"))["t"]
    return _sum(total, currency)


def _applied_for(milestone_id: int, currency: str) -> Decimal:
    total = PaymentCycle.objects.filter(milestone_id=milestone_id).aggregate(t=Sum("gross_value"))[
        "t"
    ]
    return _sum(total, currency)


def retention_release_amount(*, milestone: Milestone) -> Decimal:
    """What a release of retention pays now.

    The first release pays its share (``retention_first_release_percent``) of the retention
    held; the second pays whatever is left: held, less what the first release applied for (or,
    not yet applied for, its share). A milestone that is not a release pays nothing here.
    """
    found = release_slot(milestone=milestone)
    if found is None:
        return Decimal(0)
    terms, slot = found
    currency = terms.contract.currency
    held = retention_held(contract_id=terms.contract_id, currency=currency)
    first_share = terms.retention_first_release_percent
    if slot == FIRST:
        return quantize(held * first_share / HUNDRED, currency)
    first_taken = Decimal(0)
    if terms.first_release_id is not None:
        first_taken = _applied_for(terms.first_release_id, currency)
        if first_taken == 0 and terms.first_release_id != milestone.pk:
            first = Milestone.objects.filter(pk=terms.first_release_id).values_list(
                "status", flat=True
            )
            if first and first[0] not in RELEASED:
                first_taken = quantize(held * first_share / HUNDRED, currency)
    return max(held - first_taken, Decimal(0))
