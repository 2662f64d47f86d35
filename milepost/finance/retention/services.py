"""Writes for retention: the two release payments the money terms plan, and fixing their amount.

A contract's cash retention is released in two payment milestones: the first when completion
is met, the second ``defects_months`` after it (the end of the defects or rectification
period). ``retention_releases_sync`` keeps them in step with the money terms; each is an
ordinary payment milestone (``PaymentTerms.releases_retention``) whose date is relative to the
completion milestone, so it moves when completion moves or is met. Until completion, a release
carries the amount planned from the contract value; ``retention_release_fix`` sets it to what
is actually held when the release is applied for.
"""

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.selectors import contract_access
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import quantize
from milepost.payments.choices import RELEASED, PaymentBasis
from milepost.payments.models import HUNDRED, PaymentTerms
from milepost.payments.services import payment_milestone_create
from milepost.schedule.choices import (
    OPEN_STATUSES,
    AnchorEvent,
    MilestoneKind,
    MilestoneStatus,
)
from milepost.schedule.models import Milestone
from milepost.schedule.planning import MAX_LAG, milestone_anchor_set
from milepost.schedule.services import milestone_record_outcome

from ..events import FinanceEvent
from ..models import MoneyTerms, PaymentCycle
from .selectors import (
    FIRST,
    SECOND,
    release_slot,
    retention_release_amount,
)

__all__ = [
    "release_titles",
    "retention_release_amount",
    "retention_release_fix",
    "retention_release_fix_refusal",
    "retention_releases_sync",
]

release_titles = {
    FIRST: "Retention release at completion",
    SECOND: "Retention release at the end of the defects period",
}


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later (the month's last day if it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _shares(terms: MoneyTerms) -> dict[str, Decimal]:
    first = terms.retention_first_release_percent
    return {FIRST: first, SECOND: HUNDRED - first}


def _wanted(terms: MoneyTerms) -> bool:
    completion = terms.completion
    return (
        terms.retention_percent > 0
        and not terms.retention_bond
        and completion is not None
        and completion.status not in RELEASED
    )


def _planned_amount(terms: MoneyTerms, share: Decimal) -> Decimal:
    """Retention expected on the whole contract value, times this release's share."""
    contract = terms.contract
    expected = contract.value * terms.retention_percent / HUNDRED
    return quantize(expected * share / HUNDRED, contract.currency)


def _completion_day(completion: Milestone) -> dt.date:
    if (
        completion.status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)
        and completion.met_on
    ):
        return completion.met_on
    return completion.due_date


def _offset_days(terms: MoneyTerms, slot: str) -> int:
    """The days from completion to this release: 0, or ``defects_months`` in calendar days."""
    if slot == FIRST:
        return 0
    assert terms.completion is not None
    start = _completion_day(terms.completion)
    days = (add_months(start, terms.defects_months) - start).days
    if days > MAX_LAG:
        raise DomainError(
            "defects_period_too_long",
            f"A defects period is at most {MAX_LAG // 31} months here: the second release is "
            f"counted in days from completion, at most {MAX_LAG:,} days.",
            field="defects_months",
        )
    return days


def _owner(terms: MoneyTerms, actor: User) -> User:
    """Who owns the release: the actor if they act for the payer, else a payer's manager."""
    members = Membership.objects.filter(organisation_id=terms.payer.organisation_id).exclude(
        role=Role.VIEWER
    )
    if members.filter(user=actor).exists():
        return actor
    completion = terms.completion
    if completion is not None and members.filter(user_id=completion.owner_id).exists():
        return completion.owner
    found = (
        members.filter(role__in=[Role.ADMIN, Role.MANAGER]).order_by("pk").first()
        or members.order_by("pk").first()
    )
    if found is None:
        raise DomainError(
            "no_payer_member",
            f"Nobody at {terms.payer.organisation}, the payer, could own the release of "
            "retention: add a member first.",
            field="payer",
        )
    return found.user


def _untouched(milestone: Milestone) -> bool:
    """Whether the release may still be re-planned: open, not invoiced, nothing applied for."""
    payment = milestone.payment
    return (
        milestone.status in OPEN_STATUSES
        and payment.invoiced_on is None
        and payment.paid_amount == 0
        and not PaymentCycle.objects.filter(milestone=milestone).exists()
    )


