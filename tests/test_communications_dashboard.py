"""The dashboard's clock: what your organisation must answer this week, and what the other
side has let lapse. Held at Friday 11 December 2026 in England."""

import datetime as dt

import pytest
import time_machine

from milepost.communications.services import communication_create
from milepost.reporting.selectors import dashboard

from .communication_helpers import nec4
from .conftest import World
from .helpers import signed_in

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def notify(w: World, subject: str, aware: str = "2026-12-07", **fields: object) -> object:
    return communication_create(
        contract=w.contract,
        kind="ce_contractor",
        subject=subject,
        aware_on=dt.date.fromisoformat(aware),
        actor=w.supplier_manager,
        **fields,  # type: ignore[arg-type]
    )


def test_the_project_manager_sees_what_to_answer_this_week_and_the_contractor_what_lapsed(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    notify(w, "Late access", "2026-11-30", sent_on=dt.date(2026, 12, 1))  # due 8 Dec: overdue
    notify(w, "Culvert")  # due 18 Dec: next week
    notify(w, "Stair core piling", sent_on=dt.date(2026, 12, 7))  # due 14 Dec: this week
    pm = dashboard(user=w.consultant_manager)
    assert pm.clock is not None
    assert [c.subject for c in pm.clock.to_answer] == ["Late access", "Stair core piling"]
    assert pm.clock.lapsed == []
    contractor = dashboard(user=w.supplier_manager)
    assert contractor.clock is not None
    assert [c.subject for c in contractor.clock.lapsed] == ["Late access"]
    assert contractor.clock.to_answer == []
    page = signed_in(w.consultant_manager).get("/").content.decode()
    assert "What you must answer this week" in page
    assert 'Tue 8 Dec 2026</strong> <span class="badge left-overdue">overdue</span>' in page
    lapsed = signed_in(w.supplier_manager).get("/").content.decode()
    assert "Arden Project Management has not answered" in lapsed


def test_an_outsider_sees_nothing_of_the_clock(w: World) -> None:
    nec4(w)
    notify(w, "Late access", "2026-11-30", sent_on=dt.date(2026, 12, 1))
    board = dashboard(user=w.outsider)
    assert board.clock is not None
    assert board.clock.to_answer == [] and board.clock.lapsed == []
