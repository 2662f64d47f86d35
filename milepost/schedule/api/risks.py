"""Early warnings (the risk register) and recovery actions for missed or at-risk milestones."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import InputSchema, IsoDate, LongText, Note, RowId, Title, Username

from ..choices import WarningStatus
from ..models import EarlyWarning, Milestone, RecoveryAction
from ..risks.early_warnings import (
    early_warning_close,
    early_warning_get_for_user,
    early_warning_raise,
    early_warning_reopen,
    early_warning_update,
    early_warnings_for_contract,
    milestones_by_ids,
)
from ..risks.recovery import (
    recovery_action_add,
    recovery_action_complete,
    recovery_action_get_for_user,
    recovery_action_update,
    recovery_actions_for_milestone,
)
from ..selectors import milestone_get_for_user
from .milestones import user_for_field

router = Router(tags=["early warnings and recovery"])

SCALE_HELP = "1 (low) to 5 (high)."


class MilestoneRef(Schema):
    id: int
    title: str


class EarlyWarningOut(Schema):
    id: int
    contract_id: int
    title: str
    description: str
    likelihood: int
    impact: int
    score: int = Field(description="Likelihood times impact, 1 to 25; it ranks the register.")
    status: str
    owner: str
    mitigation: str
    milestone_ids: list[int]
    milestones: list[MilestoneRef]
    raised_by: str
    raised_by_party: str
    closing_note: str
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_score(obj: EarlyWarning) -> int:
        return obj.likelihood * obj.impact

    @staticmethod
    def resolve_owner(obj: EarlyWarning) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_milestone_ids(obj: EarlyWarning) -> list[int]:
        return [m.pk for m in obj.milestones.all()]

    @staticmethod
    def resolve_milestones(obj: EarlyWarning) -> list[Milestone]:
        return list(obj.milestones.all())

    @staticmethod
    def resolve_raised_by(obj: EarlyWarning) -> str:
        return obj.raised_by.username

    @staticmethod
    def resolve_raised_by_party(obj: EarlyWarning) -> str:
        return obj.raised_by_party.organisation.name


class EarlyWarningIn(InputSchema):
    title: Title
    likelihood: int = Field(ge=1, le=5, description=SCALE_HELP)
    impact: int = Field(ge=1, le=5, description=SCALE_HELP)
    milestones: list[RowId] = Field(description="Ids of the contract's milestones it threatens.")
    owner: Username = Field(description="Username of a member of a party acting on the contract.")
    description: LongText = ""
    mitigation: LongText = ""


class EarlyWarningPatch(InputSchema):
    """Only the fields given change; null leaves a field as it is."""

    title: Title | None = None
    likelihood: int | None = Field(None, ge=1, le=5, description=SCALE_HELP)
    impact: int | None = Field(None, ge=1, le=5, description=SCALE_HELP)
    milestones: list[RowId] | None = None
    owner: Username | None = None
    description: LongText | None = None
    mitigation: LongText | None = None


class CloseIn(InputSchema):
    note: Note = Field(description="Why the warning is closed.")


class RecoveryActionOut(Schema):
    id: int
    milestone_id: int
    milestone: str
    cause: str
    plan: str
    owner: str
    new_target: dt.date
    status: str
    created_by: str
    done_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_milestone(obj: RecoveryAction) -> str:
        return obj.milestone.title

    @staticmethod
    def resolve_owner(obj: RecoveryAction) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_created_by(obj: RecoveryAction) -> str:
        return obj.created_by.username


class RecoveryActionIn(InputSchema):
    cause: LongText
    plan: LongText
    owner: Username = Field(description="Username of a member of a party acting on the contract.")
    new_target: IsoDate = Field(description="Today or later, in the contract's time zone.")


class RecoveryActionPatch(InputSchema):
    """Only the fields given change; null leaves a field as it is."""

    cause: LongText | None = None
    plan: LongText | None = None
    owner: Username | None = None
    new_target: IsoDate | None = None


def _given(payload: Schema, contract: Contract) -> dict[str, Any]:
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "owner" in changes:
        changes["owner"] = user_for_field(changes["owner"], "owner", contract)
    return changes


@router.get("/contracts/{contract_id}/early-warnings", response=list[EarlyWarningOut])
def list_early_warnings(
    request: HttpRequest, contract_id: RowId, status: WarningStatus | None = None
) -> Any:
    """Read the contract's risk register: open first, then by score, highest first."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    return early_warnings_for_contract(user=user, contract=contract, status=status)


