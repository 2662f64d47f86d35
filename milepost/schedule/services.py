"""Writes for a milestone's life: create, edit, reschedule, record an outcome, give up, progress.

Dates and what follows them are ``planning``'s; links are ``dependencies``'; what people add to
a milestone (updates, comments, evidence) is ``records``'; a deliverable's acceptance is
``acceptance``'.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.audit.events import EventType
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden
from milepost.core.models import apply_changes, validate_lengths
from milepost.core.text import NOTE_MAX, text_check

from .choices import (
    DONE_STATUSES,
    HOW_MET,
    MANUAL_STATUSES,
    OPEN_STATUSES,
    Criticality,
    MilestoneKind,
    MilestoneStatus,
    check_transition,
)
from .events import ScheduleEvent
from .models import Milestone
from .planning import apply_due_date, check_milestone_date, recompute, require_editable

# The responsible and accepting parties are fixed at creation: moving them would let one party
# take over another's right to accept. Cancel and re-create the milestone instead.
EDITABLE_FIELDS = (
    "title",
    "description",
    "owner",
    "criticality",
    "acceptance_criteria",
)


def _value(value: Any) -> Any:
    """Return a JSON-friendly form of a field value for the event log."""
    if isinstance(value, Party):
        return str(value.organisation)
    if isinstance(value, User):
        return value.username
    return value


def _snapshot(milestone: Milestone, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: _value(getattr(milestone, name)) for name in fields}


def require_active_contract(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            "contract_not_active",
            f"The contract is {contract.status}; milestones change status only while it is active.",
            field="status",
        )


def _validate(milestone: Milestone) -> None:
    """Check a milestone's fields against each other and its contract."""
    contract = milestone.contract
    validate_lengths(milestone)
    if not milestone.title.strip():
        raise DomainError("required", "A milestone needs a title.", field="title")
    if milestone.reference and (
        Milestone.objects.filter(contract=contract, reference=milestone.reference)
        .exclude(pk=milestone.pk)
        .exists()
    ):
        raise DomainError(
            "duplicate_reference",
            f"Another milestone of this contract has the reference '{milestone.reference}'.",
            field="reference",
        )
    if milestone.kind not in MilestoneKind.values:
        raise DomainError(
            "invalid_kind", f"'{milestone.kind}' is not a milestone kind.", field="kind"
        )
    if milestone.criticality not in Criticality.values:
        raise DomainError(
            "invalid_criticality", "Criticality is critical or standard.", field="criticality"
        )
    if not milestone.acceptance_criteria.strip():
        raise DomainError(
            "required",
            "Say how the milestone is judged met: acceptance criteria are required.",
            field="acceptance_criteria",
        )
    if milestone.responsible_party.contract_id != contract.pk:
        raise DomainError(
            "party_not_on_contract",
            "The responsible party is not a party to this contract.",
            field="responsible_party",
        )
    if milestone.due_date < contract.start_date:
        raise DomainError(
            "due_before_start",
            f"The due date is before the contract starts ({contract.start_date}).",
            field="due_date",
        )
    owner_role = (
        Membership.objects.filter(
            user=milestone.owner, organisation_id=milestone.responsible_party.organisation_id
        )
        .values_list("role", flat=True)
        .first()
    )
    if owner_role is None or owner_role == Role.VIEWER:
        raise DomainError(
            "owner_not_member",
            f"The owner must be a member of {milestone.responsible_party.organisation}, the responsible party.",
            field="owner",
        )
    if milestone.kind == MilestoneKind.DELIVERABLE:
        if milestone.accepting_party is None:
            raise DomainError(
                "accepting_party_required",
                "Name the party that accepts this deliverable.",
                field="accepting_party",
            )
        if milestone.accepting_party.contract_id != contract.pk:
            raise DomainError(
                "party_not_on_contract",
                "The accepting party is not a party to this contract.",
                field="accepting_party",
            )
        if milestone.accepting_party_id == milestone.responsible_party_id:
            raise DomainError(
                "accepting_party_is_responsible",
                "A deliverable is accepted by another party than the one that delivers it.",
                field="accepting_party",
            )
    elif milestone.accepting_party_id is not None:
        raise DomainError(
            "accepting_party_not_allowed",
            "Only deliverables have an accepting party.",
            field="accepting_party",
        )