def _snapshot(milestone: Milestone, terms: MoneyTerms, slot: str) -> dict[str, Any]:
    payment = milestone.payment
    return {
        "release": slot,
        "amount": payment.amount,
        "share": _shares(terms)[slot],
        "currency": terms.contract.currency,
        "due_date": milestone.due_date,
        "completion": milestone.anchor.title if milestone.anchor else None,
        "offset": milestone.anchor_offset,
        "defects_months": terms.defects_months if slot == SECOND else None,
        "payer": str(payment.payer.organisation),
        "payee": str(payment.payee.organisation),
    }


def _withdraw(terms: MoneyTerms, milestone: Milestone, slot: str, actor: User, why: str) -> None:
    """Take back a release that is no longer wanted (cancelled, or deleted while in draft)."""
    before = _snapshot(milestone, terms, slot)
    setattr(terms, f"{slot}_release", None)
    terms.save(update_fields=[f"{slot}_release", "updated_at"])
    event_record(
        actor=actor,
        action=FinanceEvent.RETENTION_RELEASE_PLANNED,
        obj=milestone,
        before=before,
        after={"release": slot, "title": milestone.title, "withdrawn": True, "reason": why},
        contract_id=terms.contract_id,
        milestone_id=milestone.pk,
    )
    if terms.contract.status == ContractStatus.ACTIVE:
        milestone_record_outcome(
            milestone=milestone, status=MilestoneStatus.CANCELLED, actor=actor, reason=why
        )
    else:
        # A draft contract's plan is still being written: nothing was owed yet, so it goes.
        milestone.delete()


def _why_withdrawn(terms: MoneyTerms) -> str:
    if terms.retention_bond:
        return "A retention bond stands instead of cash retention."
    if terms.retention_percent == 0:
        return "The contract holds no retention."
    if terms.completion is None:
        return "The contract names no completion milestone to release retention on."
    return "The release no longer follows the payment terms."


def _create(terms: MoneyTerms, slot: str, amount: Decimal, actor: User) -> Milestone:
    completion = terms.completion
    assert completion is not None
    offset = _offset_days(terms, slot)
    start = _completion_day(completion)
    due = start + dt.timedelta(days=offset)
    share = _shares(terms)[slot]
    milestone = payment_milestone_create(
        contract=terms.contract,
        title=release_titles[slot],
        owner=_owner(terms, actor),
        due_date=due,
        payer=terms.payer,
        payee=terms.payee,
        trigger=completion,
        amount=amount,
        acceptance_criteria=(
            f"Paid in full: {share.normalize():f}% of the retention held, "
            + (
                f"once '{completion.title}' is met."
                if slot == FIRST
                else f"{terms.defects_months} months after '{completion.title}' is met."
            )
        ),
        releases_retention=True,
        actor=actor,
    )
    milestone_anchor_set(
        milestone=milestone,
        anchor=completion,
        actor=actor,
        event=AnchorEvent.MET,
        offset=offset,
    )
    milestone.refresh_from_db()
    return milestone


def _replan(
    terms: MoneyTerms, milestone: Milestone, slot: str, amount: Decimal, actor: User
) -> bool:
    """Bring an untouched release in line with the terms; return whether anything changed."""
    changed = False
    payment = milestone.payment
    if payment.amount != amount:
        value = terms.contract.value
        payment.basis, payment.amount = PaymentBasis.AMOUNT, amount
        payment.percentage = (
            min((amount / value * HUNDRED).quantize(Decimal("0.0001")), HUNDRED)
            if value
            else HUNDRED
        )
        payment.save(update_fields=["basis", "amount", "percentage"])
        changed = True
    offset = _offset_days(terms, slot)
    if (
        milestone.anchor_id != terms.completion_id
        or milestone.anchor_event != AnchorEvent.MET
        or milestone.anchor_offset != offset
    ):
        milestone_anchor_set(
            milestone=milestone,
            anchor=terms.completion,
            actor=actor,
            event=AnchorEvent.MET,
            offset=offset,
        )
        milestone.refresh_from_db()
        changed = True
    return changed


