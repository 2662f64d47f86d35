"""Reads of payment terms for pages and reports."""

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from milepost.contracts.models import Contract
from milepost.core.errors import DomainError
from milepost.core.money import quantize
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.consequences import PaymentLine
from milepost.schedule.models import Milestone

from .choices import RELEASED
from .models import PaymentTerms


def payments_for_contract(*, contract: Contract) -> QuerySet[PaymentTerms]:
    """Return a contract's payment terms in due-date order. The caller checked access."""
    return (
        PaymentTerms.objects.filter(milestone__contract=contract)
        .select_related(
            "milestone__contract", "trigger", "payer__organisation", "payee__organisation"
        )
        .order_by("milestone__due_date", "milestone_id")
    )


def payment_totals(*, contract: Contract) -> dict[str, Decimal]:
    """Return the committed, invoiced and paid totals of a contract's live payments.

    Releases of retention stand outside the contract value (they pay back what the stages held
    back), so they are not committed against it; what was invoiced and paid on them counts.
    """
    totals = (
        PaymentTerms.objects.filter(milestone__contract=contract)
        .exclude(milestone__status__in=RELEASED)
        .aggregate(
            committed=Sum("amount", filter=Q(releases_retention=False)),
            invoiced=Sum("invoiced_amount"),
            paid=Sum("paid_amount"),
        )
    )
    # SQLite sums decimals as floats: give every total the currency's places again.
    return {key: quantize(value or Decimal(0), contract.currency) for key, value in totals.items()}


def payment_for_milestone(*, milestone: Milestone) -> PaymentTerms:
    """Return a payment milestone's terms with its parties and trigger. The caller checked access."""
    terms = (
        PaymentTerms.objects.select_related("trigger", "payer__organisation", "payee__organisation")
        .filter(milestone=milestone)
        .first()
    )
    if terms is None and milestone.kind == MilestoneKind.PAYMENT:
        # A damaged database: the payment lost its terms row (the dashboard says the same).
        raise DomainError(
            "payment_terms_missing",
            "Its payment terms are missing: no amount, payer or payee is recorded.",
            field="kind",
        )
    if terms is None:
        raise DomainError("not_a_payment", "This milestone is not a payment.", field="kind")
    terms.milestone = milestone  # already loaded with its contract
    return terms


def payment_lines_for_contract(contract: Contract) -> list[PaymentLine]:
    """Return each payment milestone of the contract with its amount, for schedule impact."""
    return [
        PaymentLine(
            milestone_id=pk,
            title=title,
            amount=amount,
            currency=contract.currency,
            due_date=due,
            trigger_id=trigger_id,
            payer_party_id=payer_id,
            payee_party_id=payee_id,
        )
        for pk, title, amount, due, trigger_id, payer_id, payee_id in PaymentTerms.objects.filter(
            milestone__contract=contract
        ).values_list(
            "milestone_id",
            "milestone__title",
            "amount",
            "milestone__due_date",
            "trigger_id",
            "payer_id",
            "payee_id",
        )
    ]
