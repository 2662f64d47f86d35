"""Writes for delay damages: set, change and remove a milestone's liquidated damages terms.

Delay damages are contract terms. While the contract is a draft, a manager of either party
the terms name (the party that would pay them or the party owed them) sets them, as the
parties negotiate. Once the contract is signed (active or suspended) they are agreed, so only
a manager of the organisation that owns the contract may change them, as with the contract's
other terms, and only if that organisation is one of the two parties. A completed or
terminated contract's terms no longer change. Terms whose damages a pay less notice has
already deducted are never removed.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import parse_money, quantize
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone

from ..choices import DamagesUnit, DeductionKind
from ..events import FinanceEvent
from ..models import DamagesTerms, Deduction

HUNDRED = Decimal(100)
_FIELDS = ("rate", "unit", "cap_amount", "cap_percent", "payer", "payee")


def _snapshot(terms: DamagesTerms) -> dict[str, Any]:
    return {
        "rate": terms.rate,
        "unit": terms.unit,
        "cap_amount": terms.cap_amount,
        "cap_percent": terms.cap_percent,
        "currency": terms.milestone.contract.currency,
        "payer": str(terms.payer.organisation),
        "payee": str(terms.payee.organisation),
    }


def _refusal(*, milestone: Milestone, user: User, parties: tuple[Party, ...]) -> DomainError | None:
    contract = milestone.contract
    access: ContractAccess = contract_access(user=user, contract=contract)
    if not access.can_manage:
        return Forbidden("Only a manager or admin of a party to this contract may do this.")
    if contract.is_closed:
        return DomainError(
            "contract_closed",
            f"The contract is {contract.status}; its delay damages no longer change.",
            field="contract",
        )
    if milestone.kind == MilestoneKind.PAYMENT:
        return DomainError(
            "not_damageable",
            "Delay damages run on a completion, a section or another piece of work, "
            "not on a payment.",
            field="milestone",
        )
    named = [p for p in parties if access.acts_for(p.pk, Role.MANAGER)]
    if contract.status == ContractStatus.DRAFT:
        if parties and not named:
            names = " or ".join(str(p.organisation) for p in parties)
            return Forbidden(
                f"Only a manager of {names} may set these delay damages.",
                code="not_damages_party",
            )
        return None
    owner_named = [p for p in named if p.pk in access.owner_parties]
    if not access.can_administer or (parties and not owner_named):
        return Forbidden(
            "The contract is signed, so its delay damages are agreed terms: only a manager of "
            "the organisation that owns the contract, as one of the parties to them, may "
            "change them.",
            code="damages_agreed",
        )
    return None


def damages_terms_refusal(*, milestone: Milestone, user: User) -> DomainError | None:
    """Return why ``user`` may not set or change this milestone's delay damages, or ``None``.

    Judged on the parties the current terms name; new terms may name any two parties, and
    ``damages_terms_set`` checks the ones typed.
    """
    current = DamagesTerms.objects.select_related("payer__organisation", "payee__organisation")
    terms = current.filter(milestone=milestone).first()
    parties = (terms.payer, terms.payee) if terms else ()
    return _refusal(milestone=milestone, user=user, parties=parties)


def _lock(milestone: Milestone) -> Milestone:
    milestone.refresh_from_db(from_queryset=Milestone.objects.select_for_update(no_key=True))
    milestone.contract = Contract.objects.get(pk=milestone.contract_id)
    return milestone


def _party(contract: Contract, party: Party, name: str) -> Party:
    if party.contract_id != contract.pk:
        raise DomainError(
            "party_not_on_contract", f"The {name} is not a party to this contract.", field=name
        )
    return party


def _cap_percent(value: Decimal | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    pct = parse_money(value, field="cap_percent")
    if pct > HUNDRED:
        raise DomainError(
            "invalid_cap_percent",
            "A cap is a percentage of the contract value from 0 to 100.",
            field="cap_percent",
        )
    return pct.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@transaction.atomic
def damages_terms_set(
    *,
    milestone: Milestone,
    actor: User,
    rate: Decimal | str,
    unit: str,
    payer: Party,
    payee: Party,
    cap_amount: Decimal | str | None = None,
    cap_percent: Decimal | str | None = None,
) -> DamagesTerms:
    """Set or change the delay damages ``payer`` owes ``payee`` for each day or week late."""
    milestone = _lock(milestone)
    contract = milestone.contract
    existing = DamagesTerms.objects.select_related(
        "payer__organisation", "payee__organisation", "milestone__contract"
    ).filter(milestone=milestone)
    terms = existing.first()
    refusal = _refusal(milestone=milestone, user=actor, parties=())
    if refusal is not None:
        raise refusal
    payer = _party(contract, payer, "payer")
    payee = _party(contract, payee, "payee")
    if payer.pk == payee.pk:
        raise DomainError(
            "payer_is_payee", "The payer and the payee must be different parties.", field="payee"
        )
    # Both the old parties (changing agreed terms) and the new ones must be the actor's to name.
    for parties in ((terms.payer, terms.payee) if terms else (), (payer, payee)):
        refusal = _refusal(milestone=milestone, user=actor, parties=parties)
        if refusal is not None:
            raise refusal
    if unit not in DamagesUnit.values:
        raise DomainError("invalid_unit", "Damages run per day or per week.", field="unit")
    value = quantize(parse_money(rate, field="rate"), contract.currency)
    if value <= 0:
        raise DomainError("invalid_rate", "The rate is more than zero.", field="rate")
    cap = (
        quantize(parse_money(cap_amount, field="cap_amount"), contract.currency)
        if cap_amount not in (None, "")
        else None
    )
    pct = _cap_percent(cap_percent)
    before = _snapshot(terms) if terms else None
    if terms is None:
        terms = DamagesTerms(milestone=milestone)
    terms.rate, terms.unit, terms.cap_amount, terms.cap_percent = value, unit, cap, pct
    terms.payer, terms.payee, terms.updated_by = payer, payee, actor
    terms.full_clean(exclude=["milestone", "updated_by"])
    if before is None:
        terms.save(force_insert=True)
        event_record(
            actor=actor, action=FinanceEvent.DELAY_DAMAGES_SET, obj=terms, after=_snapshot(terms)
        )
        return terms
    terms.save(update_fields=[*_FIELDS, "updated_by", "updated_at"])
    after = _snapshot(terms)
    event_record(
        actor=actor,
        action=FinanceEvent.DELAY_DAMAGES_CHANGED,
        obj=terms,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return terms


def damages_remove_refusal(*, milestone: Milestone, user: User) -> DomainError | None:
    """Return why ``user`` may not remove this milestone's delay damages now, or ``None``."""
    refusal = damages_terms_refusal(milestone=milestone, user=user)
    if refusal is not None:
        return refusal
    cycles = sorted(
        set(
            Deduction.objects.filter(
                kind=DeductionKind.DELAY_DAMAGES, milestone=milestone
            ).values_list("cycle__number", flat=True)
        )
    )
    if cycles:
        numbers = ", ".join(str(n) for n in cycles)
        return DomainError(
            "damages_deducted",
            f"These delay damages were deducted in payment cycle {numbers}, so they stay on "
            "record.",
            field="milestone",
        )
    return None


@transaction.atomic
def damages_terms_remove(*, milestone: Milestone, actor: User) -> None:
    """Remove a milestone's delay damages terms, unless some were already deducted."""
    milestone = _lock(milestone)
    terms = (
        DamagesTerms.objects.select_related("payer__organisation", "payee__organisation")
        .filter(milestone=milestone)
        .first()
    )
    if terms is None:
        raise DomainError(
            "no_damages", "This milestone carries no delay damages.", field="milestone"
        )
    terms.milestone = milestone
    refusal = damages_remove_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    before = _snapshot(terms)
    event_record(
        actor=actor,
        action=FinanceEvent.DELAY_DAMAGES_REMOVED,
        obj=milestone,
        before=before,
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    terms.delete()