@transaction.atomic
def retention_releases_sync(*, terms: MoneyTerms, actor: User) -> None:
    """Create, re-plan or withdraw the two releases of retention the money terms call for.

    Called by the money terms' service after it saved them (it has checked who may). Nothing
    is planned when no retention is held, a retention bond stands, or no completion milestone
    is named; releases already invoiced, applied for or closed are left as they are.
    """
    terms = (
        MoneyTerms.objects.select_for_update(of=("self",))
        .select_related("contract", "completion", "payer__organisation", "payee__organisation")
        .get(pk=terms.pk)
    )
    wanted = _wanted(terms)
    for slot, share in _shares(terms).items():
        current = getattr(terms, f"{slot}_release")
        amount = _planned_amount(terms, share) if wanted else Decimal(0)
        if current is not None and current.kind != MilestoneKind.PAYMENT:
            current = None
        if current is not None and not _untouched(current):
            # Invoiced, applied for, paid, or given up: what happened to it stands.
            continue
        if current is not None and (
            not wanted
            or amount == 0
            or current.payment.trigger_id != terms.completion_id
            or current.payment.payer_id != terms.payer_id
            or current.payment.payee_id != terms.payee_id
        ):
            _withdraw(terms, current, slot, actor, _why_withdrawn(terms))
            current = None
        if not wanted or amount == 0:
            continue
        if current is None:
            milestone = _create(terms, slot, amount, actor)
            setattr(terms, f"{slot}_release", milestone)
            terms.save(update_fields=[f"{slot}_release", "updated_at"])
            event_record(
                actor=actor,
                action=FinanceEvent.RETENTION_RELEASE_PLANNED,
                obj=milestone,
                after=_snapshot(milestone, terms, slot),
                contract_id=terms.contract_id,
                milestone_id=milestone.pk,
            )
            continue
        before = _snapshot(current, terms, slot)
        if _replan(terms, current, slot, amount, actor):
            event_record(
                actor=actor,
                action=FinanceEvent.RETENTION_RELEASE_PLANNED,
                obj=current,
                before=before,
                after=_snapshot(current, terms, slot),
                contract_id=terms.contract_id,
                milestone_id=current.pk,
            )


def retention_release_fix_refusal(*, milestone: Milestone, user: User) -> DomainError | None:
    """Return why ``user`` may not fix this release's amount now, or ``None``."""
    found = release_slot(milestone=milestone)
    if found is None:
        return DomainError(
            "not_a_release", "This milestone is not a release of retention.", field="milestone"
        )
    terms, _slot = found
    access = contract_access(user=user, contract=milestone.contract)
    if not (
        access.acts_for(terms.payer_id, Role.MANAGER)
        or access.acts_for(terms.payee_id, Role.MANAGER)
    ):
        return Forbidden(
            f"Only a manager of {terms.payer.organisation} or {terms.payee.organisation} may "
            "fix what a release of retention pays.",
            code="not_payment_party",
        )
    if milestone.status not in OPEN_STATUSES:
        return DomainError("milestone_closed", "This release is closed.", field="status")
    payment = milestone.payment
    if payment.invoiced_on is not None:
        return DomainError(
            "already_invoiced",
            "This release has been invoiced; its amount no longer changes.",
            field="amount",
        )
    return None


@transaction.atomic
def retention_release_fix(*, milestone: Milestone, actor: User) -> PaymentTerms:
    """Set what a release of retention pays to what the ledger holds for it now."""
    milestone = (
        Milestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)
    )
    refusal = retention_release_fix_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    payment = PaymentTerms.objects.select_related("milestone__contract").get(milestone=milestone)
    contract = milestone.contract
    amount = retention_release_amount(milestone=milestone)
    if amount <= 0:
        raise DomainError(
            "nothing_to_release",
            "No retention is held for this release to pay back.",
            field="amount",
        )
    if amount == payment.amount:
        return payment
    before = {"amount": payment.amount, "currency": contract.currency}
    payment.basis, payment.amount = PaymentBasis.AMOUNT, amount
    payment.percentage = (
        min((amount / contract.value * HUNDRED).quantize(Decimal("0.0001")), HUNDRED)
        if contract.value
        else HUNDRED
    )
    payment.save(update_fields=["basis", "amount", "percentage"])
    event_record(
        actor=actor,
        action=FinanceEvent.RETENTION_RELEASE_FIXED,
        obj=milestone,
        before=before,
        after={
            "amount": amount,
            "currency": contract.currency,
        },
        contract_id=contract.pk,
        milestone_id=milestone.pk,
    )
    return payment
