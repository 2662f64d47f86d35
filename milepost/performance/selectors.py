"""Reads of KPIs and their measurements."""

from django.db.models import QuerySet

from milepost.schedule.models import Milestone

from .models import KPI, Measurement


def kpi_for_milestone(*, milestone: Milestone) -> KPI | None:
    """Return the KPI of a performance milestone. The caller checked access."""
    return KPI.objects.filter(milestone=milestone).first()


def measurements_for_kpi(*, kpi: KPI) -> QuerySet[Measurement]:
    """Return a KPI's measurements in period order, with who recorded them."""
    return kpi.measurements.select_related("recorded_by", "kpi").order_by("period_start")
