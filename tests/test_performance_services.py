"""Service tests for performance milestones: the KPI, its measurements and the computed status.

Time is frozen on 20 May 2026 (London), so the contract starts on 21 March 2026 and monthly
periods start on the first of April, May and June.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_set_status
from milepost.core.errors import Forbidden
from milepost.performance.choices import Direction, Period
from milepost.performance.models import KPI, Measurement
from milepost.performance.services import evaluate, measurement_record, performance_milestone_create
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_set_status
from tests.helpers import refused

TODAY = dt.date(2026, 6, 1)  # April and May are over; June has begun
APRIL = dt.date(2026, 4, 1)
MAY = dt.date(2026, 5, 1)
JUNE = dt.date(2026, 6, 1)
END_OF_MAY = dt.date(2026, 5, 31)
END_OF_JUNE = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def frozen_today():
    """Freeze 'today' before the world is built, so its dates are the ones named above."""
    with time_machine.travel(
        dt.datetime(2026, 6, 1, 12, tzinfo=ZoneInfo("Europe/London")), tick=False
    ):
        yield


def start_in_march(world):
    """Move the world's contract start to 1 March (it starts 60 days before today, 2 April)."""
    Contract.objects.filter(pk=world.contract.pk).update(start_date=dt.date(2026, 3, 1))
    world.contract.refresh_from_db()


def availability(world, **overrides):
    """Create 'availability at least 99.5% every month' over April and May, owned by the supplier.

    The world's contract starts 60 days before today (2 April); move its start to 1 March so
    that April is a whole period of it.
    """
    start_in_march(world)
    fields = {
        "contract": world.contract,
        "title": "Library systems availability",
        "owner": world.supplier_member,
        "responsible_party": world.supplier,
        "due_date": END_OF_MAY,
        "kpi_name": "Availability",
        "unit": "%",
        "target": "99.5",
        "direction": Direction.AT_LEAST,
        "period": Period.MONTH,
        "measurement_start": APRIL,
        "actor": world.supplier_manager,
    }
    fields.update(overrides)
    return performance_milestone_create(**fields)


def record(milestone, period_start, value, actor):
    return measurement_record(
        milestone=milestone, period_start=period_start, value=value, actor=actor
    )


def kpi(target="99.5", direction=Direction.AT_LEAST, period=Period.MONTH, start=APRIL):
    """Return an unsaved KPI, for evaluating without a database."""
    return KPI(
        name="Availability",
        unit="%",
        target=Decimal(target),
        direction=direction,
        period=period,
        measurement_start=start,
    )


def refreshed(milestone):
    milestone.refresh_from_db()
    return milestone


# performance_milestone_create


def test_creates_a_performance_milestone_with_its_kpi(world):
    milestone = availability(world)

    kpi_row = KPI.objects.get(milestone=milestone)
    assert milestone.kind == MilestoneKind.PERFORMANCE
    assert milestone.status == MilestoneStatus.SCHEDULED
    assert (kpi_row.name, kpi_row.unit, kpi_row.target) == ("Availability", "%", Decimal("99.5000"))
    assert (kpi_row.direction, kpi_row.period, kpi_row.measurement_start) == (
        "at_least",
        "month",
        APRIL,
    )
    assert milestone.acceptance_criteria == (
        "Availability at least 99.5 % in every month from 01 Apr 2026 to 31 May 2026."
    )
    assert Event.objects.filter(action="kpi.set", milestone_id=milestone.pk).exists()


def test_rejects_performance_milestone_without_a_kpi_name(world):
    start_in_march(world)

    with refused("required", "kpi_name"):
        availability(world, kpi_name="  ")


def test_rejects_performance_milestone_without_a_unit(world):
    start_in_march(world)

    with refused("required", "unit"):
        availability(world, unit="")


def test_rejects_unknown_direction(world):
    start_in_march(world)

    with refused("invalid_direction", "direction"):
        availability(world, direction="about")


def test_rejects_unknown_period(world):
    start_in_march(world)

    with refused("invalid_period", "period"):
        availability(world, period="fortnight")


def test_rejects_target_that_is_not_a_number(world):
    start_in_march(world)

    with refused("invalid_number", "target"):
        availability(world, target="high")


