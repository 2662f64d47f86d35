"""The worker keeps forecasts current: a stale contract is re-forecast, a fresh one is left."""

import datetime as dt

from django.test import override_settings
from django.utils import timezone

from milepost.alerts.engine import _forecast_check, forecasts_refresh
from milepost.schedule.forecasts import forecast_run
from milepost.schedule.models import ForecastRun


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
