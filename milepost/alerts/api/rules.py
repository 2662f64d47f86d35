"""Reminder rules: read the rule in force at a level and where it comes from; set or clear it."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.accounts.models import Organisation, User
from milepost.accounts.selectors import memberships_for_user
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import NotFound
from milepost.core.schemas import Code, InputSchema, RowId
from milepost.schedule.selectors import milestone_get_for_user

from ..rules import (
    reminder_rule_clear,
    reminder_rule_in_force,
    reminder_rule_override,
    reminder_rule_set,
)
from ..timing import DEFAULT_RULE, Rule

router = Router(tags=["reminder rules"])


class RuleOut(Schema):
    source: str = Field(
        description="Where the rule in force comes from: milestone, contract, organisation "
        "or default (built in)."
    )
    offsets: list[int] = Field(description="Days before the due date; 0 is the day itself.")
    working_days: bool
    overdue_every: int = Field(description="Days between overdue reminders; 0: never.")
    escalate_after: int | None = Field(description="Days overdue before escalating; null: never.")
    escalate_critical_to_counterparty: bool
    channels: list[str]


class RuleIn(InputSchema):
    offsets: list[int] = Field(description="Days before the due date, 0 to 365; 0 is the day.")
    working_days: bool = DEFAULT_RULE.working_days
    overdue_every: int = Field(DEFAULT_RULE.overdue_every, description="0 to 60; 0: never.")
    escalate_after: int | None = Field(
        DEFAULT_RULE.escalate_after, description="1 to 365, or null: never."
    )
    escalate_critical_to_counterparty: bool = DEFAULT_RULE.escalate_critical_to_counterparty
    channels: list[Code] = Field(description="Any of email, inapp; at least one.")


def _in_force(scope: dict[str, Any]) -> dict[str, Any]:
    rule, source = reminder_rule_in_force(**scope)
    return {**_shape(rule), "source": source}


def _shape(rule: Rule) -> dict[str, Any]:
    return {
        "offsets": list(rule.offsets),
        "working_days": rule.working_days,
        "overdue_every": rule.overdue_every,
        "escalate_after": rule.escalate_after,
        "escalate_critical_to_counterparty": rule.escalate_critical_to_counterparty,
        "channels": list(rule.channels),
    }


def _organisation(user: User, slug: str) -> Organisation:
    membership = memberships_for_user(user=user).filter(organisation__slug=slug).first()
    if membership is None:
        raise NotFound("organisation")
    return membership.organisation


def _contract(request: HttpRequest, contract_id: RowId) -> dict[str, Any]:
    return {"contract": contract_get_for_user(user=actor(request), pk=contract_id)}


def _milestone(request: HttpRequest, milestone_id: RowId) -> dict[str, Any]:
    return {"milestone": milestone_get_for_user(user=actor(request), pk=milestone_id)}


def _override(scope: dict[str, Any]) -> dict[str, Any]:
    """The override set at exactly this level, or 404 if there is none."""
    rule = reminder_rule_override(**scope)
    if rule is None:
        raise NotFound("override at this level")
    return {**_shape(rule), "source": next(iter(scope))}


def _set(request: HttpRequest, scope: dict[str, Any], payload: RuleIn) -> dict[str, Any]:
    reminder_rule_set(actor=actor(request), **scope, **payload.dict())
    return _override(scope)


def _clear(request: HttpRequest, scope: dict[str, Any]) -> Status[None]:
    reminder_rule_clear(actor=actor(request), **scope)
    return Status(204, None)


@router.get("/organisations/{slug}/reminder-rule", response=RuleOut)
def get_org_rule(request: HttpRequest, slug: str) -> Any:
    """Read the rule in force at this level and where it comes from (the organisation's members)."""
    return _in_force({"organisation": _organisation(actor(request), slug)})


@router.get("/organisations/{slug}/reminder-rule/override", response=RuleOut)
def get_org_override(request: HttpRequest, slug: str) -> Any:
    """Read the organisation's default; 404 if this level has none and inherits."""
    return _override({"organisation": _organisation(actor(request), slug)})


@router.put("/organisations/{slug}/reminder-rule/override", response=RuleOut)
def put_org_override(request: HttpRequest, slug: str, payload: RuleIn) -> Any:
    """Set the organisation's default (its managers and admins)."""
    return _set(request, {"organisation": _organisation(actor(request), slug)}, payload)


@router.delete("/organisations/{slug}/reminder-rule/override", response={204: None})
def delete_org_override(request: HttpRequest, slug: str) -> Any:
    """Remove the organisation's default, so the level above applies; removing none is fine."""
    return _clear(request, {"organisation": _organisation(actor(request), slug)})


@router.get("/contracts/{contract_id}/reminder-rule", response=RuleOut)
def get_contract_rule(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the rule in force at this level and where it comes from (anyone who sees the contract)."""
    return _in_force(_contract(request, contract_id))


@router.get("/contracts/{contract_id}/reminder-rule/override", response=RuleOut)
def get_contract_override(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the contract's own rule; 404 if this level has none and inherits."""
    return _override(_contract(request, contract_id))


@router.put("/contracts/{contract_id}/reminder-rule/override", response=RuleOut)
def put_contract_override(request: HttpRequest, contract_id: RowId, payload: RuleIn) -> Any:
    """Set the contract's own rule (managers and admins of the owning organisation)."""
    return _set(request, _contract(request, contract_id), payload)


@router.delete("/contracts/{contract_id}/reminder-rule/override", response={204: None})
def delete_contract_override(request: HttpRequest, contract_id: RowId) -> Any:
    """Remove the contract's own rule, so the level above applies; removing none is fine."""
    return _clear(request, _contract(request, contract_id))


@router.get("/milestones/{milestone_id}/reminder-rule", response=RuleOut)
def get_milestone_rule(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read the rule in force at this level and where it comes from (anyone who sees the milestone)."""
    return _in_force(_milestone(request, milestone_id))


@router.get("/milestones/{milestone_id}/reminder-rule/override", response=RuleOut)
def get_milestone_override(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read the milestone's own rule; 404 if this level has none and inherits."""
    return _override(_milestone(request, milestone_id))


@router.put("/milestones/{milestone_id}/reminder-rule/override", response=RuleOut)
def put_milestone_override(request: HttpRequest, milestone_id: RowId, payload: RuleIn) -> Any:
    """Set the milestone's own rule (managers and admins of a party to the contract)."""
    return _set(request, _milestone(request, milestone_id), payload)


@router.delete("/milestones/{milestone_id}/reminder-rule/override", response={204: None})
def delete_milestone_override(request: HttpRequest, milestone_id: RowId) -> Any:
    """Remove the milestone's own rule, so the level above applies; removing none is fine."""
    return _clear(request, _milestone(request, milestone_id))
