"""Planning endpoints: relative dates (anchors), pins and plans."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router

from milepost.accounts.api import actor
from milepost.core.schemas import InputSchema, IsoDate, RowId

from ..choices import AnchorEvent
from ..planning import UNSET, milestone_anchor_set, milestone_pin, milestone_plan_set
from ..selectors import milestone_get_for_user
from .milestones import LINKS, MilestoneDetailOut, milestone_in_contract

router = Router(tags=["planning and change requests"])


class AnchorIn(InputSchema):
    anchor_id: RowId | None = Field(
        description="The milestone the due date counts from; null makes the date fixed again."
    )
    event: AnchorEvent = AnchorEvent.MET
    offset: int = Field(0, ge=-1000, le=1000, description="Days after (negative: before).")
    working_days: bool = False


@router.put("/milestones/{milestone_id}/anchor", response=MilestoneDetailOut)
def set_anchor(request: HttpRequest, milestone_id: RowId, payload: AnchorIn) -> Any:
    """Make the due date relative to another milestone, or fixed again (managers)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    anchor = (
        milestone_in_contract(milestone.contract, payload.anchor_id, "anchor_id")
        if payload.anchor_id is not None
        else None
    )
    milestone_anchor_set(
        milestone=milestone,
        anchor=anchor,
        event=payload.event,
        offset=payload.offset,
        working_days=payload.working_days,
        actor=user,
    )
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)


class PinIn(InputSchema):
    pinned: bool


@router.put("/milestones/{milestone_id}/pin", response=MilestoneDetailOut)
def set_pin(request: HttpRequest, milestone_id: RowId, payload: PinIn) -> Any:
    """Pin a date the contract fixes, or release it (managers)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    milestone_pin(milestone=milestone, pinned=payload.pinned, actor=user)
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)


class PlanIn(InputSchema):
    start_date: IsoDate | None = Field(None, description="When work starts; null: a point in time.")
    estimate: tuple[int, int, int] | None = Field(
        None,
        description="Remaining working days as [optimistic, most likely, pessimistic]; null clears.",
    )


@router.patch("/milestones/{milestone_id}/plan", response=MilestoneDetailOut)
def set_plan(request: HttpRequest, milestone_id: RowId, payload: PlanIn) -> Any:
    """Set the start date and three-point estimate (the owner or a manager)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    given = payload.dict(exclude_unset=True)
    milestone_plan_set(
        milestone=milestone,
        actor=user,
        start_date=given.get("start_date", UNSET),
        estimate=payload.estimate if "estimate" in given else UNSET,
    )
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)
