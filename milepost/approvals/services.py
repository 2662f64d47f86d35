"""Writes for gates: who must approve, their decisions, and re-opening a rejected gate."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.dates import local_today, validate_milestone_date, zone
from milepost.core.errors import DomainError, Forbidden
from milepost.core.text import NOTE_MAX, text_check
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    milestone_create,
    milestone_meet_refusal,
    milestone_record_outcome,
    milestone_release,
    milestone_release_refusal,
    milestone_set_progress,
)

from .choices import Decision
from .events import ApprovalEvent
from .models import GateDecision, GateRequirement


@transaction.atomic
def gate_create(
    *,
    contract: Contract,
    title: str,
    owner: User,
    responsible_party: Party,
    due_date: dt.date,
    required_parties: Sequence[Party],
    acceptance_criteria: str,
    criticality: str = Criticality.CRITICAL,
    description: str = "",
    reference: str = "",
    actor: User,
) -> Milestone:
    """Create a gate that passes only when every required party approves."""
    contract_access(user=actor, contract=contract).require_manager()
    if not required_parties:
        raise DomainError(
            "approvers_required",
            "Name at least one party whose approval the gate needs.",
            field="required_parties",
        )
    if len({p.pk for p in required_parties}) != len(required_parties):
        raise DomainError(
            "duplicate_approver", "Name each required party once.", field="required_parties"
        )
    for party in required_parties:
        if party.contract_id != contract.pk:
            raise DomainError(
                "party_not_on_contract",
                f"{party.organisation} is not a party to this contract.",
                field="required_parties",
            )
    milestone = milestone_create(
        contract=contract,
        kind=MilestoneKind.GATE,
        title=title,
        owner=owner,
        responsible_party=responsible_party,
        due_date=due_date,
        criticality=criticality,
        acceptance_criteria=acceptance_criteria,
        description=description,
        reference=reference,
        actor=actor,
    )
    for party in required_parties:
        requirement = GateRequirement.objects.create(milestone=milestone, party=party)
        event_record(
            actor=actor,
            action=ApprovalEvent.GATE_APPROVER_REQUIRED,
            obj=requirement,
            after={"party": str(party.organisation)},
            milestone_id=milestone.pk,
        )
    return milestone


def gate_decide_refusal(
    *,
    milestone: Milestone,
    party: Party,
    user: User,
    decision: str = Decision.APPROVE,
    access: ContractAccess | None = None,
) -> DomainError | None:
    """Return why ``user`` may not give ``party``'s ``decision`` on this gate now, or ``None``.

    The check ``gate_decide`` makes before it looks at the comment and date typed. The approval
    that would pass the gate waits for what the gate follows to be met; a rejection does not.
    """
    if milestone.kind != MilestoneKind.GATE:
        return DomainError("not_a_gate", "Only gates take approvals.", field="kind")
    if decision not in Decision.values:
        return DomainError("invalid_decision", "Decide 'approve' or 'reject'.", field="decision")
    if not GateRequirement.objects.filter(milestone=milestone, party=party).exists():
        return DomainError(
            "party_not_required",
            f"{party.organisation} is not asked to approve this gate.",
            field="party",
        )
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.acts_for(party.pk, Role.MANAGER):
        return Forbidden(
            f"Only a manager or admin of {party.organisation} may decide for it.",
            code="not_party_manager",
        )
    # Checked here, not only when the status moves: an approval that leaves the gate in progress
    # changes no status, and would otherwise be recorded on a suspended contract.
    if milestone.contract.status != ContractStatus.ACTIVE:
        return DomainError(
            "contract_not_active",
            "Gates are decided while the contract is active.",
            field="contract",
        )
    if not milestone.is_open:
        return DomainError("gate_closed", "This gate has been decided already.", field="decision")
    if GateDecision.objects.filter(milestone=milestone, party=party).exists():
        return DomainError(
            "already_decided",
            f"{party.organisation} has decided on this gate already.",
            field="party",
        )
    if decision == Decision.APPROVE:
        # The last approval passes the gate, which waits for what it follows to be met.
        required = set(
            GateRequirement.objects.filter(milestone=milestone).values_list("party_id", flat=True)
        )
        approved = set(
            GateDecision.objects.filter(milestone=milestone, decision=Decision.APPROVE).values_list(
                "party_id", flat=True
            )
        )
        if required <= approved | {party.pk}:
            return milestone_meet_refusal(milestone)
    return None


def gate_may_decide(*, milestone: Milestone, party: Party, user: User) -> str | None:
    """Return why ``user`` may not approve this gate for ``party`` now, or ``None`` if they may."""
    refusal = gate_decide_refusal(milestone=milestone, party=party, user=user)
    return refusal.message if refusal else None


@transaction.atomic
def gate_decide(
    *,
    milestone: Milestone,
    party: Party,
    decision: str,
    comment: str = "",
    actor: User,
    decided_on: dt.date | None = None,
) -> GateDecision:
    """Record one required party's decision; all approvals pass the gate, a rejection fails it.

    ``decided_on`` records a decision given earlier (never in the future), as the contract's
    history has it; the gate passed by the last approval is met on that day. It defaults to today.
    """
    if milestone.kind != MilestoneKind.GATE:
        raise DomainError("not_a_gate", "Only gates take approvals.", field="kind")
    # Judge the gate as it is now, not as the caller loaded it: a copy from before a rejection
    # would take an approval and move the gate back to in progress. The lock also serialises the
    # required parties, so the last two approvals cannot both miss each other and leave it open.
    milestone.refresh_from_db(from_queryset=Milestone.objects.select_for_update(no_key=True))
    required = set(
        GateRequirement.objects.filter(milestone=milestone).values_list("party_id", flat=True)
    )
    refusal = gate_decide_refusal(milestone=milestone, party=party, user=actor, decision=decision)
    if refusal is not None:
        raise refusal
    if decision == Decision.REJECT and not comment.strip():
        raise DomainError("reason_required", "Say why the gate is rejected.", field="comment")
    text_check(comment.strip(), field="comment", limit=NOTE_MAX, label="The comment")
    today = local_today(milestone.contract.time_zone)
    if decided_on is not None and decided_on > today:
        raise DomainError(
            "decided_in_future", "A decision cannot be dated in the future.", field="decided_on"
        )
    validate_milestone_date(
        decided_on,
        field="decided_on",
        start=milestone.contract.start_date,
        end=milestone.contract.end_date,
    )
    record = GateDecision.objects.create(
        milestone=milestone,
        party=party,
        decision=decision,
        comment=comment.strip(),
        decided_by=actor,
    )
    after: dict[str, Any] = {
        "party": str(party.organisation),
        "decision": decision,
        "comment": record.comment,
    }
    if decided_on is not None and decided_on != today:
        # auto_now_add stamps now on create: a decision given earlier keeps its own day (noon in
        # the contract's zone, so that the day reads the same there).
        record.decided_at = dt.datetime.combine(
            decided_on, dt.time(12), tzinfo=zone(milestone.contract.time_zone)
        )
        GateDecision.objects.filter(pk=record.pk).update(decided_at=record.decided_at)
        after["decided_on"] = decided_on
    event_record(actor=actor, action=ApprovalEvent.GATE_DECIDED, obj=record, after=after)
    approvals = dict(
        GateDecision.objects.filter(milestone=milestone, decision=Decision.APPROVE).values_list(
            "party_id", "decided_at"
        )
    )
    approved = set(approvals)
    milestone_set_progress(
        milestone=milestone,
        progress=round(100 * len(approved & required) / len(required)),
        actor=actor,
    )
    if decision == Decision.REJECT:
        milestone_record_outcome(
            milestone=milestone,
            status=MilestoneStatus.NOT_MET,
            actor=actor,
            reason=f"Rejected by {party.organisation}: {record.comment}",
            action=ApprovalEvent.GATE_REJECTED,
        )
    elif approved >= required:
        # The gate passed on the day of its last approval, whichever order they were entered
        # in: a backdated approval entered after today's does not pass it before today.
        tz = zone(milestone.contract.time_zone)
        passed_on = max(approvals[pk].astimezone(tz).date() for pk in required)
        milestone_record_outcome(
            milestone=milestone,
            status=MilestoneStatus.MET,
            met_on=passed_on,
            actor=actor,
            action=ApprovalEvent.GATE_PASSED,
        )
    elif milestone.status == MilestoneStatus.SCHEDULED:
        milestone_record_outcome(
            milestone=milestone, status=MilestoneStatus.IN_PROGRESS, actor=actor
        )
    return record


@transaction.atomic
def gate_reopen(*, milestone: Milestone, reason: str, actor: User) -> Milestone:
    """Re-open a rejected gate for a fresh round of decisions; the old ones stay in the history."""
    if milestone.kind != MilestoneKind.GATE:
        raise DomainError("not_a_gate", "Only gates are re-opened.", field="kind")
    milestone.refresh_from_db(from_queryset=Milestone.objects.select_for_update(no_key=True))
    contract_access(user=actor, contract=milestone.contract).require_manager()
    if milestone.status != MilestoneStatus.NOT_MET:
        raise DomainError(
            "gate_not_rejected", "Only a rejected gate can be re-opened.", field="status"
        )
    if not reason.strip():
        raise DomainError(
            "reason_required", "Say what changed since the rejection.", field="reason"
        )
    text_check(reason.strip(), field="reason", limit=NOTE_MAX, label="The reason")
    GateDecision.objects.filter(milestone=milestone).delete()
    milestone_set_progress(milestone=milestone, progress=0, actor=actor)
    return milestone_record_outcome(
        milestone=milestone,
        status=MilestoneStatus.IN_PROGRESS,
        actor=actor,
        reason=reason.strip(),
        action=ApprovalEvent.GATE_REOPENED,
    )


def gate_release_refusal(*, milestone: Milestone, status: str, user: User) -> DomainError | None:
    """Return why ``user`` may not give this gate up as ``status`` now, or ``None``."""
    if milestone.kind != MilestoneKind.GATE:
        return DomainError("not_a_gate", "Only gates are released here.", field="kind")
    required = list(
        GateRequirement.objects.filter(milestone=milestone).values_list("party_id", flat=True)
    )
    return milestone_release_refusal(
        milestone=milestone, status=status, deciders=required, all_deciders=True, user=user
    )


@transaction.atomic
def gate_release(*, milestone: Milestone, status: str, reason: str, actor: User) -> Milestone:
    """Waive or cancel a gate; it takes a manager of every required party, as passing it would."""
    if milestone.kind != MilestoneKind.GATE:
        raise DomainError("not_a_gate", "Only gates are released here.", field="kind")
    required = list(
        GateRequirement.objects.filter(milestone=milestone).values_list("party_id", flat=True)
    )
    return milestone_release(
        milestone=milestone,
        status=status,
        reason=reason,
        deciders=required,
        all_deciders=True,
        actor=actor,
    )