def test_rejects_target_too_large_to_store(world):
    start_in_march(world)

    with refused("invalid_number", "target"):
        availability(world, target="1e15")


def test_rejects_measurement_start_after_the_due_date(world):
    start_in_march(world)

    with refused("measurement_start_after_due", "measurement_start") as excinfo:
        availability(world, measurement_start=JUNE, due_date=END_OF_MAY)

    assert (excinfo.value.code, excinfo.value.field) == (
        "measurement_start_after_due",
        "measurement_start",
    )


def test_rejects_measurement_start_before_the_contract_starts(world):
    start_in_march(world)

    with refused("measurement_before_contract", "measurement_start") as excinfo:
        availability(world, measurement_start=dt.date(2026, 2, 1))

    assert (excinfo.value.code, excinfo.value.field) == (
        "measurement_before_contract",
        "measurement_start",
    )


def test_rejects_monthly_measurement_that_does_not_start_on_the_first(world):
    start_in_march(world)

    with refused("period_start_misaligned", "measurement_start") as excinfo:
        availability(world, measurement_start=dt.date(2026, 4, 2))

    assert (excinfo.value.code, excinfo.value.field) == (
        "period_start_misaligned",
        "measurement_start",
    )


def test_weekly_measurement_may_start_on_any_day(world):
    milestone = availability(world, period=Period.WEEK, measurement_start=dt.date(2026, 4, 2))

    assert KPI.objects.get(milestone=milestone).measurement_start == dt.date(2026, 4, 2)


def test_refuses_performance_milestone_from_a_member_who_is_not_a_manager(world):
    start_in_march(world)

    with refused("forbidden", error=Forbidden):
        availability(world, actor=world.supplier_member)


# evaluate, a pure function


def test_evaluate_without_measurements_is_scheduled():
    assert evaluate(kpi(), {}, END_OF_JUNE) == (MilestoneStatus.SCHEDULED, 0)


def test_evaluate_with_some_periods_measured_is_in_progress_with_progress():
    values = {APRIL: Decimal("99.9")}

    assert evaluate(kpi(), values, END_OF_JUNE) == (MilestoneStatus.IN_PROGRESS, 33)


def test_evaluate_in_progress_even_when_every_measured_period_failed():
    values = {APRIL: Decimal("90"), MAY: Decimal("91")}

    assert evaluate(kpi(), values, END_OF_JUNE) == (MilestoneStatus.IN_PROGRESS, 67)


def test_evaluate_ignores_values_outside_the_periods():
    values = {dt.date(2026, 4, 15): Decimal("99.9")}

    assert evaluate(kpi(), values, END_OF_JUNE) == (MilestoneStatus.SCHEDULED, 0)


def test_evaluate_is_met_when_every_period_passes():
    values = {APRIL: Decimal("99.5"), MAY: Decimal("99.9"), JUNE: Decimal("100")}

    assert evaluate(kpi(), values, END_OF_JUNE) == (MilestoneStatus.MET, 100)


def test_evaluate_is_not_met_when_no_period_passes():
    values = {APRIL: Decimal("99.4"), MAY: Decimal("98"), JUNE: Decimal("0")}

    assert evaluate(kpi(), values, END_OF_JUNE) == (MilestoneStatus.NOT_MET, 100)


def test_evaluate_is_partially_met_when_some_periods_pass():
    values = {APRIL: Decimal("99.9"), MAY: Decimal("99.4"), JUNE: Decimal("99.6")}

    assert evaluate(kpi(), values, END_OF_JUNE) == (MilestoneStatus.PARTIALLY_MET, 100)


def test_evaluate_at_most_passes_values_at_or_below_the_target():
    p1_response = kpi(target="4", direction=Direction.AT_MOST)

    met = {APRIL: Decimal("4"), MAY: Decimal("2.5"), JUNE: Decimal("3.75")}
    mixed = {APRIL: Decimal("4"), MAY: Decimal("4.01"), JUNE: Decimal("3.75")}
    assert evaluate(p1_response, met, END_OF_JUNE) == (MilestoneStatus.MET, 100)
    assert evaluate(p1_response, mixed, END_OF_JUNE) == (MilestoneStatus.PARTIALLY_MET, 100)