@transaction.atomic
def milestone_create(
    *,
    contract: Contract,
    kind: str,
    title: str,
    owner: User,
    responsible_party: Party,
    due_date: dt.date,
    acceptance_criteria: str,
    criticality: str = Criticality.STANDARD,
    description: str = "",
    accepting_party: Party | None = None,
    reference: str = "",
    actor: User,
) -> Milestone:
    """Create a milestone; payment, performance and gate milestones come from their own apps.

    Those apps call this first and add their kind's terms in the same transaction.
    """
    contract_access(user=actor, contract=contract).require_manager()
    require_editable(contract)
    milestone = Milestone(
        contract=contract,
        kind=kind,
        title=title.strip(),
        reference=reference.strip(),
        description=description,
        owner=owner,
        responsible_party=responsible_party,
        accepting_party=accepting_party,
        criticality=criticality,
        acceptance_criteria=acceptance_criteria,
        baseline_due_date=due_date,
        due_date=due_date,
    )
    _validate(milestone)
    check_milestone_date(due_date, contract)
    milestone.save()
    event_record(
        actor=actor,
        action=ScheduleEvent.MILESTONE_CREATED,
        obj=milestone,
        after={
            **_snapshot(
                milestone, ["kind", *EDITABLE_FIELDS, "responsible_party", "accepting_party"]
            ),
            "due_date": due_date,
            **({"reference": milestone.reference} if milestone.reference else {}),
        },
    )
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, actor: User, **changes: Any) -> Milestone:
    """Change a milestone's title, description, owner, criticality or acceptance criteria."""
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_manager()
    require_editable(milestone.contract)
    changed, before = apply_changes(
        milestone, changes, editable=EDITABLE_FIELDS, snapshot=_snapshot
    )
    if not changed:
        return milestone
    if "owner" in changed and not access.acts_for(milestone.responsible_party_id, Role.MANAGER):
        milestone.refresh_from_db(fields=changed)
        raise Forbidden(
            f"Only a manager of {milestone.responsible_party.organisation} may hand its milestones "
            "to another owner.",
            code="not_responsible_manager",
        )
    _validate(milestone)
    milestone.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.MILESTONE_UPDATED,
        obj=milestone,
        before=before,
        after=_snapshot(milestone, changed),
    )
    return milestone


def may_reschedule_directly(milestone: Milestone, access: ContractAccess) -> bool:
    """Say whether ``access`` may move this milestone without a change request.

    A party may move its own standard milestones when the contract allows it; critical,
    pinned and relative dates, and other parties' milestones, need the counterparty's approval.
    """
    return (
        milestone.contract.self_reschedule
        and milestone.criticality == Criticality.STANDARD
        and not milestone.pinned
        and milestone.anchor_id is None
        and access.acts_for(milestone.responsible_party_id, Role.MANAGER)
    )


@transaction.atomic
def milestone_reschedule(
    *, milestone: Milestone, due_date: dt.date, reason: str, actor: User
) -> Milestone:
    """Move one's own standard milestone with a reason; what follows it moves too.

    The baseline date stays as agreed. Anything else goes through a change request.
    """
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_manager()
    require_editable(milestone.contract)
    if not milestone.is_open:
        raise DomainError(
            "milestone_closed", "Only an open milestone can be rescheduled.", field="due_date"
        )
    if milestone.anchor_id is not None:
        raise DomainError(
            "date_is_relative",
            f"This date follows '{milestone.anchor}'; change its anchor or make it fixed.",
            field="due_date",
        )
    if milestone.pinned:
        raise DomainError(
            "milestone_pinned",
            "This date is pinned by the contract; propose a change request to move it.",
            field="due_date",
        )
    if not may_reschedule_directly(milestone, access):
        raise Forbidden(
            _why_change_request(milestone),
            code="change_request_required",
        )
    if not reason.strip():
        raise DomainError("reason_required", "Say why the date moves.", field="reason")
    text_check(reason.strip(), field="reason", limit=NOTE_MAX, label="The reason")
    if due_date < milestone.contract.start_date:
        raise DomainError(
            "due_before_start", "The due date is before the contract starts.", field="due_date"
        )
    check_milestone_date(due_date, milestone.contract)
    if due_date == milestone.due_date:
        raise DomainError(
            "unchanged", "The milestone is already due on that date.", field="due_date"
        )
    apply_due_date(milestone=milestone, due_date=due_date, reason=reason.strip(), actor=actor)
    return milestone


