"""A deliverable's submission by the supplier, and its acceptance or rejection by the receiving
party (``..acceptance``)."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router

from milepost.accounts.api import actor
from milepost.core.schemas import InputSchema, IsoDate, Note, RowId

from ..acceptance import deliverable_accept, deliverable_reject, deliverable_submit
from ..selectors import LINKS, milestone_get_for_user
from .milestones import MilestoneDetailOut

router = Router()


class AcceptanceIn(InputSchema):
    outcome: Literal["accept", "partial", "reject"]
    comment: Note = ""
    met_on: IsoDate | None = None


class SubmissionIn(InputSchema):
    note: Note
    evidence: list[RowId] = []


@router.post("/milestones/{milestone_id}/submission", response=MilestoneDetailOut)
def submit_for_acceptance(request: HttpRequest, milestone_id: RowId, payload: SubmissionIn) -> Any:
    """Submit a deliverable for acceptance, for the supplier: a note and the ids of evidence
    already attached to it (upload files first with ``POST …/evidence``)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    deliverable_submit(
        milestone=milestone, note=payload.note, evidence=payload.evidence, actor=user
    )
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)


@router.post("/milestones/{milestone_id}/acceptance", response=MilestoneDetailOut)
def decide_acceptance(request: HttpRequest, milestone_id: RowId, payload: AcceptanceIn) -> Any:
    """Accept a deliverable (fully or in part) or send it back, for the receiving party."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    if payload.outcome == "reject":
        deliverable_reject(milestone=milestone, comment=payload.comment, actor=user)
    else:
        deliverable_accept(
            milestone=milestone,
            comment=payload.comment,
            partial=payload.outcome == "partial",
            met_on=payload.met_on,
            actor=user,
        )
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)
