"""The answers owed under a contract on its timeline: a flagged lane each, linking to the
communication, moved by an extension, gone once answered.

The clock is held at Friday 11 December 2026, in England, as in the services tests: a
compensation event notified today is owed a reply by the Project Manager by Friday 18 December.
"""

import datetime as dt
import html
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from milepost.communications.choices import Outcome
from milepost.reporting.timeline import timeline_context
from milepost.reporting.timeline.rows import DeadlineMark, timeline_deadlines
from milepost.reporting.timeline.svg import HEADER, LANE
from milepost.schedule.baselines import baseline_create

from .communication_helpers import answer, at, day, nec4, notify_ce
from .conftest import World

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")
TODAY = dt.date(2026, 12, 11)


def marks(w: World, today: dt.date = TODAY) -> list[DeadlineMark]:
    return timeline_deadlines(contract=w.contract, today=today)


def page(login: Any, w: World, user: Any = None) -> str:
    response = login(user or w.client_viewer).get(
        reverse("reporting:contract-detail", args=[w.contract.pk])
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_contract_page_flags_each_answer_owed_with_a_link_to_its_communication(
    login: Any, w: World
) -> None:
    nec4(w)
    w.deliverable()
    ce = notify_ce(w)
    body = page(login, w)
    link = reverse("communications:detail", args=[ce.pk])
    lane = body[body.index(f'<a href="{link}" class="dl more">') :]
    lane = lane[: lane.index("</a>")]
    assert (
        "<title>C-001 Late access to the east site: reply due from Arden Project Management by "
        "Fri 18 Dec 2026 (cl. 61.4), 7 days left</title>"
    ) in lane
    assert ">Reply due: C-001 Late access to the…</text>" in lane
    assert '<path class="flag more"' in body
    assert "answer owed under the contract, each flagged on its last day" in body
    assert "The first lane flags the answer owed under the contract on its last day" in body
    assert reverse("communications:register", args=[w.contract.pk]) in body
    # The link leads to the communication, for every party to the contract.
    assert login(w.client_viewer).get(link).status_code == 200


def test_an_outsider_gets_no_timeline(login: Any, w: World) -> None:
    nec4(w)
    notify_ce(w)
    response = login(w.outsider).get(reverse("reporting:contract-detail", args=[w.contract.pk]))
    assert response.status_code == 404


def test_the_deadlines_lanes_come_first_and_the_milestones_follow(login: Any, w: World) -> None:
    nec4(w)
    milestone = w.deliverable()
    notify_ce(w)
    notify_ce(w, subject="Unforeseen ground conditions")
    body = page(login, w)
    assert body.count('class="dl ') == 2
    assert f'<rect class="hit" y="{HEADER}"/>' in body
    first_milestone = body[body.index(f'/milestones/{milestone.pk}/" class="m deliverable') :]
    assert f'<rect class="hit" y="{HEADER + 2 * LANE}"/>' in first_milestone
    assert "The first 2 lanes flag the answers owed under the contract on their last day" in body


def test_an_extension_moves_the_flag_and_an_answer_takes_it_away(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    assert [(m.pk, m.sent_on, m.due) for m in marks(w)] == [
        (ce.pk, day("2026-12-11"), day("2026-12-18"))
    ]
    clock.move_to(at("2026-12-14"))
    answer(w, ce, "extension", extends_to=day("2027-01-08"))
    (moved,) = marks(w, day("2026-12-14"))
    assert moved.due == day("2027-01-08")
    assert "by Fri 8 Jan 2027 (cl. 61.4), 25 days left" in moved.detail
    reply = answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED)
    # Answered: its flag goes, and the quotation the acceptance asks for takes its place.
    (quotation,) = marks(w, day("2026-12-14"))
    assert quotation.pk == reply.pk
    assert quotation.label == "Quotation due: C-003 Re: Late access to the east site"
    assert "quotation due from Northgate Construction by Mon 4 Jan 2027 (cl. 62.3)" in (
        quotation.detail
    )


def test_a_notified_failure_adds_a_hollow_flag_on_the_last_day_before_acceptance(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    w.deliverable()
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    (mark,) = marks(w, day("2026-12-21"))
    assert (mark.due, mark.deems_on, mark.band) == (day("2026-12-18"), day("2027-01-04"), "overdue")
    assert mark.detail.endswith(
        "overdue by 3 days; the failure to reply was notified: treated as accepted unless "
        "Arden Project Management replies by Mon 4 Jan 2027 (cl. 61.4)"
    )
    svg = str(timeline_context(contract=w.contract, query={}, today=day("2026-12-21"))["timeline"])
    assert '<path class="flag overdue"' in svg and '<path class="flag deemed"' in svg
    assert "Accepted if silent" in svg


def test_a_draft_is_not_drawn_even_for_its_sender(login: Any, w: World) -> None:
    nec4(w)
    w.deliverable()
    notify_ce(w, send=False)
    assert marks(w) == []
    body = page(login, w, w.supplier_manager)
    assert 'class="dl ' not in body and "Answer due" not in body


def test_answers_owed_are_drawn_before_any_milestone_is_planned(login: Any, w: World) -> None:
    nec4(w)
    notify_ce(w)
    body = page(login, w)
    assert body.count('class="dl more"') == 1
    assert "No milestones yet." in body
    assert "on the critical path, outlined in the chart" not in body


def test_timeline_queries_do_not_grow_with_the_answers_owed(
    w: World, django_assert_num_queries: Any
) -> None:
    nec4(w)
    baseline = baseline_create(contract=w.contract, name="Tender", actor=w.client_manager)
    query = {"baseline": str(baseline.pk)}
    w.deliverable()
    notify_ce(w)
    # Milestones, links, the answers owed, baselines, the calendar's days off, the baseline's
    # dates.
    with django_assert_num_queries(6):
        timeline_context(contract=w.contract, query=query, today=TODAY)
    for n in range(5):
        ce = notify_ce(w, subject=f"Event {n}")
        answer(w, ce, "extension", extends_to=day("2027-01-08"))
    with django_assert_num_queries(6):
        context = timeline_context(contract=w.contract, query=query, today=TODAY)
    assert str(context["timeline"]).count('class="dl ') == 6