def _why_change_request(milestone: Milestone) -> str:
    if not milestone.contract.self_reschedule:
        return "This contract moves dates only by approved change request."
    if milestone.criticality == Criticality.CRITICAL:
        return "A critical milestone moves only by approved change request."
    return (
        f"Only {milestone.responsible_party.organisation}, the responsible party, may move this "
        "milestone directly; propose a change request instead."
    )


def _blocking_predecessors(milestone: Milestone) -> list[tuple[str, str]]:
    """Return (kind, title) of direct predecessors that are neither met nor given up.

    Finish-to-start: a milestone is met only after what it follows. Each predecessor was itself
    held to this rule, so checking direct links covers the whole chain. A waived or cancelled
    gate no longer stands in the way; only its required parties may release it.
    """
    return list(
        Milestone.objects.filter(successor_links__successor=milestone)
        .exclude(status__in=DONE_STATUSES)
        .values_list("kind", "title")
    )


def milestone_meet_refusal(milestone: Milestone) -> DomainError | None:
    """Return why ``milestone`` cannot be met (or met in part) yet because of what it follows,
    or ``None``: a gate before it not passed, or a predecessor neither met nor given up."""
    blocking = _blocking_predecessors(milestone)
    gates = [title for kind, title in blocking if kind == MilestoneKind.GATE]
    if gates:
        return DomainError(
            "gate_not_passed",
            f"Waiting for the gate '{gates[0]}' to be passed: '{milestone.title}' cannot be met before it.",
            field="status",
        )
    if blocking:
        return DomainError(
            "predecessor_open",
            f"Waiting for '{blocking[0][1]}' to be met: '{milestone.title}' follows it.",
            field="status",
        )
    return None


@transaction.atomic
def milestone_record_outcome(
    *,
    milestone: Milestone,
    status: str,
    actor: User | None,
    met_on: dt.date | None = None,
    reason: str = "",
    action: EventType = ScheduleEvent.MILESTONE_STATUS_CHANGED,
) -> Milestone:
    """Move a milestone through the transition table, whatever decided it.

    The kind's own service (acceptance, payment records, measurements, gate decisions) has
    already checked who may decide; this checks the table, the contract and the gates before it.
    """
    require_active_contract(milestone.contract)
    # Lock the row and re-read what may have changed since the caller loaded it, so that a stale
    # copy cannot walk a cancelled or waived milestone back through the table.
    Milestone.objects.select_for_update().filter(pk=milestone.pk).values_list("pk", flat=True).get()
    milestone.refresh_from_db(fields=["status", "met_on", "progress"])
    check_transition(milestone.status, status)
    today = local_today(milestone.contract.time_zone)
    fields = ["status", "updated_at"]
    before = {
        "status": milestone.status,
        "met_on": milestone.met_on,
        "progress": milestone.progress,
    }
    if status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET):
        refusal = milestone_meet_refusal(milestone)
        if refusal is not None:
            raise refusal
        met_on = met_on or today
        check_milestone_date(met_on, milestone.contract, "met_on")
        if met_on > today:
            raise DomainError(
                "met_on_in_future", "A milestone cannot be met on a future date.", field="met_on"
            )
        milestone.met_on = met_on
        fields.append("met_on")
        if status == MilestoneStatus.MET:
            milestone.progress = 100
            fields.append("progress")
    elif milestone.met_on is not None:
        milestone.met_on = None
        fields.append("met_on")
    if status not in OPEN_STATUSES:
        # A closed milestone has nothing left to forecast: the last run's chance and dates
        # would read as a forecast of something already decided.
        milestone.on_time_probability = None
        milestone.forecast_p50 = milestone.forecast_p80 = milestone.forecast_date = None
        milestone.signals = ""
        fields += ["on_time_probability", "forecast_p50", "forecast_p80", "forecast_date"]
        fields.append("signals")
    milestone.status = status
    milestone.save(update_fields=fields)
    after = {"status": status, "met_on": milestone.met_on, "progress": milestone.progress}
    if reason:
        after["reason"] = reason
    event_record(actor=actor, action=action, obj=milestone, before=before, after=after)
    if status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET):
        # Dates counted from this milestone being met follow it. Linked milestones keep their
        # agreed dates: only a reschedule or an approved change moves those.
        recompute(
            contract=milestone.contract,
            seeds=[milestone.pk],
            cause=f"'{milestone.title}' met on {milestone.met_on}",
            actor=actor,
            anchors_only=True,
        )
    return milestone


