"""Writes for milestones, dependencies, status updates, comments and evidence."""

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.dates import local_today, milestone_date_range, validate_milestone_date
from milepost.core.errors import DomainError, Forbidden, TooLarge
from milepost.core.models import apply_changes, validate_lengths
from milepost.core.text import NOTE_MAX, TEXT_MAX, text_check

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
from .models import Comment, Evidence, Milestone, StatusUpdate
from .planning import (
    dependency_add,
    dependency_remove,
    dependency_update,
    recompute,
    require_editable,
)

# The link services live in ``planning``; these names keep their long-standing import path.
__all__ = ["dependency_add", "dependency_remove", "dependency_update"]

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


def _require_editable_contract(contract: Contract) -> None:
    require_editable(contract)


def _require_active_contract(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            "contract_not_active",
            f"The contract is {contract.status}; milestones change status only while it is active.",
            field="status",
        )


def check_milestone_date(day: dt.date | None, contract: Contract, field: str = "due_date") -> None:
    """Refuse a milestone date outside its contract's term plus the margin (README, "Dates")."""
    validate_milestone_date(day, field=field, start=contract.start_date, end=contract.end_date)


def _validate(milestone: Milestone) -> None:
    """Check a milestone's fields against each other and its contract."""
    contract = milestone.contract
    validate_lengths(milestone)
    if not milestone.title.strip():
        raise DomainError("required", "A milestone needs a title.", field="title")
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
    actor: User,
) -> Milestone:
    """Create a milestone; payment, performance and gate milestones come from their own apps.

    Those apps call this first and add their kind's terms in the same transaction.
    """
    contract_access(user=actor, contract=contract).require_manager()
    _require_editable_contract(contract)
    milestone = Milestone(
        contract=contract,
        kind=kind,
        title=title.strip(),
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
        action="milestone.created",
        obj=milestone,
        after={
            **_snapshot(
                milestone, ["kind", *EDITABLE_FIELDS, "responsible_party", "accepting_party"]
            ),
            "due_date": due_date,
        },
    )
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, actor: User, **changes: Any) -> Milestone:
    """Change a milestone's title, description, owner, criticality or acceptance criteria."""
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_manager()
    _require_editable_contract(milestone.contract)
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
        action="milestone.updated",
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
    _require_editable_contract(milestone.contract)
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


