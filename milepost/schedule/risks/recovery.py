"""Recovery actions: what a missed or at-risk milestone gets, its owner and new target."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess, contract_access, contracts_for_user
from milepost.core.dates import local_today, validate_milestone_date
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes, validate_lengths

from ..choices import Health, RecoveryStatus
from ..events import ScheduleEvent
from ..models import Milestone, RecoveryAction
from ..selectors import with_health
from . import (
    RECOVERABLE,
    check_owner,
    open_first,
    require_filled,
    require_open_contract,
    snapshot,
)

ACTION_FIELDS = ("cause", "plan", "owner", "new_target")


def recovery_may_manage(
    *,
    access: ContractAccess,
    milestone: Milestone,
    user: User,
    action: RecoveryAction | None = None,
) -> bool:
    """Return whether the user may add (or, given ``action``, change) the milestone's actions."""
    return access.can_contribute and (
        access.can_manage
        or access.acts_for(milestone.responsible_party_id, Role.MEMBER)
        or milestone.owner_id == user.pk
        or (action is not None and action.owner_id == user.pk)
    )


def recovery_require_editor(
    *, milestone: Milestone, actor: User, action: RecoveryAction | None = None
) -> None:
    """Refuse anyone who may not record the milestone's recovery (viewers and observers first)."""
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_contributor()
    if not recovery_may_manage(access=access, milestone=milestone, user=actor, action=action):
        raise Forbidden(
            "Only a manager, a member of the responsible party or the milestone's owner may "
            "record its recovery.",
            code="not_recovery_editor",
        )


def milestone_health(*, milestone: Milestone) -> str:
    """Return the milestone's health as ``with_health`` computes it now."""
    row = with_health(Milestone.objects.filter(pk=milestone.pk)).get()
    return str(row.health)  # type: ignore[attr-defined]  # annotated by with_health


def _check_target(action: RecoveryAction, contract: Contract) -> None:
    today = local_today(contract.time_zone)
    if not isinstance(action.new_target, dt.date) or action.new_target < today:
        raise DomainError(
            "target_in_past",
            f"The new target cannot be before today ({today:%d %b %Y} in {contract.time_zone}).",
            field="new_target",
        )
    validate_milestone_date(
        action.new_target, field="new_target", start=contract.start_date, end=contract.end_date
    )


@transaction.atomic
def recovery_action_add(
    *,
    milestone: Milestone,
    cause: str,
    plan: str,
    owner: User,
    new_target: dt.date,
    actor: User,
) -> RecoveryAction:
    """Record how a missed or at-risk milestone will recover: cause, plan, owner, new target."""
    recovery_require_editor(milestone=milestone, actor=actor)
    contract = milestone.contract
    require_open_contract(contract)
    health = milestone_health(milestone=milestone)
    if health not in RECOVERABLE:
        raise DomainError(
            "milestone_not_at_risk",
            f"Recovery actions are for missed or at-risk milestones; '{milestone.title}' is "
            f"{Health(health).label.lower()}.",
            field="milestone",
        )
    action = RecoveryAction(
        milestone=milestone,
        cause=cause.strip(),
        plan=plan.strip(),
        owner=owner,
        new_target=new_target,
        created_by=actor,
    )
    validate_lengths(action)
    require_filled(action, "cause", "Say what caused the slip.")
    require_filled(action, "plan", "Say how the milestone will recover.")
    check_owner(owner, contract)
    _check_target(action, contract)
    action.save()
    event_record(
        actor=actor,
        action=ScheduleEvent.RECOVERY_ACTION_ADDED,
        obj=action,
        after=snapshot(action, ACTION_FIELDS),
        contract_id=contract.pk,
        milestone_id=milestone.pk,
    )
    return action


@transaction.atomic
def recovery_action_update(
    *, action: RecoveryAction, actor: User, **changes: Any
) -> RecoveryAction:
    """Change an open action's cause, plan, owner or new target."""
    milestone = action.milestone
    recovery_require_editor(milestone=milestone, actor=actor, action=action)
    require_open_contract(milestone.contract)
    if action.status == RecoveryStatus.DONE:
        raise DomainError(
            "action_done", "A completed recovery action no longer changes.", field="status"
        )
    changed, before = apply_changes(action, changes, editable=ACTION_FIELDS, snapshot=snapshot)
    if not changed:
        return action
    try:
        validate_lengths(action)
        require_filled(action, "cause", "Say what caused the slip.")
        require_filled(action, "plan", "Say how the milestone will recover.")
        if "owner" in changed:
            check_owner(action.owner, milestone.contract)
        if "new_target" in changed:
            _check_target(action, milestone.contract)
    except DomainError:
        action.refresh_from_db(fields=changed)
        raise
    action.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.RECOVERY_ACTION_UPDATED,
        obj=action,
        before=before,
        after=snapshot(action, changed),
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    return action


@transaction.atomic
def recovery_action_complete(*, action: RecoveryAction, actor: User) -> RecoveryAction:
    """Mark a recovery action done."""
    milestone = action.milestone
    recovery_require_editor(milestone=milestone, actor=actor, action=action)
    require_open_contract(milestone.contract)
    if action.status == RecoveryStatus.DONE:
        raise DomainError("already_done", "The recovery action is already done.", field="status")
    action.status = RecoveryStatus.DONE
    action.done_at = timezone.now()
    action.save(update_fields=["status", "done_at", "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.RECOVERY_ACTION_COMPLETED,
        obj=action,
        before={"status": RecoveryStatus.OPEN},
        after={"status": RecoveryStatus.DONE},
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    return action


def recovery_actions_for_milestone(*, user: User, milestone: Milestone) -> QuerySet[RecoveryAction]:
    """Return the milestone's recovery actions the user may see: open first, by new target."""
    return (
        RecoveryAction.objects.filter(
            milestone=milestone, milestone__contract__in=contracts_for_user(user=user)
        )
        .select_related("milestone", "owner", "created_by")
        .order_by(open_first(RecoveryStatus.OPEN), "new_target", "id")
    )


def recovery_action_get_for_user(*, user: User, pk: int) -> RecoveryAction:
    """Return one visible recovery action with its milestone and people, or raise NotFound."""
    action = (
        RecoveryAction.objects.filter(milestone__contract__in=contracts_for_user(user=user))
        .select_related(
            "milestone__contract",
            "milestone__owner",
            "milestone__responsible_party__organisation",
            "owner",
            "created_by",
        )
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise NotFound("recovery action")
    return action