def test_evaluate_counts_weekly_periods_up_to_the_due_date():
    weekly = kpi(period=Period.WEEK, start=dt.date(2026, 4, 6))
    values = {dt.date(2026, 4, 6): Decimal("100"), dt.date(2026, 4, 13): Decimal("100")}

    assert evaluate(weekly, values, dt.date(2026, 4, 19)) == (MilestoneStatus.MET, 100)
    assert evaluate(weekly, values, dt.date(2026, 4, 20)) == (MilestoneStatus.IN_PROGRESS, 67)


# measurement_record


def test_first_measurement_moves_the_milestone_to_in_progress(world):
    milestone = availability(world)

    measurement = record(milestone, APRIL, "99.8", world.supplier_member)

    assert Measurement.objects.get().value == Decimal("99.8000")
    assert measurement.recorded_by == world.supplier_member
    milestone = refreshed(milestone)
    assert (milestone.status, milestone.progress) == (MilestoneStatus.IN_PROGRESS, 50)
    event = Event.objects.get(action="measurement.recorded")
    assert (event.milestone_id, event.after["passed"]) == (milestone.pk, True)


def test_last_monthly_period_all_passing_makes_availability_met(world):
    milestone = availability(world)
    record(milestone, APRIL, "99.8", world.supplier_member)

    record(milestone, MAY, "99.5", world.supplier_member)

    milestone = refreshed(milestone)
    assert (milestone.status, milestone.progress, milestone.met_on) == (
        MilestoneStatus.MET,
        100,
        TODAY,
    )
    assert Event.objects.filter(action="milestone.evaluated", after__status="met").exists()


def test_last_period_with_none_passing_makes_the_milestone_not_met(world):
    milestone = availability(world)
    record(milestone, APRIL, "99.1", world.supplier_member)

    record(milestone, MAY, "97", world.supplier_member)

    milestone = refreshed(milestone)
    assert (milestone.status, milestone.met_on) == (MilestoneStatus.NOT_MET, None)


def test_last_period_with_some_passing_makes_the_milestone_partially_met(world):
    milestone = availability(world)
    record(milestone, APRIL, "99.9", world.supplier_member)

    record(milestone, MAY, "99.0", world.supplier_member)

    milestone = refreshed(milestone)
    assert (milestone.status, milestone.met_on) == (MilestoneStatus.PARTIALLY_MET, TODAY)


def test_four_hour_p1_response_target_is_met_by_responses_within_four_hours(world):
    milestone = availability(
        world,
        title="P1 incident response",
        kpi_name="P1 response time",
        unit="hours",
        target="4",
        direction=Direction.AT_MOST,
    )
    record(milestone, APRIL, "3.5", world.supplier_member)

    record(milestone, MAY, "4", world.supplier_member)

    assert refreshed(milestone).status == MilestoneStatus.MET


def test_member_of_the_responsible_party_may_record_for_another_owner(world):
    milestone = availability(world, owner=world.supplier_manager)

    record(milestone, APRIL, "99.8", world.supplier_member)

    assert Measurement.objects.get().recorded_by == world.supplier_member


def test_manager_of_another_party_may_record_measurements(world):
    milestone = availability(world)

    record(milestone, APRIL, "99.8", world.client_manager)

    assert Measurement.objects.get().recorded_by == world.client_manager


