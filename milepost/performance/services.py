"""Writes for performance milestones: the KPI and its measurements, which decide the status."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contract_access
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden
from milepost.core.text import NOTE_MAX, text_check
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    milestone_create,
    milestone_record_outcome,
    milestone_set_progress,
)

from .choices import Direction, Period
from .events import PerformanceEvent
from .models import KPI, Measurement, next_period_start, period_starts

# Targets and measured values are DecimalField(max_digits=18, decimal_places=4). SQLite keeps 15
# significant digits, so 11 before the point and 4 after is what both databases store exactly.
PLACES = Decimal("0.0001")
MAX_NUMBER = Decimal(10) ** 11
# The KPI's name and unit are short labels, limited by their columns.
KPI_NAME_MAX = KPI._meta.get_field("name").max_length or 120
KPI_UNIT_MAX = KPI._meta.get_field("unit").max_length or 32


def _decimal(value: Decimal | str | float, field: str) -> Decimal:
    """Parse a number and round it as it will be stored, so it is judged as stored."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid_number", f"'{value}' is not a number.", field=field) from exc
    if not number.is_finite():
        raise DomainError("invalid_number", f"'{value}' is not a number.", field=field)
    # Compare exponents: abs() of a number like .4E3591671401 overflows the decimal context.
    if number.adjusted() >= MAX_NUMBER.adjusted():
        raise DomainError("invalid_number", f"'{value}' is too large.", field=field)
    return number.quantize(PLACES, rounding=ROUND_HALF_UP)


def evaluate(kpi: KPI, values: dict[dt.date, Decimal], due_date: dt.date) -> tuple[str, int]:
    """Return the status and progress that a KPI's measurements imply.

    Until every period up to the due date is measured the milestone is in progress (or still
    scheduled with none). Then it is met if every period passed, not met if none did, and
    partially met otherwise.
    """
    expected = period_starts(kpi.period, kpi.measurement_start, due_date)
    measured = [values[day] for day in expected if day in values]
    progress = round(100 * len(measured) / len(expected)) if expected else 0
    if not measured:
        return MilestoneStatus.SCHEDULED, 0
    if len(measured) < len(expected):
        return MilestoneStatus.IN_PROGRESS, progress
    passed = sum(1 for value in measured if kpi.passes(value))
    if passed == len(measured):
        return MilestoneStatus.MET, 100
    return (MilestoneStatus.NOT_MET if passed == 0 else MilestoneStatus.PARTIALLY_MET), 100


@transaction.atomic
def performance_milestone_create(
    *,
    contract: Contract,
    title: str,
    owner: User,
    responsible_party: Party,
    due_date: dt.date,
    kpi_name: str,
    unit: str,
    target: Decimal | str,
    direction: str,
    period: str,
    measurement_start: dt.date,
    criticality: str = Criticality.STANDARD,
    acceptance_criteria: str = "",
    description: str = "",
    reference: str = "",
    actor: User,
) -> Milestone:
    """Create a performance milestone whose status its measurements will decide."""
    contract_access(user=actor, contract=contract).require_manager()
    if not kpi_name.strip():
        raise DomainError("required", "Name the KPI, such as 'Availability'.", field="kpi_name")
    if not unit.strip():
        raise DomainError("required", "Give the KPI's unit, such as '%' or 'hours'.", field="unit")
    text_check(kpi_name.strip(), field="kpi_name", limit=KPI_NAME_MAX, label="The KPI's name")
    text_check(unit.strip(), field="unit", limit=KPI_UNIT_MAX, label="The KPI's unit")
    if direction not in Direction.values:
        raise DomainError(
            "invalid_direction", "The target is 'at_least' or 'at_most'.", field="direction"
        )
    if period not in Period.values:
        raise DomainError(
            "invalid_period", f"The period is one of {', '.join(Period.values)}.", field="period"
        )
    target_value = _decimal(target, "target")
    if measurement_start > due_date:
        raise DomainError(
            "measurement_start_after_due",
            "Measurement starts on or before the due date.",
            field="measurement_start",
        )
    if measurement_start < contract.start_date:
        raise DomainError(
            "measurement_before_contract",
            "Measurement starts on or after the contract start.",
            field="measurement_start",
        )
    if period in (Period.MONTH, Period.QUARTER) and measurement_start.day != 1:
        raise DomainError(
            "period_start_misaligned",
            "Monthly and quarterly measurement starts on the first of a month.",
            field="measurement_start",
        )
    direction_label = Direction(direction).label.lower()
    milestone = milestone_create(
        contract=contract,
        kind=MilestoneKind.PERFORMANCE,
        title=title,
        owner=owner,
        responsible_party=responsible_party,
        due_date=due_date,
        criticality=criticality,
        acceptance_criteria=acceptance_criteria
        or f"{kpi_name} {direction_label} {target_value.normalize():f} {unit} in every {period} "
        f"from {measurement_start:%d %b %Y} to {due_date:%d %b %Y}.",
        description=description,
        reference=reference,
        actor=actor,
    )
    kpi = KPI.objects.create(
        milestone=milestone,
        name=kpi_name.strip(),
        unit=unit.strip(),
        target=target_value,
        direction=direction,
        period=period,
        measurement_start=measurement_start,
    )
    event_record(
        actor=actor,
        action=PerformanceEvent.KPI_SET,
        obj=kpi,
        after={
            "name": kpi.name,
            "unit": kpi.unit,
            "target": target_value,
            "direction": direction,
            "period": period,
            "measurement_start": measurement_start,
        },
        milestone_id=milestone.pk,
    )
    return milestone