def apply_due_date(
    *, milestone: Milestone, due_date: dt.date, reason: str, actor: User, cause: str = ""
) -> None:
    """Save a new due date (start moves with it), record it, and move what follows.

    A baseline date out of range (an old row saved before dates were checked) cannot be a
    plan anyone agreed to: it is reset to the new date, and the event says so.
    """
    contract = milestone.contract
    check_milestone_date(due_date, contract)
    before: dict[str, Any] = {"due_date": milestone.due_date}
    moved_start: dict[str, Any] = {}
    if milestone.start_date is not None:
        before["start_date"] = milestone.start_date
        # An old row's start may be as far out as its due date: keep it no later than the new one.
        earliest, _ = milestone_date_range(contract.start_date, contract.end_date)
        try:
            start = milestone.start_date + (due_date - milestone.due_date)
        except OverflowError:
            start = due_date
        milestone.start_date = min(max(start, earliest), due_date)
        moved_start["start_date"] = milestone.start_date
    fields = ["due_date", "start_date", "schedule_conflict", "updated_at"]
    baseline_reset: dict[str, Any] = {}
    earliest, latest = milestone_date_range(contract.start_date, contract.end_date)
    if not earliest <= milestone.baseline_due_date <= latest:
        before["baseline_due_date"] = milestone.baseline_due_date
        milestone.baseline_due_date = due_date
        baseline_reset = {
            "baseline_reset": (
                f"The baseline date {before['baseline_due_date']} was out of range and is "
                f"reset to {due_date}."
            )
        }
        fields.append("baseline_due_date")
    milestone.due_date = due_date
    milestone.schedule_conflict = ""
    milestone.save(update_fields=fields)
    event_record(
        actor=actor,
        action="milestone.rescheduled",
        obj=milestone,
        before=before,
        after={
            "due_date": due_date,
            **moved_start,
            "baseline_due_date": milestone.baseline_due_date,
            "reason": reason,
            **({"cause": cause} if cause else {}),
            **baseline_reset,
        },
    )
    recompute(
        contract=milestone.contract,
        seeds=[milestone.pk],
        cause=f"'{milestone.title}' moved: {reason}",
        actor=actor,
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


@transaction.atomic
def milestone_record_outcome(
    *,
    milestone: Milestone,
    status: str,
    actor: User | None,
    met_on: dt.date | None = None,
    reason: str = "",
    action: str = "milestone.status_changed",
) -> Milestone:
    """Move a milestone through the transition table, whatever decided it.

    The kind's own service (acceptance, payment records, measurements, gate decisions) has
    already checked who may decide; this checks the table, the contract and the gates before it.
    """
    _require_active_contract(milestone.contract)
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
        blocking = _blocking_predecessors(milestone)
        gates = [title for kind, title in blocking if kind == MilestoneKind.GATE]
        if gates:
            raise DomainError(
                "gate_not_passed",
                f"'{milestone.title}' cannot be met while the gate '{gates[0]}' is not passed.",
                field="status",
            )
        if blocking:
            raise DomainError(
                "predecessor_open",
                f"'{milestone.title}' follows '{blocking[0][1]}', which is not met yet.",
                field="status",
            )
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
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_contributor()
    _check_manual(milestone, status)
    if status not in (MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED, MilestoneStatus.NOT_MET):
        raise DomainError(
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
        raise Forbidden(
            f"Only {rule} {names or 'the counterparty'}, who would give it up, may set this milestone "
            f"to {MilestoneStatus(status).label.lower()}.",
            code="not_counterparty",
        )
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
    _check_manual(milestone, status)
    if status == MilestoneStatus.IN_PROGRESS:
        if milestone.owner_id != actor.pk and not access.can_manage:
            raise Forbidden("Only the owner or a manager may start this milestone.")
        return milestone_record_outcome(
            milestone=milestone, status=status, actor=actor, reason=reason.strip()
        )
    if milestone.kind == MilestoneKind.DELIVERABLE:
        assert milestone.accepting_party_id is not None
        deciders = [milestone.accepting_party_id]
    elif milestone.kind == MilestoneKind.PERFORMANCE:
        deciders = list(
            milestone.contract.parties.exclude(pk=milestone.responsible_party_id)
            .exclude(role=PartyRole.OBSERVER)
            .values_list("pk", flat=True)
        )
    else:
        raise DomainError(
            "status_by_kind",
            f"A {milestone.kind} milestone is given up through its own action, which knows who it is owed to.",
            field="status",
        )
    return milestone_release(
        milestone=milestone, status=status, reason=reason, deciders=deciders, actor=actor
    )


def _require_acceptor(milestone: Milestone, actor: User) -> ContractAccess:
    if milestone.kind != MilestoneKind.DELIVERABLE:
        raise DomainError("not_a_deliverable", "Only deliverables are accepted.", field="kind")
    access = contract_access(user=actor, contract=milestone.contract)
    assert milestone.accepting_party_id is not None
    if not access.acts_for(milestone.accepting_party_id, Role.MANAGER):
        raise Forbidden(
            f"Only a manager of {milestone.accepting_party}, the receiving party, may decide on this deliverable.",
            code="not_receiving_party",
        )
    return access


@transaction.atomic
def deliverable_accept(
    *,
    milestone: Milestone,
    actor: User,
    comment: str = "",
    partial: bool = False,
    met_on: dt.date | None = None,
) -> Milestone:
    """Accept a deliverable for the receiving party, fully or in part; this meets it.

    ``met_on`` records an acceptance given earlier (never in the future); it defaults to today.
    """
    _require_acceptor(milestone, actor)
    text_check(comment.strip(), field="comment", limit=NOTE_MAX, label="The comment")
    if partial and not comment.strip():
        raise DomainError(
            "reason_required", "Say what is missing when accepting in part.", field="comment"
        )
    status = MilestoneStatus.PARTIALLY_MET if partial else MilestoneStatus.MET
    return milestone_record_outcome(
        milestone=milestone,
        status=status,
        actor=actor,
        met_on=met_on,
        reason=comment.strip(),
        action="deliverable.accepted",
    )


@transaction.atomic
def deliverable_reject(*, milestone: Milestone, actor: User, comment: str) -> Milestone:
    """Send a deliverable back to the supplier with what must change; it stays open."""
    _require_acceptor(milestone, actor)
    if not comment.strip():
        raise DomainError(
            "reason_required", "Say why the deliverable is not accepted.", field="comment"
        )
    text_check(comment.strip(), field="comment", limit=NOTE_MAX, label="The comment")
    if not milestone.is_open:
        raise DomainError(
            "milestone_closed", "Only an open deliverable can be sent back.", field="status"
        )
    _require_active_contract(milestone.contract)
    event_record(
        actor=actor,
        action="deliverable.rejected",
        obj=milestone,
        after={"comment": comment.strip(), "status": milestone.status},
    )
    return milestone


def _require_owner_or_manager(milestone: Milestone, actor: User) -> ContractAccess:
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_contributor()
    if milestone.owner_id != actor.pk and not access.can_manage:
        raise Forbidden("Only the milestone's owner or a manager may update it.", code="not_owner")
    return access


@transaction.atomic
def status_update_post(
    *, milestone: Milestone, text: str, progress: int | None = None, actor: User
) -> StatusUpdate:
    """Post where a milestone stands; a deliverable's progress moves with it."""
    _require_owner_or_manager(milestone, actor)
    _require_editable_contract(milestone.contract)
    if not text.strip():
        raise DomainError("required", "Write what has happened.", field="text")
    text_check(text.strip(), field="text", limit=TEXT_MAX, label="A status update")
    if progress is not None:
        if milestone.kind != MilestoneKind.DELIVERABLE:
            raise DomainError(
                "progress_computed",
                f"A {milestone.kind} milestone's progress is not set by hand: it {HOW_MET[milestone.kind]}.",
                field="progress",
            )
        if not 0 <= progress <= 100:
            raise DomainError(
                "invalid_progress", "Progress is a whole number from 0 to 100.", field="progress"
            )
        if not milestone.is_open:
            raise DomainError(
                "milestone_closed",
                "A closed milestone's progress no longer changes.",
                field="progress",
            )
    update = StatusUpdate.objects.create(
        milestone=milestone, author=actor, text=text.strip(), progress=progress
    )
    event_record(
        actor=actor,
        action="status_update.posted",
        obj=update,
        after={"text": update.text, "progress": progress},
    )
    if progress is not None and progress != milestone.progress:
        before = {"progress": milestone.progress}
        milestone.progress = progress
        milestone.save(update_fields=["progress", "updated_at"])
        event_record(
            actor=actor,
            action="milestone.progressed",
            obj=milestone,
            before=before,
            after={"progress": progress},
        )
        if (
            progress > 0
            and milestone.status == MilestoneStatus.SCHEDULED
            and milestone.contract.status == ContractStatus.ACTIVE
        ):
            milestone_record_outcome(
                milestone=milestone, status=MilestoneStatus.IN_PROGRESS, actor=actor
            )
    return update


@transaction.atomic
def comment_add(*, milestone: Milestone, text: str, actor: User) -> Comment:
    """Add a comment; members and managers of any acting party may comment."""
    contract_access(user=actor, contract=milestone.contract).require_contributor()
    _require_editable_contract(milestone.contract)
    text = text.strip()
    if not text:
        raise DomainError("required", "A comment needs some text.", field="text")
    text_check(text, field="text", limit=TEXT_MAX, label="A comment")
    comment = Comment.objects.create(milestone=milestone, author=actor, text=text.strip())
    event_record(actor=actor, action="comment.added", obj=comment, after={"text": comment.text})
    return comment


@transaction.atomic
def evidence_add(*, milestone: Milestone, upload: UploadedFile, actor: User) -> Evidence:
    """Attach a file within the size and type limits; it is stored under the data directory."""
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_contributor()
    _require_editable_contract(milestone.contract)
    parties = [milestone.responsible_party_id, milestone.accepting_party_id]
    if not (
        access.can_manage
        or milestone.owner_id == actor.pk
        or any(p and access.acts_for(p) for p in parties)
    ):
        raise Forbidden(
            "Only the owner, the parties to the milestone or a manager may attach evidence."
        )
    try:
        name = get_valid_filename(PurePath(upload.name or "").name)
    except SuspiciousFileOperation:
        # Nothing usable is left of the name (say '..' or '★★★'): the type check refuses it.
        name = ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.EVIDENCE_ALLOWED_EXTENSIONS:
        raise DomainError(
            "file_type_not_allowed",
            f"Files of type '.{extension}' are not accepted; use one of "
            f"{', '.join('.' + e for e in settings.EVIDENCE_ALLOWED_EXTENSIONS)}.",
            field="file",
        )
    size = upload.size or 0
    if size > settings.EVIDENCE_MAX_BYTES:
        limit = filesizeformat(settings.EVIDENCE_MAX_BYTES)
        raise TooLarge(
            "file_too_large", f"The file is larger than the {limit} limit.", field="file"
        )
    if size == 0:
        raise DomainError("file_empty", "The file is empty.", field="file")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    evidence = Evidence(
        milestone=milestone,
        original_name=name[:200],
        content_type=upload.content_type or "application/octet-stream",
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    path = (
        f"contract_{milestone.contract_id}/milestone_{milestone.pk}/{uuid.uuid4().hex}.{extension}"
    )
    evidence.file.save(path, upload, save=False)
    try:
        evidence.save()
        event_record(
            actor=actor,
            action="evidence.added",
            obj=evidence,
            after={"name": evidence.original_name, "size": size, "sha256": evidence.sha256},
        )
    except Exception:
        # Nothing refers to the file once the row is gone: do not leave it behind.
        evidence.file.delete(save=False)
        raise
    return evidence
