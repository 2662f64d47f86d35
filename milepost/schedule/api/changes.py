"""Change request endpoints: preview an impact, submit, decide, withdraw."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import Amount, InputSchema, IsoDate, LongText, Note, RowId

from ..changes import (
    change_request_approve,
    change_request_get_for_user,
    change_request_preview,
    change_request_reject,
    change_request_submit,
    change_request_withdraw,
    change_requests_for_user,
)
from ..models import ChangeRequest
from ..selectors import milestone_get_for_user

# Listed under the planning tag in the API document, as they always were.
router = Router(tags=["planning and change requests"])


class ChangeValuesIn(InputSchema):
    new_due_date: IsoDate | None = None
    new_amount: Amount | None = Field(None, description="For a payment: its new amount.")


class ChangeRequestIn(ChangeValuesIn):
    reason: LongText = Field(min_length=1)


class MoveOut(Schema):
    id: int
    title: str
    old_due: dt.date
    new_due: dt.date
    days: int
    driven_by: str


class ConflictOut(Schema):
    id: int
    title: str
    message: str


class DelayedPaymentOut(Schema):
    id: int
    title: str
    amount: Decimal
    currency: str
    old_due: dt.date
    new_due: dt.date
    days: int
    why: str


class CriticalChangeOut(Schema):
    before: list[str]
    after: list[str]
    finish_before: dt.date | None
    finish_after: dt.date | None
    changed: bool


class AmountChangeOut(Schema):
    old: Decimal
    new: Decimal
    currency: str


class ImpactOut(Schema):
    moves: list[MoveOut]
    conflicts: list[ConflictOut]
    payments: list[DelayedPaymentOut]
    critical_path: CriticalChangeOut
    amount: AmountChangeOut | None


class ChangeRequestOut(Schema):
    id: int
    contract_id: int
    milestone_id: int
    milestone: str
    requesting_party: str
    requested_by: str
    reason: str
    old_due_date: dt.date
    new_due_date: dt.date | None
    old_amount: Decimal | None
    new_amount: Decimal | None
    status: str
    impact: ImpactOut
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_milestone(obj: ChangeRequest) -> str:
        return obj.milestone.title

    @staticmethod
    def resolve_requesting_party(obj: ChangeRequest) -> str:
        return obj.requesting_party.organisation.name

    @staticmethod
    def resolve_requested_by(obj: ChangeRequest) -> str:
        return obj.requested_by.username

    @staticmethod
    def resolve_decided_by(obj: ChangeRequest) -> str | None:
        return obj.decided_by.username if obj.decided_by else None


@router.post("/milestones/{milestone_id}/change-requests/preview", response=ImpactOut)
def preview_change(request: HttpRequest, milestone_id: RowId, payload: ChangeValuesIn) -> Any:
    """Show what a proposed change would move, breach and delay; nothing is saved."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    return change_request_preview(milestone=milestone, actor=user, **payload.dict())


@router.post("/milestones/{milestone_id}/change-requests", response={201: ChangeRequestOut})
def submit_change(request: HttpRequest, milestone_id: RowId, payload: ChangeRequestIn) -> Any:
    """Propose a new due date or amount with a reason (a party's manager)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    change = change_request_submit(milestone=milestone, actor=user, **payload.dict())
    return Status(201, change_request_get_for_user(user=user, pk=change.pk))


@router.get("/contracts/{contract_id}/change-requests", response=list[ChangeRequestOut])
def list_changes(
    request: HttpRequest,
    contract_id: RowId,
    status: Literal["pending", "approved", "rejected", "withdrawn"] | None = None,
) -> Any:
    """Read the contract's change requests, newest first, optionally of one status."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    return change_requests_for_user(user=user, contract=contract.pk, status=status or "")


@router.get("/change-requests/{change_id}", response=ChangeRequestOut)
def get_change(request: HttpRequest, change_id: RowId) -> Any:
    """Read one change request with the impact it showed when submitted."""
    return change_request_get_for_user(user=actor(request), pk=change_id)


class ChangeApprovalIn(InputSchema):
    note: Note = Field("", description="Optional: what the approval rests on.")


class ChangeRejectionIn(InputSchema):
    note: Note = Field(description="Why the change is rejected; required.")


@router.post("/change-requests/{change_id}/approve", response=ChangeRequestOut)
def approve_change(request: HttpRequest, change_id: RowId, payload: ChangeApprovalIn) -> Any:
    """Approve for the counterparty: the new values apply and what follows moves."""
    user = actor(request)
    change = change_request_get_for_user(user=user, pk=change_id)
    change_request_approve(change=change, note=payload.note, actor=user)
    return change_request_get_for_user(user=user, pk=change_id)


@router.post("/change-requests/{change_id}/reject", response=ChangeRequestOut)
def reject_change(request: HttpRequest, change_id: RowId, payload: ChangeRejectionIn) -> Any:
    """Reject for the counterparty, saying why; nothing moves."""
    user = actor(request)
    change = change_request_get_for_user(user=user, pk=change_id)
    change_request_reject(change=change, note=payload.note, actor=user)
    return change_request_get_for_user(user=user, pk=change_id)


@router.post("/change-requests/{change_id}/withdraw", response=ChangeRequestOut)
def withdraw_change(request: HttpRequest, change_id: RowId) -> Any:
    """Withdraw one's own party's pending change request."""
    user = actor(request)
    change = change_request_get_for_user(user=user, pk=change_id)
    change_request_withdraw(change=change, actor=user)
    return change_request_get_for_user(user=user, pk=change_id)
