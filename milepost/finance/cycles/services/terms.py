"""Writes for a contract's payment terms."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contract_access
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import parse_money
from milepost.payments.models import HUNDRED
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone

from ...choices import CycleBasis, PaymentRegime
from ...events import FinanceEvent
from ...models import MoneyTerms, PaymentCycle
from ...timetable import REGIME_DEFAULTS
from ._common import (
    MAX_PERIOD_DAYS,
    MIN_SUSPENSION_DAYS,
    PERIOD_FIELDS,
    ZERO,
    _stages_paid,
    _terms_of,
)

# --- the money terms ------------------------------------------------------------------------


def money_terms_refusal(*, contract: Contract, user: User) -> DomainError | None:
    """Return why ``user`` may not set this contract's payment terms now, or ``None``.

    While the contract is a draft, a manager of any party but an observer may set them (the
    parties are still agreeing them); once it is active, only the organisation that owns the
    contract may change them, as it changes the contract's other terms. A closed contract's
    terms no longer change.
    """
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        return DomainError(
            "contract_closed",
            "The payment terms of a closed contract no longer change.",
            field="contract",
        )
    access = contract_access(user=user, contract=contract)
    if contract.status == ContractStatus.DRAFT and access.can_manage:
        return None
    if access.can_administer:
        return None
    if contract.status == ContractStatus.DRAFT:
        return Forbidden(
            "Only a manager of a party to this contract may set its payment terms.",
            code="not_terms_manager",
        )
    return Forbidden(
        "Once the contract is active, only a manager of the organisation that owns it may "
        "change its payment terms.",
        code="not_terms_manager",
    )


def _contract_party(contract: Contract, party: Party, field: str) -> Party:
    if party.contract_id != contract.pk:
        raise DomainError(
            "party_not_on_contract", f"The {field} is not a party to this contract.", field=field
        )
    if party.role == PartyRole.OBSERVER:
        raise DomainError("observer_party", f"An observer cannot be the {field}.", field=field)
    return party


def _percent(value: Decimal | str, field: str) -> Decimal:
    pct = parse_money(value, field=field).quantize(Decimal("0.01"))
    if pct > HUNDRED:
        raise DomainError("invalid_percent", "A percentage is from 0 to 100.", field=field)
    return pct


def _whole(value: Any, field: str, low: int, high: int, words: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "invalid_number", f"Give {words} as a whole number.", field=field
        ) from exc
    if str(value).strip() not in (str(number), f"{number}.0") and not isinstance(value, int):
        raise DomainError("invalid_number", f"Give {words} as a whole number.", field=field)
    if not low <= number <= high:
        raise DomainError(
            "invalid_number",
            f"{words[:1].upper()}{words[1:]} is from {low} to {high}.",
            field=field,
        )
    return number


def _periods(regime: str, given: dict[str, Any]) -> dict[str, int]:
    """The four periods: the regime's, or for custom terms the contract's own, checked."""
    defaults = REGIME_DEFAULTS[regime]
    fixed = {name: getattr(defaults, name) for name in PERIOD_FIELDS}
    if regime != PaymentRegime.CUSTOM:
        for name in PERIOD_FIELDS:
            if given.get(name) is not None and int(given[name]) != fixed[name]:
                raise DomainError(
                    "periods_fixed_by_regime",
                    f"{PaymentRegime(regime).label} sets this period to {fixed[name]} days; "
                    "choose the contract's own payment terms to set other periods.",
                    field=name,
                )
        return fixed
    words = {
        "due_days": "the days to the due date",
        "final_days": "the days from the due date to the final date",
        "payment_notice_days": "the days to give a payment notice",
        "pay_less_days": "the days before the final date for a pay less notice",
    }
    periods = {
        name: _whole(
            given[name] if given.get(name) is not None else fixed[name],
            name,
            0,
            MAX_PERIOD_DAYS,
            words[name],
        )
        for name in PERIOD_FIELDS
    }
    if periods["final_days"] == 0:
        raise DomainError(
            "invalid_number",
            "The final date comes at least a day after the due date.",
            field="final_days",
        )
    if periods["payment_notice_days"] + periods["pay_less_days"] > periods["final_days"]:
        raise DomainError(
            "notices_overlap",
            "The payment notice's days and the pay less notice's days together must fit "
            f"within the {periods['final_days']} days from the due date to the final date.",
            field="pay_less_days",
        )
    return periods


@transaction.atomic
def money_terms_set(
    *,
    contract: Contract,
    actor: User,
    regime: str,
    basis: str,
    payer: Party,
    payee: Party,
    due_days: int | None = None,
    final_days: int | None = None,
    payment_notice_days: int | None = None,
    pay_less_days: int | None = None,
    working_days: bool = False,
    period_end_day: int = 0,
    suspension_notice_days: int = 7,
    retention_percent: Decimal | str = ZERO,
    retention_bond: bool = False,
    retention_first_release_percent: Decimal | str = Decimal(50),
    completion: Milestone | None = None,
    defects_months: int = 12,
) -> MoneyTerms:
    """Set (or change) how the contract pays; the regime gives the periods unless custom."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    refusal = money_terms_refusal(contract=contract, user=actor)
    if refusal is not None:
        raise refusal
    if regime not in PaymentRegime.values:
        raise DomainError("invalid_regime", "Choose one of the payment regimes.", field="regime")
    if basis not in CycleBasis.values:
        raise DomainError("invalid_basis", "Choose interim valuations or stages.", field="basis")
    if basis == CycleBasis.INTERIM and _stages_paid(contract):
        raise DomainError(
            "stages_and_interim",
            "This contract has payment milestones, so it is paid by stages: a contract is "
            "paid by interim valuations or by stages, never both.",
            field="basis",
        )
    _contract_party(contract, payer, "payer")
    _contract_party(contract, payee, "payee")
    if payer.pk == payee.pk:
        raise DomainError(
            "payer_is_payee", "The payer and the payee must be different parties.", field="payee"
        )
    periods = _periods(
        regime,
        {
            "due_days": due_days,
            "final_days": final_days,
            "payment_notice_days": payment_notice_days,
            "pay_less_days": pay_less_days,
        },
    )
    values: dict[str, Any] = {
        "regime": regime,
        "basis": basis,
        "payer": payer,
        "payee": payee,
        **periods,
        "working_days": bool(working_days),
        "notices_required": REGIME_DEFAULTS[regime].notices_required,
        "period_end_day": _whole(
            period_end_day, "period_end_day", 0, 28, "the day the period ends"
        ),
        "suspension_notice_days": _whole(
            suspension_notice_days,
            "suspension_notice_days",
            MIN_SUSPENSION_DAYS,
            90,
            "the days' notice of suspension",
        ),
        "retention_percent": _percent(retention_percent, "retention_percent"),
        "retention_bond": bool(retention_bond),
        "retention_first_release_percent": _percent(
            retention_first_release_percent, "retention_first_release_percent"
        ),
        "completion": completion,
        "defects_months": _whole(
            defects_months, "defects_months", 0, 120, "the defects period in months"
        ),
    }
    if completion is not None:
        if completion.contract_id != contract.pk:
            raise DomainError(
                "invalid_completion",
                "Completion must be a milestone of this contract.",
                field="completion",
            )
        if completion.kind == MilestoneKind.PAYMENT:
            raise DomainError(
                "invalid_completion",
                "Completion is the work's milestone, not a payment.",
                field="completion",
            )
    terms = _terms_of(contract)
    if terms is not None and PaymentCycle.objects.filter(contract=contract).exists():
        for name in ("payer", "payee"):
            if getattr(terms, f"{name}_id") != values[name].pk:
                raise DomainError(
                    "terms_in_use",
                    f"Payment cycles have been applied for, so the {name} no longer changes.",
                    field=name,
                )
    snapshot = _terms_snapshot
    if terms is None:
        terms = MoneyTerms(contract=contract, updated_by=actor, **values)
        terms.full_clean(exclude=["contract", "updated_by", "first_release", "second_release"])
        terms.save()
        event_record(
            actor=actor,
            action=FinanceEvent.MONEY_TERMS_SET,
            obj=terms,
            after=snapshot(terms, contract),
        )
    else:
        before = snapshot(terms, contract)
        for name, value in values.items():
            setattr(terms, name, value)
        terms.updated_by = actor
        terms.save(update_fields=[*values, "updated_by", "updated_at"])
        after = snapshot(terms, contract)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            event_record(
                actor=actor,
                action=FinanceEvent.MONEY_TERMS_CHANGED,
                obj=terms,
                before={k: before.get(k) for k in changed},
                after=changed,
            )
    from ...retention.services import retention_releases_sync

    retention_releases_sync(terms=terms, actor=actor)
    return terms


def _terms_snapshot(terms: MoneyTerms, contract: Contract) -> dict[str, Any]:
    return {
        "regime": terms.regime,
        "basis": terms.basis,
        "payer": str(terms.payer.organisation),
        "payee": str(terms.payee.organisation),
        "due_days": terms.due_days,
        "final_days": terms.final_days,
        "payment_notice_days": terms.payment_notice_days,
        "pay_less_days": terms.pay_less_days,
        "working_days": terms.working_days,
        "period_end_day": terms.period_end_day,
        "suspension_notice_days": terms.suspension_notice_days,
        "retention_percent": terms.retention_percent,
        "retention_bond": terms.retention_bond,
        "retention_first_release_percent": terms.retention_first_release_percent,
        "completion": terms.completion.title if terms.completion else None,
        "defects_months": terms.defects_months,
        "currency": contract.currency,
    }
