"""The worker keeps forecasts current: a stale contract is re-forecast, a fresh one is left."""

import datetime as dt
from decimal import Decimal

from django.test import override_settings
from django.utils import timezone

from milepost.alerts.choices import WorkUnit
from milepost.alerts.engine import _forecast_check, forecasts_refresh
from milepost.alerts.models import WorkerFailure
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.schedule import forecasts
from milepost.schedule.forecasts import forecast_run
from milepost.schedule.models import Dependency, ForecastRun
from tests.helpers import refused


def _reset() -> None:
    _forecast_check["next"] = dt.datetime.min.replace(tzinfo=dt.UTC)


@override_settings(MILEPOST_FORECAST_REFRESH_HOURS=24)
def test_the_worker_forecasts_a_contract_never_forecast_and_then_waits(world):
    world.deliverable()
    _reset()
    now = timezone.now()

    assert forecasts_refresh(now=now) == 1
    run = ForecastRun.objects.get()
    assert run.contract == world.contract and run.created_by is None
    # Nothing else is stale: the next look is five minutes away, and finds nothing then either.
    assert forecasts_refresh(now=now) == 0
    assert forecasts_refresh(now=now + dt.timedelta(minutes=6)) == 0
    assert ForecastRun.objects.count() == 1


@override_settings(MILEPOST_FORECAST_REFRESH_HOURS=24)
def test_a_forecast_older_than_the_refresh_age_is_renewed(world):
    world.deliverable()
    forecast_run(contract=world.contract, actor=world.client_manager, runs=200, seed=3)
    ForecastRun.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    _reset()

    assert forecasts_refresh(now=timezone.now()) == 1

    assert ForecastRun.objects.count() == 2


def test_the_refresh_is_off_when_the_setting_is_zero(world):
    world.deliverable()
    _reset()

    assert forecasts_refresh(now=timezone.now()) == 0
    assert not ForecastRun.objects.exists()


def _poisoned_contracts(world, count: int) -> list:
    """``count`` active contracts, never forecast, each ending a day later than the last."""
    made = []
    for n in range(count):
        contract = contract_create(
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
            reference=f"HCC-BAD-{n}",
            title=f"Poisoned {n}",
            value=Decimal("1.00"),
            currency="GBP",
            start_date=world.contract.start_date,
            end_date=world.contract.end_date + dt.timedelta(days=n + 1),
            actor=world.client_manager,
        )
        party_add(
            contract=contract,
            organisation=world.supplier_org,
            role=PartyRole.SUPPLIER,
            actor=world.client_manager,
        )
        contract_set_status(
            contract=contract, status=ContractStatus.ACTIVE, actor=world.client_manager
        )
        made.append(contract)
    return made


def _simulate_failing_for(monkeypatch, contracts) -> None:
    """Make the simulation fail, as a date past year 9999 does, for these contracts (by end)."""
    real = forecasts.simulate
    ends = {c.end_date for c in contracts}

    def simulate(problem, *, runs, seed):
        if problem.end in ends:
            raise ValueError("year 10000 is out of range")
        return real(problem, runs=runs, seed=seed)

    monkeypatch.setattr(forecasts, "simulate", simulate)


@override_settings(MILEPOST_FORECAST_REFRESH_HOURS=24)
def test_contracts_whose_forecast_fails_are_recorded_and_do_not_starve_a_good_one(
    world, monkeypatch
):
    world.deliverable()
    forecast_run(contract=world.contract, actor=world.client_manager, runs=200, seed=3)
    ForecastRun.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    poisoned = _poisoned_contracts(world, 6)  # never forecast: they head the queue
    _simulate_failing_for(monkeypatch, poisoned)
    _reset()

    assert forecasts_refresh(now=timezone.now()) == 1

    assert ForecastRun.objects.filter(contract=world.contract).count() == 2
    failures = WorkerFailure.objects.filter(unit=WorkUnit.FORECAST)
    assert sorted(failures.values_list("object_id", flat=True)) == sorted(c.pk for c in poisoned)
    assert all("year 10000 is out of range" in f.last_error for f in failures)
    assert not ForecastRun.objects.filter(contract__in=poisoned).exists()


def test_a_date_error_in_the_forecast_is_not_called_a_cycle(world, monkeypatch):
    world.deliverable()
    _simulate_failing_for(monkeypatch, [world.contract])

    with refused("forecast_failed", "contract") as caught:
        forecast_run(contract=world.contract, actor=world.client_manager, runs=200, seed=3)

    assert "year 10000" in caught.value.message


def test_a_loop_in_the_links_is_still_a_schedule_cycle(world):
    first = world.deliverable("First")
    second = world.deliverable("Second")
    # Forced past dependency_add's own check, as an old row might hold it.
    Dependency.objects.create(predecessor=first, successor=second)
    Dependency.objects.create(predecessor=second, successor=first)

    with refused("schedule_cycle", "contract"):
        forecast_run(contract=world.contract, actor=world.client_manager, runs=200, seed=3)
