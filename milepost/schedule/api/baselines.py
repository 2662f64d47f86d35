"""Named baselines: save one, list them, compare the current plan with one, delete one."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import InputSchema, RowId

from ..baselines import (
    baseline_create,
    baseline_delete,
    baseline_get_for_user,
    baseline_variance,
    baselines_for_contract,
)
from ..models import Baseline

router = Router(tags=["baselines"])


class BaselineIn(InputSchema):
    name: str = Field(min_length=1, max_length=120, description="Unique within the contract.")


class BaselineOut(Schema):
    id: int
    contract_id: int
    name: str
    created_by: str
    created_at: dt.datetime
    milestone_count: int = Field(description="How many milestones' dates it froze.")

    @staticmethod
    def resolve_created_by(obj: Baseline) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_milestone_count(obj: Baseline) -> int:
        return int(obj.entry_count)  # type: ignore[attr-defined]


class VarianceRowOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    is_new: bool = Field(description="Added after the baseline was saved: nothing to compare.")
    baseline_due: dt.date | None
    baseline_start: dt.date | None
    current_due: dt.date
    current_start: dt.date | None
    slip_days: int | None = Field(description="Calendar days later (negative: earlier).")
    slip_working_days: int | None = Field(description="Working days later (negative: earlier).")


class VarianceSummaryOut(Schema):
    later: int
    earlier: int
    unchanged: int
    new: int
    largest_slip_days: int | None
    largest_slip_working_days: int | None
    largest_slip_milestone_id: int | None
    baseline_finish: dt.date | None
    current_finish: dt.date | None
    finish_slip_days: int | None
    finish_slip_working_days: int | None


class BaselineDetailOut(BaselineOut):
    rows: list[VarianceRowOut]
    summary: VarianceSummaryOut


@router.get("/contracts/{contract_id}/baselines", response=list[BaselineOut])
def list_baselines(request: HttpRequest, contract_id: RowId) -> Any:
    """List the contract's baselines, newest first."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    return baselines_for_contract(user=user, contract=contract)


@router.post("/contracts/{contract_id}/baselines", response={201: BaselineOut})
def create_baseline(request: HttpRequest, contract_id: RowId, payload: BaselineIn) -> Any:
    """Freeze every milestone's dates under a name (managers and admins of an acting party)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    baseline = baseline_create(contract=contract, name=payload.name, actor=user)
    return Status(201, baseline_get_for_user(user=user, pk=baseline.pk))


@router.get("/baselines/{baseline_id}", response=BaselineDetailOut)
def get_baseline(request: HttpRequest, baseline_id: RowId) -> Any:
    """Compare the current plan with the baseline: slip per milestone, and a summary."""
    user = actor(request)
    baseline = baseline_get_for_user(user=user, pk=baseline_id)
    variance = baseline_variance(user=user, baseline=baseline)
    # The schema reads the comparison from the baseline, as it reads its other fields.
    baseline.rows = variance.rows  # type: ignore[attr-defined]
    baseline.summary = variance.summary  # type: ignore[attr-defined]
    return baseline


@router.delete("/baselines/{baseline_id}", response={204: None})
def delete_baseline(request: HttpRequest, baseline_id: RowId) -> Any:
    """Delete a baseline (managers and admins of the organisation that owns the contract)."""
    user = actor(request)
    baseline_delete(baseline=baseline_get_for_user(user=user, pk=baseline_id), actor=user)
    return Status(204, None)