@transaction.atomic
def milestone_set_progress(
    *,
    milestone: Milestone,
    progress: int,
    actor: User | None,
    risk_note: str | None = None,
) -> Milestone:
    """Set how far a milestone has come (and, if given, its risk note), as its kind measured it.

    The kind's own service (gate decisions, KPI measurements) has checked who may act and
    records its own event; the progress it implies is written here, by the app that owns the
    milestone. ``actor`` is the person whose action moved it.
    """
    fields = ["progress", "updated_at"]
    milestone.progress = progress
    if risk_note is not None:
        milestone.risk_note = risk_note
        fields.insert(1, "risk_note")
    milestone.save(update_fields=fields)
    return milestone


def _check_manual(milestone: Milestone, status: str) -> None:
    if status not in MANUAL_STATUSES[milestone.kind]:
        label = (
            MilestoneStatus(status).label.lower() if status in MilestoneStatus.values else status
        )
        raise DomainError(
            "status_not_manual",
            f"A {milestone.kind} milestone cannot be set to {label} by hand: it {HOW_MET[milestone.kind]}.",
            field="status",
        )


def _manual_refusal(milestone: Milestone, status: str) -> DomainError | None:
    try:
        _check_manual(milestone, status)
    except DomainError as refusal:
        return refusal
    return None


def _outcome_refusal(milestone: Milestone, status: str) -> DomainError | None:
    """What ``milestone_record_outcome`` would refuse before it writes: the contract, the table."""
    try:
        require_active_contract(milestone.contract)
        check_transition(milestone.status, status)
    except DomainError as refusal:
        return refusal
    return None


def milestone_release_refusal(
    *,
    milestone: Milestone,
    status: str,
    deciders: Sequence[int],
    all_deciders: bool = False,
    user: User,
    access: ContractAccess | None = None,
) -> DomainError | None:
    """Return why ``user`` may not give ``milestone`` up as ``status`` now, or ``None``.

    The check ``milestone_release`` makes before it looks at the reason; the kinds name the
    deciders (see ``milestone_release``).
    """
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    refusal = _manual_refusal(milestone, status)
    if refusal is not None:
        return refusal
    if status not in (MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED, MilestoneStatus.NOT_MET):
        return DomainError(
            "not_a_release",
            "Only waived, cancelled or not met give a milestone up.",
            field="status",
        )
    decides = [access.acts_for(party_id, Role.MANAGER) for party_id in deciders]
    if not deciders or not (all(decides) if all_deciders else any(decides)):
        names = ", ".join(
            str(p.organisation)
            for p in Party.objects.filter(pk__in=deciders).select_related("organisation")
        )
        rule = "managers of every one of" if all_deciders and len(deciders) > 1 else "a manager of"
        return Forbidden(
            f"Only {rule} {names or 'the counterparty'}, who would give it up, may set this milestone "
            f"to {MilestoneStatus(status).label.lower()}.",
            code="not_counterparty",
        )
    return _outcome_refusal(milestone, status)


