"""A deliverable's acceptance: the supplier submits it, the receiving party accepts it (fully or
in part) or sends it back.

Each decision has a ``*_refusal`` check next to it that returns the error its service would
raise for that person, or ``None``; pages call the ``*_may_*`` form (the reason as a sentence,
or ``None``) to offer a form only to those the service would let through, so the two cannot
disagree.
"""

import datetime as dt
import zoneinfo
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.models import Event
from milepost.audit.services import event_record
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.errors import DomainError, Forbidden
from milepost.core.text import NOTE_MAX, text_check

from .choices import MilestoneKind, MilestoneStatus, check_transition
from .events import ScheduleEvent
from .models import Evidence, Milestone
from .services import milestone_meet_refusal, milestone_record_outcome, require_active_contract

_HANDOVER = (
    ScheduleEvent.DELIVERABLE_SUBMITTED,
    ScheduleEvent.DELIVERABLE_ACCEPTED,
    ScheduleEvent.DELIVERABLE_REJECTED,
)


def deliverable_pending_submission(*, milestone: Milestone) -> Event | None:
    """Return the submission the receiving party has not yet decided on, or ``None``.

    A submission is pending from its ``deliverable.submitted`` event until the deliverable is
    accepted or sent back (or closed another way).
    """
    if milestone.kind != MilestoneKind.DELIVERABLE or not milestone.is_open:
        return None
    last = (
        Event.objects.filter(
            milestone_id=milestone.pk,
            object_type=Milestone._meta.label_lower,
            object_id=milestone.pk,
            action__in=[e.value for e in _HANDOVER],
        )
        .order_by("-id")
        .first()
    )
    if last is None or last.action != ScheduleEvent.DELIVERABLE_SUBMITTED:
        return None
    return last


def _acceptor_refusal(milestone: Milestone, access: ContractAccess) -> DomainError | None:
    if milestone.kind != MilestoneKind.DELIVERABLE:
        return DomainError("not_a_deliverable", "Only deliverables are accepted.", field="kind")
    assert milestone.accepting_party is not None
    if not access.acts_for(milestone.accepting_party.pk, Role.MANAGER):
        return Forbidden(
            f"Only a manager of {milestone.accepting_party.organisation}, the receiving party, may decide on this deliverable.",
            code="not_receiving_party",
        )
    return None


