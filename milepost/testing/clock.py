"""Pytest plugin: run the whole test session on a fixed day, and its subprocesses with it.

``MILEPOST_TEST_TODAY=YYYY-MM-DD`` starts the session at 10:00 Europe/London on that day with
time-machine, ticking (so timeouts and leases still pass): at that hour UTC and London agree on
the date whatever the season. Tests that travel elsewhere with time-machine nest inside it as
usual. Without the variable the session runs on the real clock.

A subprocess does not inherit the travel, so tests start them through ``command``: while the
clock is travelled (by this plugin or a test), it wraps the command in ``python -m
milepost.testing.clock SECONDS ...``, which travels to that moment (the caller's ``time.time()``
when it started the process) with ticking on, then runs the command in the same process:

    python -m milepost.testing.clock 1796551200.0 -m django worker --interval 0.1
    python -m milepost.testing.clock 1796551200.0 /path/to/.venv/bin/milepost status

Production code never reads ``MILEPOST_TEST_TODAY``; only this plugin does.
"""

from __future__ import annotations

import datetime as dt
import os
import runpy
import sys
import time
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import pytest

VARIABLE = "MILEPOST_TEST_TODAY"
# The hour of the fixed day the session starts at, in London: UTC and London share the date.
START = dt.time(10, 0)
LONDON = ZoneInfo("Europe/London")

_session: dict[str, object] = {}


def fixed_day(environ: Mapping[str, str] = os.environ) -> dt.date | None:
    """Return the day ``MILEPOST_TEST_TODAY`` names, or None when it is unset or empty."""
    value = environ.get(VARIABLE, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(
            f"{VARIABLE} must be a date written as YYYY-MM-DD, such as 2026-12-06; it is {value!r}."
        ) from None


def session_start(day: dt.date) -> dt.datetime:
    """Return 10:00 London time on ``day``, in UTC.

    In UTC, so that time-machine leaves the process's time zone (``TZ``) alone.
    """
    return dt.datetime.combine(day, START, tzinfo=LONDON).astimezone(dt.UTC)


def command(argv: Sequence[str]) -> list[str]:
    """Return ``argv`` to start a process at this process's current (possibly travelled) time.

    ``argv`` is either ``[python, "-m", module, ...]`` or ``[script, ...]`` where the script is a
    Python file (such as the ``milepost`` console script). Off a travelled clock it is returned
    unchanged, so the process runs exactly as a person would run it.
    """
    import time_machine

    argv = list(argv)
    if not time_machine.escape_hatch.is_travelling():
        return argv
    at = f"{time.time():.6f}"
    wrapper = [sys.executable, "-m", "milepost.testing.clock", at]
    if len(argv) >= 3 and argv[1] == "-m":
        return [*wrapper, *argv[1:]]
    return [*wrapper, *argv]


def main(argv: Sequence[str]) -> None:
    """Travel to ``argv[0]`` (seconds since the epoch), ticking, and run the rest of ``argv``."""
    import time_machine

    if len(argv) < 2 or (argv[1] == "-m" and len(argv) < 3):
        raise SystemExit(
            "usage: python -m milepost.testing.clock SECONDS (-m MODULE | SCRIPT) [ARGS...]"
        )
    at, rest = float(argv[0]), list(argv[1:])
    with time_machine.travel(at, tick=True):
        if rest[0] == "-m":
            sys.argv = [rest[1], *rest[2:]]
            runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = rest
            runpy.run_path(rest[0], run_name="__main__")


def pytest_configure(config: pytest.Config) -> None:
    day = fixed_day()
    if day is None:
        return
    import time_machine

    traveller = time_machine.travel(session_start(day), tick=True)
    traveller.start()
    _session["traveller"] = traveller
    _session["day"] = day


def pytest_report_header(config: pytest.Config) -> str | None:
    day = _session.get("day")
    if day is None:
        return None
    return f"clock: {VARIABLE}={day}, from {START:%H:%M} Europe/London, ticking"


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = _session.pop("traveller", None)
    _session.pop("day", None)
    if traveller is not None:
        traveller.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(sys.argv[1:])