def measurement_record_refusal(*, milestone: Milestone, user: User) -> DomainError | None:
    """Return why ``user`` may not record a measurement on ``milestone`` now, or ``None``.

    The check ``measurement_record`` makes before it looks at the period and value typed.
    """
    if milestone.kind != MilestoneKind.PERFORMANCE:
        return DomainError(
            "not_performance", "Only performance milestones take measurements.", field="kind"
        )
    access = contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    if not (
        access.can_manage
        or milestone.owner_id == user.pk
        or access.acts_for(milestone.responsible_party_id)
    ):
        return Forbidden(
            "Only the owner, the responsible party or a manager may record measurements."
        )
    if milestone.contract.status != ContractStatus.ACTIVE:
        return DomainError(
            "contract_not_active",
            "Measurements are recorded while the contract is active.",
            field="contract",
        )
    if not milestone.is_open:
        return DomainError(
            "milestone_closed",
            "Every period has been decided; the milestone is closed.",
            field="period_start",
        )
    return None


@transaction.atomic
def measurement_record(
    *,
    milestone: Milestone,
    period_start: dt.date,
    value: Decimal | str,
    note: str = "",
    actor: User,
) -> Measurement:
    """Record one period's measured value and recompute the milestone's status from all of them."""
    if milestone.kind != MilestoneKind.PERFORMANCE:
        raise DomainError(
            "not_performance", "Only performance milestones take measurements.", field="kind"
        )
    # Judge the milestone as it is now, not as the caller loaded it: a copy from before a waiver
    # would record on a closed milestone and move it back to in progress. The lock also
    # serialises measurements, so the last two cannot both miss each other when evaluating.
    milestone.refresh_from_db(from_queryset=Milestone.objects.select_for_update(no_key=True))
    refusal = measurement_record_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    note = text_check(note.strip(), field="note", limit=NOTE_MAX, label="The note")
    kpi = KPI.objects.select_related("milestone").get(milestone=milestone)
    expected = period_starts(kpi.period, kpi.measurement_start, milestone.due_date)
    if period_start not in expected:
        first = ", ".join(f"{day:%d %b %Y}" for day in expected[:3])
        raise DomainError(
            "not_a_period",
            f"{period_start:%d %b %Y} does not start a measured {kpi.get_period_display().lower()} period "
            f"(periods start {first}{'…' if len(expected) > 3 else ''}).",
            field="period_start",
        )
    period_end = next_period_start(kpi.period, period_start)
    if period_end > local_today(milestone.contract.time_zone):
        # A period is judged once it is over: a month's availability is not known on its first day.
        raise DomainError(
            "period_not_over",
            f"The period from {period_start:%d %b %Y} is not over yet; record it from {period_end:%d %b %Y}.",
            field="period_start",
        )
    if kpi.measurements.filter(period_start=period_start).exists():
        raise DomainError(
            "duplicate_period",
            f"The period starting {period_start:%d %b %Y} has a measurement already.",
            field="period_start",
        )
    measurement = Measurement.objects.create(
        kpi=kpi,
        period_start=period_start,
        value=_decimal(value, "value"),
        note=note.strip(),
        recorded_by=actor,
    )
    event_record(
        actor=actor,
        action=PerformanceEvent.MEASUREMENT_RECORDED,
        obj=measurement,
        after={
            "period_start": period_start,
            "value": measurement.value,
            "passed": measurement.passed,
        },
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    values = dict(kpi.measurements.values_list("period_start", "value"))
    status, progress = evaluate(kpi, values, milestone.due_date)
    missed = sum(1 for v in values.values() if not kpi.passes(v))
    risk_note = f"{missed} of {len(values)} measured periods missed the target." if missed else ""
    if (progress, risk_note) != (milestone.progress, milestone.risk_note):
        milestone_set_progress(
            milestone=milestone, progress=progress, risk_note=risk_note, actor=actor
        )
    if status != milestone.status:
        milestone_record_outcome(
            milestone=milestone,
            status=status,
            actor=actor,
            reason=f"{sum(1 for v in values.values() if kpi.passes(v))} of {len(values)} periods on target",
            action=PerformanceEvent.MILESTONE_EVALUATED,
        )
    return measurement