def deliverable_submit_refusal(
    *, milestone: Milestone, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not submit this deliverable for acceptance now, or ``None``.

    The supplier hands it over: the owner, or a member (or above) of the responsible party.
    The contract must be active, the deliverable open, and no submission already waiting.
    """
    if milestone.kind != MilestoneKind.DELIVERABLE:
        return DomainError(
            "not_a_deliverable", "Only deliverables are submitted for acceptance.", field="kind"
        )
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute or not (
        milestone.owner_id == user.pk or access.acts_for(milestone.responsible_party_id)
    ):
        return Forbidden(
            f"Only the owner or a member of {milestone.responsible_party.organisation}, the supplying party, "
            "can submit this deliverable for acceptance.",
            code="not_supplier",
        )
    try:
        require_active_contract(milestone.contract)
    except DomainError as refusal:
        return refusal
    if not milestone.is_open:
        return DomainError(
            "milestone_closed",
            f"This deliverable is {milestone.get_status_display().lower()}; there is nothing left to submit.",
            field="status",
        )
    pending = deliverable_pending_submission(milestone=milestone)
    if pending is not None:
        assert milestone.accepting_party is not None
        return DomainError(
            "submission_pending",
            f"Submitted for acceptance on {_day(pending.occurred_at, milestone)}; waiting for "
            f"{milestone.accepting_party.organisation} to decide.",
            field="status",
        )
    return None


def deliverable_may_submit(*, milestone: Milestone, user: User) -> str | None:
    """Return the reason ``user`` may not submit this deliverable now, or ``None`` if they may."""
    refusal = deliverable_submit_refusal(milestone=milestone, user=user)
    return refusal.message if refusal else None


def deliverable_decide_refusal(
    *,
    milestone: Milestone,
    user: User,
    outcome: str = "accept",
    access: ContractAccess | None = None,
) -> DomainError | None:
    """Return why ``user`` may not give this ``outcome`` ("accept", "partial" or "reject") on
    the deliverable now, or ``None``.

    The checks its service makes before it looks at the comment: the receiving party's
    managers decide, on an active contract; accepting follows the status table (a deliverable
    accepted in part can be accepted in full) and waits for what the deliverable follows; only
    an open deliverable is sent back.
    """
    access = access or contract_access(user=user, contract=milestone.contract)
    refusal = _acceptor_refusal(milestone, access)
    if refusal is not None:
        return refusal
    try:
        require_active_contract(milestone.contract)
        if outcome != "reject":
            status = MilestoneStatus.PARTIALLY_MET if outcome == "partial" else MilestoneStatus.MET
            check_transition(milestone.status, status)
    except DomainError as closed:
        return closed
    if outcome == "reject":
        if not milestone.is_open:
            return DomainError(
                "milestone_closed", "Only an open deliverable can be sent back.", field="status"
            )
        return None
    return milestone_meet_refusal(milestone)


def deliverable_may_decide(
    *, milestone: Milestone, user: User, outcome: str = "accept"
) -> str | None:
    """Return the reason ``user`` may not give this ``outcome`` on the deliverable, or ``None``."""
    refusal = deliverable_decide_refusal(milestone=milestone, user=user, outcome=outcome)
    return refusal.message if refusal else None


def _day(moment: dt.datetime, milestone: Milestone) -> str:
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(milestone.contract.time_zone))
    return f"{local.day} {local:%b %Y}"


@transaction.atomic
def deliverable_submit(
    *,
    milestone: Milestone,
    note: str,
    evidence: Sequence[int] = (),
    actor: User,
) -> Milestone:
    """Hand a deliverable over to the receiving party, asking them to accept it or send it back.

    ``note`` says what is handed over; ``evidence`` names files already attached to this
    milestone that show it. Records ``deliverable.submitted`` with
    ``after = {"note": ..., "evidence": [ids]}``; from it the receiving party's managers are asked
    to decide. One submission waits at a time; after it is sent back it can be submitted again.
    """
    # Lock the row, so that two submissions at once cannot both find none pending.
    Milestone.objects.select_for_update().filter(pk=milestone.pk).values_list("pk", flat=True).get()
    milestone.refresh_from_db(fields=["status", "met_on", "progress"])
    refusal = deliverable_submit_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    note = note.strip()
    if not note:
        raise DomainError("required", "Say what you are handing over for acceptance.", field="note")
    text_check(note, field="note", limit=NOTE_MAX, label="The note")
    ids: list[int] = []
    for value in evidence:
        if value not in ids:
            ids.append(value)
    found = set(
        Evidence.objects.filter(milestone=milestone, pk__in=ids).values_list("pk", flat=True)
    )
    missing = [value for value in ids if value not in found]
    if missing:
        raise DomainError(
            "evidence_not_on_milestone",
            "Choose evidence attached to this deliverable.",
            field="evidence",
        )
    event_record(
        actor=actor,
        action=ScheduleEvent.DELIVERABLE_SUBMITTED,
        obj=milestone,
        after={"note": note, "evidence": ids},
    )
    return milestone


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
    refusal = deliverable_decide_refusal(
        milestone=milestone, user=actor, outcome="partial" if partial else "accept"
    )
    if refusal is not None:
        raise refusal
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
        action=ScheduleEvent.DELIVERABLE_ACCEPTED,
    )


@transaction.atomic
def deliverable_reject(*, milestone: Milestone, actor: User, comment: str) -> Milestone:
    """Send a deliverable back to the supplier with what must change; it stays open."""
    refusal = deliverable_decide_refusal(milestone=milestone, user=actor, outcome="reject")
    if refusal is not None:
        raise refusal
    if not comment.strip():
        raise DomainError(
            "reason_required", "Say why the deliverable is not accepted.", field="comment"
        )
    text_check(comment.strip(), field="comment", limit=NOTE_MAX, label="The comment")
    event_record(
        actor=actor,
        action=ScheduleEvent.DELIVERABLE_REJECTED,
        obj=milestone,
        after={"comment": comment.strip(), "status": milestone.status},
    )
    return milestone
