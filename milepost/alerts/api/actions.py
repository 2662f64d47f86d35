"""Action requests: what waits for you, and how long an organisation lets requests wait."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from milepost.accounts.api import actor
from milepost.accounts.models import Organisation, User
from milepost.accounts.selectors import memberships_for_user
from milepost.core.errors import NotFound
from milepost.core.schemas import InputSchema

from ..actions import action_rule_for, action_rule_set
from ..choices import ActionKind
from ..engine.actions import action_url
from ..models import ActionRequest, ActionRule
from ..selectors import actions_waiting

router = Router(tags=["actions"])


class ActionOut(Schema):
    id: int
    kind: ActionKind
    kind_label: str
    sentence: str = Field(description="What is asked, as a sentence.")
    url: str = Field(description="Where to act: the change request, milestone or update page.")
    verb: str = Field(description="What the link says: 'Approve or reject', 'Record the payment'.")
    contract_id: int
    contract_reference: str
    milestone_id: int | None
    milestone_title: str | None
    organisation: str | None = Field(description="The organisation you are asked to act for.")
    opened_at: dt.datetime
    reminded_at: dt.datetime | None
    escalated_at: dt.datetime | None
    expires_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: ActionRequest) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_url(obj: ActionRequest) -> str:
        return action_url(obj)

    @staticmethod
    def resolve_contract_reference(obj: ActionRequest) -> str:
        return obj.contract.reference

    @staticmethod
    def resolve_milestone_title(obj: ActionRequest) -> str | None:
        return obj.milestone.title if obj.milestone is not None else None

    @staticmethod
    def resolve_organisation(obj: ActionRequest) -> str | None:
        return obj.organisation.name if obj.organisation is not None else None


@router.get("/me/actions", response=list[ActionOut])
def list_my_actions(request: HttpRequest) -> Any:
    """List the open requests waiting for you to act, oldest first, each with its link."""
    return list(actions_waiting(user=actor(request)))


class ActionRuleOut(Schema):
    organisation: str
    remind_after: int = Field(description="Working days before the recipient is reminded.")
    escalate_after: int | None = Field(
        description="Working days before the organisation's managers hear; null: never."
    )

    @staticmethod
    def resolve_organisation(obj: ActionRule) -> str:
        return obj.organisation.slug


class ActionRuleIn(InputSchema):
    remind_after: int = Field(2, description="1 to 60 working days.")
    escalate_after: int | None = Field(
        5, description="1 to 60 working days, later than the reminder; null: never."
    )


def _organisation(user: User, slug: str) -> Organisation:
    membership = memberships_for_user(user=user).filter(organisation__slug=slug).first()
    if membership is None:
        raise NotFound("organisation")
    return membership.organisation


@router.get("/organisations/{slug}/action-rule", response=ActionRuleOut)
def get_action_rule(request: HttpRequest, slug: str) -> Any:
    """Read how long requests to the organisation's people wait (its members)."""
    return action_rule_for(organisation=_organisation(actor(request), slug))


@router.put("/organisations/{slug}/action-rule", response=ActionRuleOut)
def put_action_rule(request: HttpRequest, slug: str, payload: ActionRuleIn) -> Any:
    """Set after how many working days requests are reminded and escalated (its managers)."""
    return action_rule_set(
        actor=actor(request),
        organisation=_organisation(actor(request), slug),
        remind_after=payload.remind_after,
        escalate_after=payload.escalate_after,
    )
