"""A deliverable's acceptance: the receiving party accepts it (fully or in part) or sends it back."""

import datetime as dt

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.errors import DomainError, Forbidden
from milepost.core.text import NOTE_MAX, text_check

from .choices import MilestoneKind, MilestoneStatus
from .events import ScheduleEvent
from .models import Milestone
from .services import milestone_record_outcome, require_active_contract


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
        action=ScheduleEvent.DELIVERABLE_ACCEPTED,
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
    require_active_contract(milestone.contract)
    event_record(
        actor=actor,
        action=ScheduleEvent.DELIVERABLE_REJECTED,
        obj=milestone,
        after={"comment": comment.strip(), "status": milestone.status},
    )
    return milestone
