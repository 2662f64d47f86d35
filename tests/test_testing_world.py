"""The kept world: a module that holds its clock gets, in every test, the world built at START."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from milepost.audit.models import Event
from milepost.schedule.models import Milestone

START = dt.datetime(2027, 10, 31, 1, 30, tzinfo=dt.UTC)  # the hour London's clocks go back

pytestmark = pytest.mark.usefixtures("clock")


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_sees_the_world_built_at_start_and_none_of_the_others_writes(world, turn):
    assert world.today == START.date()
    assert world.contract.created_at == START
    assert set(Event.objects.values_list("occurred_at", flat=True)) == {START}
    assert not Milestone.objects.filter(title__startswith="Written by").exists()
    world.deliverable(f"Written by the {turn} test")
    assert Milestone.objects.filter(title__startswith="Written by").count() == 1


def test_a_day_run_leaves_out_the_tests_that_hold_the_clock_from_their_start():
    files = [
        "tests/test_testing_world.py",  # the module holds the clock
        "tests/test_schedule_planning.py",  # an autouse fixture holds it before the world
        "tests/test_testing_helpers.py",  # the world is built on the real day: kept
    ]
    pytest_run = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only"]
    result = subprocess.run(
        [*pytest_run, "-q", "--day-dependent-only", *files],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(collected) == 5
    assert all(test.startswith(files[2]) for test in collected)
    # Every test of the other two files: this file's three and all of planning's.
    deselected = re.search(r"5/(\d+) tests collected \((\d+) deselected\)", result.stdout)
    assert deselected is not None, result.stdout
    assert int(deselected[2]) == int(deselected[1]) - 5 > 3
