"""The test clock: MILEPOST_TEST_TODAY runs a session, and the processes it starts, on one day."""

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import time_machine

from milepost.testing.clock import command, fixed_day, session_start

ROOT = Path(__file__).resolve().parent.parent
PRINT_NOW = "import datetime as dt; print(dt.datetime.now(dt.UTC).isoformat())"


def test_a_fixed_day_is_read_from_the_variable_and_a_malformed_one_is_refused_by_name():
    assert fixed_day({"MILEPOST_TEST_TODAY": "2028-02-29"}) == dt.date(2028, 2, 29)
    assert fixed_day({"MILEPOST_TEST_TODAY": ""}) is None
    assert fixed_day({}) is None
    with pytest.raises(pytest.UsageError, match="MILEPOST_TEST_TODAY must be a date"):
        fixed_day({"MILEPOST_TEST_TODAY": "29/02/2028"})


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (dt.date(2027, 3, 28), 9),  # British Summer Time begins at 01:00 UTC that day
        (dt.date(2027, 10, 31), 10),  # and ends at 01:00 UTC that day
        (dt.date(2026, 12, 6), 10),
    ],
)
def test_a_session_starts_at_ten_in_london_so_utc_and_london_share_the_day(day, utc_hour):
    start = session_start(day)
    assert (start.date(), start.hour, start.tzinfo) == (day, utc_hour, dt.UTC)


def test_off_a_travelled_clock_a_command_runs_as_given(monkeypatch):
    # Whether or not this session itself runs on a fixed day.
    monkeypatch.setattr(time_machine.escape_hatch, "is_travelling", lambda: False)
    assert command(["/usr/bin/milepost", "status"]) == ["/usr/bin/milepost", "status"]


def test_a_script_started_through_the_clock_sees_the_travelled_moment(tmp_path):
    script = tmp_path / "now.py"
    script.write_text(f"#!{sys.executable}\n{PRINT_NOW}\n")
    moment = dt.datetime(2028, 2, 29, 23, 59, 58, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        argv = command([str(script)])
    printed = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    # The child ticks on from the moment the parent started it.
    assert moment <= dt.datetime.fromisoformat(printed.strip()) < moment + dt.timedelta(minutes=1)


def test_a_module_started_through_the_clock_sees_the_travelled_day_and_its_arguments(tmp_path):
    (tmp_path / "today_module.py").write_text(
        "import datetime as dt, sys\nprint(dt.date.today(), sys.argv[1:])\n"
    )
    with time_machine.travel(dt.datetime(2027, 10, 31, 10, tzinfo=dt.UTC), tick=False):
        argv = command([sys.executable, "-m", "today_module", "--flag", "x"])
    printed = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    assert printed.strip() == "2027-10-31 ['--flag', 'x']"


def test_a_session_with_a_fixed_day_runs_every_test_on_it_and_nested_travel_still_works(
    tmp_path,
):
    (tmp_path / "test_day.py").write_text(
        textwrap.dedent(
            """
            import datetime as dt
            import time_machine

            def test_today_is_the_fixed_day_at_ten_in_london():
                now = dt.datetime.now(dt.UTC)
                assert (now.date(), now.hour) == (dt.date(2028, 2, 29), 10)

            def test_a_test_may_still_travel_elsewhere_and_come_back():
                with time_machine.travel(dt.datetime(2031, 1, 1, tzinfo=dt.UTC), tick=False):
                    assert dt.date.today() == dt.date(2031, 1, 1)
                assert dt.date.today() == dt.date(2028, 2, 29)
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            "-p",
            "milepost.testing.clock",
            str(tmp_path / "test_day.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MILEPOST_TEST_TODAY": "2028-02-29", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert "clock: MILEPOST_TEST_TODAY=2028-02-29, from 10:00 Europe/London" in result.stdout
