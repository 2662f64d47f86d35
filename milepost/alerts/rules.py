"""Reminder rules: set or clear an override at organisation, contract or milestone level.

The worker sees the event each change writes and re-plans the milestones it covers, so a rule
change on an organisation with a hundred thousand milestones does not hold up the request.
"""

from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Membership, Organisation, User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.schedule.models import Milestone

from .choices import PERSON_CHANNELS
from .events import AlertEvent
from .models import ReminderRule
from .plans import rule_from_row, rules_for
from .timing import DEFAULT_RULE, Rule

MAX_OFFSETS = 10
MAX_DAYS = 365
MAX_REPEAT = 60


def _scope(
    organisation: Organisation | None, contract: Contract | None, milestone: Milestone | None
) -> dict[str, Any]:
    given = {
        k: v
        for k, v in {
            "organisation": organisation,
            "contract": contract,
            "milestone": milestone,
        }.items()
        if v is not None
    }
    if len(given) != 1:
        raise ValueError("Name exactly one of organisation, contract or milestone.")
    return given


def _org_role(user: User, organisation: Organisation) -> str | None:
    return (
        Membership.objects.filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )


def _require_can_change(
    actor: User,
    organisation: Organisation | None,
    contract: Contract | None,
    milestone: Milestone | None,
) -> None:
    """Organisation defaults: its managers. Contracts: the owner's managers. Milestones: a
    manager of any acting party. Someone who cannot see the thing gets not-found."""
    if organisation is not None:
        role = _org_role(actor, organisation)
        if role is None:
            raise NotFound("organisation")
        if not at_least(role, Role.MANAGER):
            raise Forbidden("Only a manager or admin of the organisation may change its reminders.")
        return
    target = contract if contract is not None else milestone.contract  # type: ignore[union-attr]
    access = contract_access(user=actor, contract=target)
    if not access.can_view:
        raise NotFound("contract" if contract is not None else "milestone")
    if contract is not None:
        access.require_administrator()
    else:
        access.require_manager()


def _validate(
    offsets: list[int],
    overdue_every: int,
    escalate_after: int | None,
    channels: list[str],
) -> tuple[list[int], list[str]]:
    if not offsets and not overdue_every and escalate_after is None:
        raise DomainError(
            "empty_rule",
            "A rule needs at least one reminder day, an overdue repeat or an escalation.",
            field="offsets",
        )
    if len(offsets) > MAX_OFFSETS:
        raise DomainError(
            "too_many_offsets", f"Give at most {MAX_OFFSETS} reminder days.", field="offsets"
        )
    for value in offsets:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            raise DomainError(
                "invalid_offset",
                f"Reminder days are whole numbers of days before the due date, 0 to {MAX_DAYS}; "
                f"'{value}' is not.",
                field="offsets",
            )
    if not 0 <= overdue_every <= MAX_REPEAT:
        raise DomainError(
            "invalid_overdue_every",
            f"Repeat overdue reminders every 1 to {MAX_REPEAT} days, or 0 for never.",
            field="overdue_every",
        )
    if escalate_after is not None and not 1 <= escalate_after <= MAX_DAYS:
        raise DomainError(
            "invalid_escalate_after",
            f"Escalate after 1 to {MAX_DAYS} days overdue, or leave it empty for never.",
            field="escalate_after",
        )
    unknown = sorted(set(channels) - set(PERSON_CHANNELS))
    if unknown:
        raise DomainError(
            "invalid_channel",
            f"'{unknown[0]}' is not a channel; choose from {', '.join(PERSON_CHANNELS)}.",
            field="channels",
        )
    if not channels:
        raise DomainError(
            "no_channel", "Choose at least one channel: email or in-app.", field="channels"
        )
    return sorted(set(offsets), reverse=True), [c for c in PERSON_CHANNELS if c in channels]