def test_rejects_measurement_on_a_milestone_that_is_not_performance(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_performance", "kind"):
        record(deliverable, APRIL, "99.8", world.supplier_member)


def test_rejects_measurement_for_a_day_that_starts_no_period(world):
    milestone = availability(world)

    with refused("not_a_period", "period_start"):
        record(milestone, dt.date(2026, 4, 15), "99.8", world.supplier_member)


def test_rejects_measurement_for_a_period_that_is_not_over(world):
    milestone = availability(world, due_date=END_OF_JUNE)

    with refused("period_not_over", "period_start"):
        record(milestone, JUNE, "99.8", world.supplier_member)


def test_rejects_a_second_measurement_for_the_same_period(world):
    milestone = availability(world)
    record(milestone, APRIL, "99.8", world.supplier_member)

    with refused("duplicate_period", "period_start"):
        record(milestone, APRIL, "99.9", world.supplier_member)

    assert Measurement.objects.get().value == Decimal("99.8000")


def test_rejects_measurement_once_every_period_is_measured(world):
    milestone = availability(world)
    record(milestone, APRIL, "99.8", world.supplier_member)
    record(milestone, MAY, "99.8", world.supplier_member)

    with refused("milestone_closed", "period_start"):
        record(milestone, MAY, "99.9", world.supplier_member)


def test_rejects_measurement_while_the_contract_is_suspended(world):
    milestone = availability(world)
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    with refused("contract_not_active", "contract"):
        record(milestone, APRIL, "99.8", world.supplier_member)


def test_rejects_measurement_on_a_stale_copy_of_a_waived_milestone(world):
    milestone = availability(world)
    stale = Milestone.objects.get(pk=milestone.pk)
    milestone_set_status(
        milestone=milestone,
        status=MilestoneStatus.WAIVED,
        reason="Monitoring outage",
        actor=world.client_manager,
    )

    with refused("milestone_closed", "period_start"):
        record(stale, APRIL, "99.8", world.supplier_member)

    assert refreshed(milestone).status == MilestoneStatus.WAIVED


def test_rejects_measurement_value_that_is_not_a_number(world):
    milestone = availability(world)

    with refused("invalid_number", "value"):
        record(milestone, APRIL, "n/a", world.supplier_member)


def test_rejects_measurement_value_too_large_to_store(world):
    milestone = availability(world)

    with refused("invalid_number", "value"):
        record(milestone, APRIL, "123456789012345", world.supplier_member)


def test_measurement_is_judged_on_the_value_as_stored(world):
    milestone = availability(world, due_date=dt.date(2026, 4, 30))

    measurement = record(milestone, APRIL, "99.49996", world.supplier_member)

    stored = Measurement.objects.get()
    assert stored.value == measurement.value == Decimal("99.5000")
    assert Event.objects.get(action="measurement.recorded").after["passed"] is True
    assert refreshed(milestone).status == MilestoneStatus.MET


def test_refuses_measurement_from_a_viewer(world):
    milestone = availability(world)

    with refused("forbidden", error=Forbidden):
        record(milestone, APRIL, "99.8", world.supplier_viewer)


def test_refuses_measurement_from_a_client_member_who_is_neither_owner_nor_responsible(world):
    milestone = availability(world)

    with refused("forbidden", error=Forbidden):
        record(milestone, APRIL, "99.8", world.client_member)


def test_refuses_measurement_from_an_outsider(world):
    milestone = availability(world)

    with refused("forbidden", error=Forbidden):
        record(milestone, APRIL, "99.8", world.outsider)

    assert not Measurement.objects.exists()


# the status is computed, never clicked


def test_performance_milestone_cannot_be_set_met_by_hand(world):
    milestone = availability(world)

    with refused("status_not_manual", "status"):
        milestone_set_status(
            milestone=milestone, status=MilestoneStatus.MET, actor=world.client_manager
        )

    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


# giving a target up is for the parties it is owed to


@pytest.mark.parametrize("who", ["client_manager", "consultant_manager"])
def test_manager_of_a_party_owed_the_target_may_waive_it(world, who):
    milestone = availability(world)
    record(milestone, APRIL, "98.0", world.supplier_member)

    milestone_set_status(
        milestone=milestone,
        status=MilestoneStatus.WAIVED,
        reason="Monitoring outage",
        actor=getattr(world, who),
    )

    assert refreshed(milestone).status == MilestoneStatus.WAIVED
    event = Event.objects.filter(action="milestone.status_changed", milestone_id=milestone.pk)
    assert event.latest("id").actor == getattr(world, who)


@pytest.mark.parametrize("status", [MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED])
def test_responsible_party_cannot_waive_its_own_target(world, status):
    milestone = availability(world)
    record(milestone, APRIL, "98.0", world.supplier_member)

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone,
            status=status,
            reason="Missed April anyway",
            actor=world.supplier_manager,
        )

    assert refreshed(milestone).status == MilestoneStatus.IN_PROGRESS


def test_member_of_a_party_owed_the_target_cannot_waive_it(world):
    milestone = availability(world)

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone,
            status=MilestoneStatus.WAIVED,
            reason="Monitoring outage",
            actor=world.client_member,
        )
