"""Action requests, the settings side: how long an organisation lets a request wait.

The requests themselves are opened and closed by the worker from the event log
(``engine/actions.py``): they are bookkeeping that follows recorded events, so they write no
events of their own. Changing an organisation's rule is a person's decision, so it does.
"""

from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Membership, Organisation, User
from milepost.audit.services import event_record
from milepost.core.errors import DomainError, Forbidden, NotFound

from .engine.actions import ESCALATE_AFTER, REMIND_AFTER
from .events import AlertEvent
from .models import ActionRule

MAX_WAIT = 60


def _snapshot(rule: ActionRule) -> dict[str, Any]:
    return {
        "organisation": rule.organisation_id,
        "remind_after": rule.remind_after,
        "escalate_after": rule.escalate_after,
    }


def _require_manager(actor: User, organisation: Organisation) -> None:
    role = (
        Membership.objects.filter(user=actor, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise NotFound("organisation")
    if not at_least(role, Role.MANAGER):
        raise Forbidden(
            "Only a manager or admin of the organisation may change how long requests wait."
        )


def _whole(name: str, value: object, message: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WAIT:
        raise DomainError(f"invalid_{name}", message, field=name)


@transaction.atomic
def action_rule_set(
    *,
    actor: User,
    organisation: Organisation,
    remind_after: int,
    escalate_after: int | None,
) -> ActionRule:
    """Set after how many working days the organisation's requests are reminded and escalated.

    It applies to requests opened from now on; those already waiting keep their days.
    """
    _require_manager(actor, organisation)
    _whole(
        "remind_after",
        remind_after,
        f"Remind after 1 to {MAX_WAIT} working days.",
    )
    if escalate_after is not None:
        _whole(
            "escalate_after",
            escalate_after,
            f"Escalate after 1 to {MAX_WAIT} working days, or leave it empty for never.",
        )
        if escalate_after <= remind_after:
            raise DomainError(
                "escalate_before_reminder",
                "Escalate later than the reminder, or the reminder never comes.",
                field="escalate_after",
            )
    rule = ActionRule.objects.select_for_update().filter(organisation=organisation).first()
    before = _snapshot(rule) if rule is not None else None
    if rule is None:
        rule = ActionRule(organisation=organisation)
    if before is not None and (rule.remind_after, rule.escalate_after) == (
        remind_after,
        escalate_after,
    ):
        return rule
    rule.remind_after, rule.escalate_after = remind_after, escalate_after
    rule.save()
    event_record(
        actor=actor,
        action=AlertEvent.ACTION_RULE_SET,
        obj=rule,
        before=before,
        after=_snapshot(rule),
    )
    return rule


def action_rule_for(*, organisation: Organisation) -> ActionRule:
    """Return the organisation's rule, or the defaults (unsaved) if it never set one."""
    found = ActionRule.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    return ActionRule(
        organisation=organisation, remind_after=REMIND_AFTER, escalate_after=ESCALATE_AFTER
    )