def _event_scope(
    organisation: Organisation | None, contract: Contract | None, milestone: Milestone | None
) -> dict[str, Any]:
    if milestone is not None:
        return {"contract_id": milestone.contract_id, "milestone_id": milestone.pk}
    if contract is not None:
        return {"contract_id": contract.pk}
    return {}


def _snapshot(row: ReminderRule | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "organisation": row.organisation_id,
        "contract": row.contract_id,
        "milestone": row.milestone_id,
        "offsets": row.offsets,
        "working_days": row.working_days,
        "overdue_every": row.overdue_every,
        "escalate_after": row.escalate_after,
        "escalate_critical_to_counterparty": row.escalate_critical_to_counterparty,
        "channels": row.channels,
    }


@transaction.atomic
def reminder_rule_set(
    *,
    actor: User,
    organisation: Organisation | None = None,
    contract: Contract | None = None,
    milestone: Milestone | None = None,
    offsets: list[int],
    working_days: bool,
    overdue_every: int,
    escalate_after: int | None,
    escalate_critical_to_counterparty: bool,
    channels: list[str],
) -> ReminderRule:
    """Create or replace the override at one level; the worker re-plans what it covers."""
    scope = _scope(organisation, contract, milestone)
    _require_can_change(actor, organisation, contract, milestone)
    offsets, channels = _validate(offsets, overdue_every, escalate_after, channels)
    row = ReminderRule.objects.select_for_update().filter(**scope).first()
    before = _snapshot(row)
    if row is None:
        row = ReminderRule(**scope)
    row.offsets = offsets
    row.working_days = working_days
    row.overdue_every = overdue_every
    row.escalate_after = escalate_after
    row.escalate_critical_to_counterparty = escalate_critical_to_counterparty
    row.channels = channels
    row.save()
    event_record(
        actor=actor,
        action=AlertEvent.REMINDER_RULE_SET,
        obj=row,
        before=before,
        after=_snapshot(row),
        **_event_scope(organisation, contract, milestone),
    )
    return row


@transaction.atomic
def reminder_rule_clear(
    *,
    actor: User,
    organisation: Organisation | None = None,
    contract: Contract | None = None,
    milestone: Milestone | None = None,
) -> None:
    """Remove the override at one level, so the next level up applies. Clearing none is fine."""
    scope = _scope(organisation, contract, milestone)
    _require_can_change(actor, organisation, contract, milestone)
    row = ReminderRule.objects.select_for_update().filter(**scope).first()
    if row is None:
        return
    before = _snapshot(row)
    event_record(
        actor=actor,
        action=AlertEvent.REMINDER_RULE_CLEARED,
        obj=row,
        before=before,
        **_event_scope(organisation, contract, milestone),
    )
    row.delete()


def reminder_rule_in_force(
    *,
    milestone: Milestone | None = None,
    contract: Contract | None = None,
    organisation: Organisation | None = None,
) -> tuple[Rule, str]:
    """The rule that applies at this level and where it comes from.

    The source is "milestone", "contract", "organisation" or "default" (built in).
    """
    _scope(organisation, contract, milestone)
    if milestone is not None:
        rule = rules_for([milestone])[milestone.pk]
        if ReminderRule.objects.filter(milestone=milestone).exists():
            return rule, "milestone"
        contract = milestone.contract
    if contract is not None:
        row = ReminderRule.objects.filter(contract=contract).first()
        if row is not None:
            return rule_from_row(row), "contract"
        organisation = contract.owner
    row = ReminderRule.objects.filter(organisation=organisation).first()
    if row is not None:
        return rule_from_row(row), "organisation"
    return DEFAULT_RULE, "default"


def reminder_rule_override(
    *,
    milestone: Milestone | None = None,
    contract: Contract | None = None,
    organisation: Organisation | None = None,
) -> Rule | None:
    """The override set at exactly this level, or None if the level inherits."""
    row = ReminderRule.objects.filter(**_scope(organisation, contract, milestone)).first()
    return rule_from_row(row) if row is not None else None
