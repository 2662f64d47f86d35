"""Update request endpoints: ask now, the rounds and who answered, withdrawing a link, the
schedule, and the answer sent with a signed link's token (no sign-in: the token is the key)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError
from milepost.core.schemas import InputSchema, IsoDate, Note, RowId
from milepost.schedule.models import Milestone

from .links import update_request_for_link
from .models import UpdateRequest, UpdateRound, UpdateSchedule
from .updates import (
    request_state,
    update_request_answer,
    update_request_get_for_user,
    update_request_revoke,
    update_round_get_for_user,
    update_round_request,
    update_schedule_clear,
    update_schedule_set,
)

router = Router(tags=["update requests"])


class RoundIn(InputSchema):
    milestone: RowId | None = Field(
        None, description="Ask about this one milestone only; leave out for every open one."
    )


class ResponseOut(Schema):
    id: int
    milestone_id: int
    milestone: str
    owner: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    answered_at: dt.datetime | None
    answers: int
    state: str = Field(description="answered, waiting, expired or withdrawn")


class RoundOut(Schema):
    id: int
    contract_id: int
    milestone_id: int | None
    scope: str
    requested_by: str | None
    requested_at: dt.datetime
    scheduled_for: dt.date | None
    responses: list[ResponseOut]


class ScheduleIn(InputSchema):
    weekday: int = Field(ge=0, le=6, description="0 is Monday, 6 Sunday.")
    milestone: RowId | None = Field(None, description="One milestone's own schedule.")


class ScheduleOut(Schema):
    contract_id: int
    milestone_id: int | None
    weekday: int
    day: str


class AnswerIn(InputSchema):
    note: Note = Field(min_length=1)
    progress: int | None = Field(None, ge=0, le=100, description="A deliverable's progress %.")
    expected_date: IsoDate | None = Field(
        None, description="If it will slip: a reschedule or a change request, as allowed."
    )


class AnswerOut(Schema):
    milestone_id: int
    answers: int
    answered_at: dt.datetime


def _response(r: UpdateRequest, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": r.pk,
        "milestone_id": r.milestone_id,
        "milestone": r.milestone.title,
        "owner": r.owner.username,
        "sent_at": r.sent_at,
        "expires_at": r.expires_at,
        "answered_at": r.answered_at,
        "answers": r.answers,
        "state": request_state(r, now),
    }


def _round(round_: UpdateRound) -> dict[str, Any]:
    now = timezone.now()
    requests: list[UpdateRequest] = list(round_.requests.all())
    return {
        "id": round_.pk,
        "contract_id": round_.contract_id,
        "milestone_id": round_.milestone_id,
        "scope": round_.scope,
        "requested_by": round_.requested_by.username if round_.requested_by else None,
        "requested_at": round_.requested_at,
        "scheduled_for": round_.scheduled_for,
        "responses": [_response(r, now) for r in requests],
    }


def _milestone(contract: Contract, pk: int | None) -> Milestone | None:
    if pk is None:
        return None
    found = Milestone.objects.filter(contract=contract, pk=pk).first()
    if found is None:
        raise DomainError(
            "milestone_not_on_contract",
            "That milestone is not on this contract.",
            field="milestone",
        )
    return found


@router.post("/contracts/{contract_id}/update-rounds", response={201: RoundOut})
def create_update_round(request: HttpRequest, contract_id: RowId, payload: RoundIn) -> Any:
    """Ask the owner of each open milestone (or of one) for an update now."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    contract_access(user=user, contract=contract).require_manager()
    round_ = update_round_request(
        contract=contract, milestone=_milestone(contract, payload.milestone), actor=user
    )
    return Status(201, _round(update_round_get_for_user(user=user, pk=round_.pk)))


@router.get("/contracts/{contract_id}/update-rounds", response=list[RoundOut])
def list_update_rounds(request: HttpRequest, contract_id: RowId) -> Any:
    """The contract's latest 50 rounds, newest first, with who answered (its managers)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    contract_access(user=user, contract=contract).require_manager()
    rounds = UpdateRound.objects.filter(contract=contract).select_related("requested_by")
    rounds = rounds.prefetch_related("requests__milestone", "requests__owner")[:50]
    return [_round(r) for r in rounds]


@router.post("/update-requests/{request_id}/withdraw", response=ResponseOut)
def withdraw_update_request(request: HttpRequest, request_id: RowId) -> Any:
    """Withdraw a request (a manager of an acting party): its link stops working at once."""
    user = actor(request)
    asked = update_request_get_for_user(user=user, pk=request_id)
    asked = update_request_revoke(request=asked, actor=user)
    return _response(asked, timezone.now())


@router.put("/contracts/{contract_id}/update-schedule", response=ScheduleOut)
def set_update_schedule(request: HttpRequest, contract_id: RowId, payload: ScheduleIn) -> Any:
    """Ask for updates every week on a weekday: the whole contract, or one milestone."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    schedule: UpdateSchedule = update_schedule_set(
        contract=contract,
        milestone=_milestone(contract, payload.milestone),
        weekday=payload.weekday,
        actor=user,
    )
    return {
        "contract_id": contract.pk,
        "milestone_id": schedule.milestone_id,
        "weekday": schedule.weekday,
        "day": schedule.get_weekday_display(),
    }


@router.delete("/contracts/{contract_id}/update-schedule", response={204: None})
def clear_update_schedule(
    request: HttpRequest, contract_id: RowId, milestone: RowId | None = None
) -> Any:
    """Stop asking for updates on the contract's schedule (or, with ``milestone``, its own)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    update_schedule_clear(contract=contract, milestone=_milestone(contract, milestone), actor=user)
    return Status(204, None)


@router.post("/updates/{token}", response=AnswerOut, auth=None)
def answer_update_request(request: HttpRequest, token: str, payload: AnswerIn) -> Any:
    """Answer an update request with its link's token, as the person it was sent to.

    No sign-in: the signed token is the key, for its one milestone and person, until it
    expires. A tampered, expired or withdrawn token answers 404.
    """
    asked = update_request_for_link(token=token)
    asked = update_request_answer(
        request=asked,
        actor=asked.owner,
        note=payload.note,
        progress=payload.progress,
        expected_date=payload.expected_date,
    )
    return {
        "milestone_id": asked.milestone_id,
        "answers": asked.answers,
        "answered_at": asked.answered_at,
    }