def _release_deciders(milestone: Milestone) -> list[int] | None:
    """The parties that may give up a deliverable or target; ``None`` for the other kinds."""
    if milestone.kind == MilestoneKind.DELIVERABLE:
        assert milestone.accepting_party_id is not None
        return [milestone.accepting_party_id]
    if milestone.kind == MilestoneKind.PERFORMANCE:
        return list(
            milestone.contract.parties.exclude(pk=milestone.responsible_party_id)
            .exclude(role=PartyRole.OBSERVER)
            .values_list("pk", flat=True)
        )
    return None


def milestone_set_status_refusal(
    *, milestone: Milestone, status: str, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not set ``milestone`` to ``status`` by hand now, or ``None``.

    The check ``milestone_set_status`` makes before it looks at the reason.
    """
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    refusal = _manual_refusal(milestone, status)
    if refusal is not None:
        return refusal
    if status == MilestoneStatus.IN_PROGRESS:
        if milestone.owner_id != user.pk and not access.can_manage:
            return Forbidden("Only the owner or a manager may start this milestone.")
        return _outcome_refusal(milestone, status)
    deciders = _release_deciders(milestone)
    if deciders is None:
        return DomainError(
            "status_by_kind",
            f"A {milestone.kind} milestone is given up through its own action, which knows who it is owed to.",
            field="status",
        )
    return milestone_release_refusal(
        milestone=milestone, status=status, deciders=deciders, user=user, access=access
    )


@transaction.atomic
def milestone_release(
    *,
    milestone: Milestone,
    status: str,
    reason: str,
    deciders: Sequence[int],
    all_deciders: bool = False,
    actor: User,
) -> Milestone:
    """Waive, cancel or mark not met: give up what the milestone owed its counterparty.

    Only a manager of a party that was owed it (``deciders``: any of them, or every one with
    ``all_deciders``) may, so that nobody waives their own obligation. The kind's app names
    the deciders: the accepting party of a deliverable, the payee of a payment, the required
    parties of a gate.
    """
    refusal = milestone_release_refusal(
        milestone=milestone,
        status=status,
        deciders=deciders,
        all_deciders=all_deciders,
        user=actor,
    )
    if refusal is not None:
        raise refusal
    if not reason.strip():
        raise DomainError("reason_required", "Say why.", field="reason")
    text_check(reason.strip(), field="reason", limit=NOTE_MAX, label="The reason")
    return milestone_record_outcome(
        milestone=milestone, status=status, actor=actor, reason=reason.strip()
    )


@transaction.atomic
def milestone_set_status(
    *, milestone: Milestone, status: str, actor: User, reason: str = ""
) -> Milestone:
    """Start a milestone, or give up a deliverable or performance target (waive, cancel, not met).

    Payments and gates are given up through ``payments.services.payment_release`` and
    ``approvals.services.gate_release``, which know who they are owed to.
    """
    access = contract_access(user=actor, contract=milestone.contract)
    # Check access first, so that a refusal tells a viewer nothing about the milestone's kind.
    access.require_contributor()
    text_check(reason.strip(), field="reason", limit=NOTE_MAX, label="The reason")
    refusal = milestone_set_status_refusal(
        milestone=milestone, status=status, user=actor, access=access
    )
    if refusal is not None:
        raise refusal
    if status == MilestoneStatus.IN_PROGRESS:
        return milestone_record_outcome(
            milestone=milestone, status=status, actor=actor, reason=reason.strip()
        )
    deciders = _release_deciders(milestone)
    assert deciders is not None
    return milestone_release(
        milestone=milestone, status=status, reason=reason, deciders=deciders, actor=actor
    )
