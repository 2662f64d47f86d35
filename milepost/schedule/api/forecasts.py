"""Forecast endpoints: run a Monte Carlo forecast of a contract, list runs, read one, per milestone."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import left_out_note
from milepost.core.schemas import InputSchema, RowId

from ..forecasts import (
    DEFAULT_RUNS,
    forecast_left_out,
    forecast_run,
    forecast_run_get_for_user,
    forecast_runs_for_contract,
    milestone_outlook,
)
from ..models import ForecastResult, ForecastRun
from ..selectors import milestone_get_for_user

router = Router(tags=["forecasts"])


class ForecastIn(InputSchema):
    # Strict: pydantic would otherwise read ``false`` as the seed 0.
    runs: StrictInt = Field(DEFAULT_RUNS, description="Monte Carlo runs, 100 to 100,000.")
    seed: StrictInt | None = Field(
        None,
        description="0 to 2^63 - 1. Leave out for a random seed; it is stored with the run, "
        "and the same seed with the same inputs gives the same numbers.",
    )


class ForecastRunOut(Schema):
    id: int
    contract_id: int
    as_of: dt.date = Field(description="The contract's local date the forecast counts from.")
    seed: int
    runs: int
    threshold: int = Field(description="The contract's at-risk threshold (%) at the time.")
    inputs_digest: str = Field(description="SHA-256 of every input: equal digests, equal inputs.")
    finish_p50: dt.date | None = Field(description="The median date of the last finish.")
    finish_p80: dt.date | None
    on_time_probability: float | None = Field(
        description="The chance (0 to 1) that every milestone is met by the contract's end date."
    )
    elapsed_ms: float
    created_by: str | None = Field(description="Who ran it; null: the system.")
    created_at: dt.datetime

    @staticmethod
    def resolve_created_by(obj: ForecastRun) -> str | None:
        return obj.created_by.username if obj.created_by else None


class ForecastResultOut(Schema):
    milestone_id: int
    milestone_title: str
    due_date: dt.date = Field(description="The milestone's due date now.")
    p50: dt.date
    p80: dt.date
    on_time_probability: float
    below_threshold: bool = Field(description="The chance is below the run's threshold.")

    @staticmethod
    def resolve_milestone_title(obj: ForecastResult) -> str:
        return obj.milestone.title

    @staticmethod
    def resolve_due_date(obj: ForecastResult) -> dt.date:
        return obj.milestone.due_date

    @staticmethod
    def resolve_below_threshold(obj: ForecastResult) -> bool:
        return obj.on_time_probability < obj.run.threshold / 100


class ForecastRunDetailOut(ForecastRunOut):
    results: list[ForecastResultOut] = Field(description="One per open milestone, by due date.")
    note: str = Field(
        description="Which of the contract's milestones a forecast leaves out because a date is "
        "out of range (rows saved before dates were checked), if any."
    )

    @staticmethod
    def resolve_results(obj: ForecastRun) -> list[ForecastResult]:
        return list(obj.results.all())

    @staticmethod
    def resolve_note(obj: ForecastRun) -> str:
        return left_out_note(forecast_left_out(contract=obj.contract))


class MilestoneForecastOut(Schema):
    milestone_id: int
    run_id: int | None = Field(description="The contract's latest run; null: never forecast.")
    as_of: dt.date | None
    threshold: int = Field(description="The contract's at-risk threshold (%).")
    due_date: dt.date
    on_time_probability: float | None = Field(description="Null unless the milestone is open.")
    forecast_p50: dt.date | None
    forecast_p80: dt.date | None
    forecast_date: dt.date | None = Field(
        description="The date met with the threshold's probability: after the due date exactly "
        "when the chance is below the threshold."
    )
    below_threshold: bool
    signals: list[str] = Field(description="Leading signals: stale updates, progress, slips.")
    status: str = Field(description="The milestone's status; a closed one has no forecast.")
    met_on: dt.date | None = Field(description="When it was met; null unless met.")


@router.post("/contracts/{contract_id}/forecasts", response={201: ForecastRunDetailOut})
def run_forecast(request: HttpRequest, contract_id: RowId, payload: ForecastIn) -> Any:
    """Run a forecast now (managers and members of a party other than an observer)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    run = forecast_run(contract=contract, actor=user, runs=payload.runs, seed=payload.seed)
    return Status(201, forecast_run_get_for_user(user=user, pk=run.pk))


@router.get("/contracts/{contract_id}/forecasts", response=list[ForecastRunOut])
def list_forecasts(
    request: HttpRequest, contract_id: RowId, limit: int = Query(50, ge=1, le=500)
) -> Any:
    """List the contract's forecast runs, newest first (anyone who sees the contract)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    return forecast_runs_for_contract(user=user, contract=contract)[:limit]


@router.get("/forecasts/{run_id}", response=ForecastRunDetailOut)
def get_forecast(request: HttpRequest, run_id: RowId) -> Any:
    """Read one forecast run with each open milestone's result."""
    return forecast_run_get_for_user(user=actor(request), pk=run_id)


@router.get("/milestones/{milestone_id}/forecast", response=MilestoneForecastOut)
def get_milestone_forecast(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read the milestone's standing forecast and leading signals, from the latest run."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return milestone_outlook(milestone=milestone)