@router.post("/contracts/{contract_id}/early-warnings", response={201: EarlyWarningOut})
def raise_early_warning(request: HttpRequest, contract_id: RowId, payload: EarlyWarningIn) -> Any:
    """Raise an early warning against milestones of the contract (members and managers)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    fields = payload.dict()
    fields["milestones"] = milestones_by_ids(
        contract=contract, ids=payload.milestones, field="milestones"
    )
    fields["owner"] = user_for_field(payload.owner, "owner", contract)
    warning = early_warning_raise(contract=contract, actor=user, **fields)
    return Status(201, early_warning_get_for_user(user=user, pk=warning.pk))


@router.get("/early-warnings/{warning_id}", response=EarlyWarningOut)
def get_early_warning(request: HttpRequest, warning_id: RowId) -> Any:
    """Read one early warning."""
    return early_warning_get_for_user(user=actor(request), pk=warning_id)


@router.patch("/early-warnings/{warning_id}", response=EarlyWarningOut)
def update_early_warning(
    request: HttpRequest, warning_id: RowId, payload: EarlyWarningPatch
) -> Any:
    """Change an open warning (its owner, whoever raised it, or a manager)."""
    user = actor(request)
    warning = early_warning_get_for_user(user=user, pk=warning_id)
    changes = _given(payload, warning.contract)
    if "milestones" in changes:
        changes["milestones"] = milestones_by_ids(
            contract=warning.contract, ids=changes["milestones"], field="milestones"
        )
    early_warning_update(warning=warning, actor=user, **changes)
    return early_warning_get_for_user(user=user, pk=warning_id)


@router.post("/early-warnings/{warning_id}/close", response=EarlyWarningOut)
def close_early_warning(request: HttpRequest, warning_id: RowId, payload: CloseIn) -> Any:
    """Close an open warning with a note (its owner, whoever raised it, or a manager)."""
    user = actor(request)
    warning = early_warning_get_for_user(user=user, pk=warning_id)
    early_warning_close(warning=warning, note=payload.note, actor=user)
    return early_warning_get_for_user(user=user, pk=warning_id)


@router.post("/early-warnings/{warning_id}/reopen", response=EarlyWarningOut)
def reopen_early_warning(request: HttpRequest, warning_id: RowId) -> Any:
    """Reopen a closed warning (its owner, whoever raised it, or a manager)."""
    user = actor(request)
    warning = early_warning_get_for_user(user=user, pk=warning_id)
    early_warning_reopen(warning=warning, actor=user)
    return early_warning_get_for_user(user=user, pk=warning_id)


@router.get("/milestones/{milestone_id}/recovery-actions", response=list[RecoveryActionOut])
def list_recovery_actions(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read a milestone's recovery actions, open first, by new target."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    return recovery_actions_for_milestone(user=user, milestone=milestone)


@router.post("/milestones/{milestone_id}/recovery-actions", response={201: RecoveryActionOut})
def add_recovery_action(
    request: HttpRequest, milestone_id: RowId, payload: RecoveryActionIn
) -> Any:
    """Record a missed or at-risk milestone's recovery (managers, its party's members, its owner)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    fields = payload.dict()
    fields["owner"] = user_for_field(payload.owner, "owner", milestone.contract)
    action = recovery_action_add(milestone=milestone, actor=user, **fields)
    return Status(201, recovery_action_get_for_user(user=user, pk=action.pk))


@router.patch("/recovery-actions/{action_id}", response=RecoveryActionOut)
def update_recovery_action(
    request: HttpRequest, action_id: RowId, payload: RecoveryActionPatch
) -> Any:
    """Change an open action's cause, plan, owner or new target."""
    user = actor(request)
    action = recovery_action_get_for_user(user=user, pk=action_id)
    recovery_action_update(action=action, actor=user, **_given(payload, action.milestone.contract))
    return recovery_action_get_for_user(user=user, pk=action_id)


@router.post("/recovery-actions/{action_id}/complete", response=RecoveryActionOut)
def complete_recovery_action(request: HttpRequest, action_id: RowId) -> Any:
    """Mark a recovery action done."""
    user = actor(request)
    action = recovery_action_get_for_user(user=user, pk=action_id)
    recovery_action_complete(action=action, actor=user)
    return recovery_action_get_for_user(user=user, pk=action_id)
