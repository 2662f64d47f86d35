"""REST endpoints for performance milestones: the KPI and its measurements."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from milepost.accounts.api import actor
from milepost.core.errors import DomainError
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestone_get_for_user

from .models import KPI, Measurement
from .selectors import kpi_for_milestone, measurements_for_kpi
from .services import measurement_record

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


class MeasurementIn(Schema):
    period_start: dt.date
    value: Decimal
    note: str = ""


def _kpi(milestone: Milestone) -> KPI:
    kpi = kpi_for_milestone(milestone=milestone)
    if kpi is None:
        raise DomainError(
            "not_performance", "Only performance milestones have a KPI.", field="kind"
        )
    return kpi


@router.get("/milestones/{milestone_id}/kpi", response=KpiOut)
def get_kpi(request: HttpRequest, milestone_id: int) -> KPI:
    """Read a performance milestone's target and every measurement."""
    return _kpi(milestone_get_for_user(user=actor(request), pk=milestone_id))


@router.post("/milestones/{milestone_id}/measurements", response={201: MeasurementOut})
def record_measurement(request: HttpRequest, milestone_id: int, payload: MeasurementIn) -> Any:
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
