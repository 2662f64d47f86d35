"""REST endpoints for performance milestones: the KPI and its measurements."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import DomainError
from milepost.core.schemas import Amount, InputSchema, IsoDate, Note, RowId
from milepost.schedule.api.milestones import MilestoneDetailOut, MilestoneIn, milestone_fields
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import LINKS, milestone_get_for_user

from .choices import Direction, Period
from .models import KPI, Measurement
from .selectors import kpi_for_milestone, measurements_for_kpi
from .services import KPI_NAME_MAX, KPI_UNIT_MAX, measurement_record, performance_milestone_create

router = Router(tags=["performance"])


class MeasurementOut(Schema):
    id: int
    period_start: dt.date
    value: Decimal
    passed: bool
    note: str
    recorded_by: str
    recorded_at: dt.datetime

    @staticmethod
    def resolve_recorded_by(obj: Measurement) -> str:
        return obj.recorded_by.username


class KpiOut(Schema):
    name: str
    unit: str
    target: Decimal
    direction: str
    period: str
    measurement_start: dt.date
    measurements: list[MeasurementOut]

    @staticmethod
    def resolve_measurements(obj: KPI) -> list[Measurement]:
        return list(measurements_for_kpi(kpi=obj))


class MeasurementIn(InputSchema):
    period_start: IsoDate
    value: Amount
    note: Note = ""


def _kpi(milestone: Milestone) -> KPI:
    kpi = kpi_for_milestone(milestone=milestone)
    if kpi is None:
        raise DomainError(
            "not_performance", "Only performance milestones have a KPI.", field="kind"
        )
    return kpi


@router.get("/milestones/{milestone_id}/kpi", response=KpiOut)
def get_kpi(request: HttpRequest, milestone_id: RowId) -> KPI:
    """Read a performance milestone's target and every measurement."""
    return _kpi(milestone_get_for_user(user=actor(request), pk=milestone_id))


@router.post("/milestones/{milestone_id}/measurements", response={201: MeasurementOut})
def record_measurement(request: HttpRequest, milestone_id: RowId, payload: MeasurementIn) -> Any:
    """Record one finished period's value; the milestone's status follows from all of them."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    measurement = measurement_record(
        milestone=milestone,
        period_start=payload.period_start,
        value=payload.value,
        note=payload.note,
        actor=actor(request),
    )
    return Status(201, measurement)


class PerformanceIn(MilestoneIn):
    """A performance target: a KPI measured each period from ``measurement_start``."""

    responsible_party: RowId
    kpi_name: str = Field(max_length=KPI_NAME_MAX)
    unit: str = Field(max_length=KPI_UNIT_MAX)
    target: Amount
    direction: Direction
    period: Period
    measurement_start: IsoDate


@router.post("/contracts/{contract_id}/performance", response={201: MilestoneDetailOut})
def create_performance(request: HttpRequest, contract_id: RowId, payload: PerformanceIn) -> Any:
    """Add a performance target; its status follows from measurements, never set by hand."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    milestone = performance_milestone_create(
        contract=contract,
        **milestone_fields(contract, payload, "responsible_party"),
        kpi_name=payload.kpi_name,
        unit=payload.unit,
        target=payload.target,
        direction=payload.direction,
        period=payload.period,
        measurement_start=payload.measurement_start,
        actor=user,
    )
    return Status(201, milestone_get_for_user(user=user, pk=milestone.pk, related=LINKS))
