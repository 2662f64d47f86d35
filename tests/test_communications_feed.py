"""Reply deadlines on the calendar feeds: the last day for an answer, and for silence.

The clock is held at Friday 11 December 2026, in England, as in the services tests: a
compensation event notified today is owed a reply by the Project Manager within a week, by
Friday 18 December (NEC4 cl. 61.4).
"""

import datetime as dt
from typing import Any

import icalendar
import pytest
import time_machine
import vobject
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.alerts.feeds import feed_body, feed_token_get_or_create
from milepost.alerts.inbox import watch_add
from milepost.alerts.models import FeedToken, Watch
from milepost.communications.choices import Outcome
from milepost.communications.models import Communication
from milepost.communications.services import (
    communications_deem_due,
)
from milepost.core.errors import NotFound

from .communication_helpers import answer, at, day, nec4, notify_ce
from .conftest import World
from .helpers import refused

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")
BASE = "https://milepost.example"
SUMMARY = (
    "[HCC-2026-001] Reply due: C-001 Late access to the east site "
    "(Arden Project Management, cl. 61.4)"
)


@pytest.fixture(autouse=True)
def base_url(settings: Any) -> None:
    settings.MILEPOST_BASE_URL = BASE


def contract_feed(w: World, user: Any = None) -> FeedToken:
    user = user or w.consultant_manager
    return feed_token_get_or_create(user=user, contract=w.contract, actor=user)


def personal(user: Any) -> FeedToken:
    return feed_token_get_or_create(user=user, actor=user)


def fetch(token: FeedToken) -> dict[str, icalendar.Event]:
    response = Client().get(reverse("feed-ics", args=[token.token]))
    assert response.status_code == 200, response.status_code
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def reply_uid(c: Communication) -> str:
    return f"communication-{c.pk}-reply@milepost.example"


def deemed_uid(c: Communication) -> str:
    return f"communication-{c.pk}-deemed@milepost.example"


def test_a_reply_owed_is_an_all_day_event_on_its_last_day_linking_to_the_communication(
    w: World,
) -> None:
    nec4(w)
    ce = notify_ce(w)
    token = contract_feed(w)
    response = Client().get(reverse("feed-ics", args=[token.token]))
    vobject.readOne(response.content.decode(), validate=True)
    events = fetch(token)
    assert set(events) == {reply_uid(ce)}
    event = events[reply_uid(ce)]
    assert event.decoded("DTSTART") == day("2026-12-18")
    assert event.decoded("DTEND") == day("2026-12-19")
    assert str(event["SUMMARY"]) == SUMMARY
    link = f"{BASE}/communications/{ce.pk}/"
    assert str(event["URL"]) == link
    description = str(event["DESCRIPTION"])
    for expected in (
        "Contract: HCC-2026-001 Harbour library extension",
        "Kind: Compensation event notified by the Contractor (cl. 61.3)",
        "From: Northgate Construction to Arden Project Management, sent on Fri 11 Dec 2026",
        "Reply owed by: Arden Project Management, by Fri 18 Dec 2026 (cl. 61.4)",
        f"Link: {link}",
    ):
        assert expected in description
    assert event["CATEGORIES"].cats == ["Reply deadline"]
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_an_extension_moves_the_date_and_raises_the_sequence(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    token = contract_feed(w)
    path = reverse("feed-ics", args=[token.token])
    first = fetch(token)[reply_uid(ce)]
    etag = Client().get(path)["ETag"]
    clock.move_to(at("2026-12-14"))
    answer(w, ce, "extension", extends_to=day("2027-01-08"))
    moved = fetch(token)[reply_uid(ce)]
    assert moved.decoded("DTSTART") == day("2027-01-08")
    assert moved.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert moved.decoded("DTSTAMP") > first.decoded("DTSTAMP")
    assert "by Fri 8 Jan 2027 (cl. 61.4)" in str(moved["DESCRIPTION"])
    changed = Client().get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_an_answered_communication_leaves_the_feed_and_what_the_answer_owes_joins_it(
    w: World,
) -> None:
    nec4(w)
    ce = notify_ce(w)
    token = contract_feed(w)
    assert set(fetch(token)) == {reply_uid(ce)}
    reply = answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED)
    events = fetch(token)
    # The acceptance asks the Contractor for a quotation in three weeks (cl. 62.3), which end
    # on New Year's Day: the next working day, Monday 4 January.
    assert set(events) == {reply_uid(reply)}
    assert events[reply_uid(reply)].decoded("DTSTART") == day("2027-01-04")
    assert str(events[reply_uid(reply)]["SUMMARY"]) == (
        "[HCC-2026-001] Quotation due: C-002 Re: Late access to the east site "
        "(Northgate Construction, cl. 62.3)"
    )
    answer(
        w,
        reply,
        "quotation",
        actor=w.supplier_manager,
        quoted_amount="12500.00",
        quoted_delay_days=5,
    )
    assert reply_uid(reply) not in fetch(token)


def test_a_notified_failure_adds_the_last_day_before_silence_is_acceptance(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    token = contract_feed(w)
    first = fetch(token)[reply_uid(ce)]
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    events = fetch(token)
    assert set(events) == {reply_uid(ce), deemed_uid(ce)}
    overdue, deemed = events[reply_uid(ce)], events[deemed_uid(ce)]
    assert overdue.decoded("DTSTART") == day("2026-12-18")
    assert overdue.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    # Two weeks from Monday 21 December end on 4 January.
    assert deemed.decoded("DTSTART") == day("2027-01-04")
    assert str(deemed["SUMMARY"]) == (
        "[HCC-2026-001] Last day before deemed acceptance: C-001 Late access to the east site "
        "(Arden Project Management, cl. 61.4)"
    )
    assert "treated as accepted unless Arden Project Management replies by Mon 4 Jan 2027" in str(
        deemed["DESCRIPTION"]
    )
    clock.move_to(at("2027-01-05"))
    assert len(communications_deem_due(now=at("2027-01-05"))) == 1
    # Treated as accepted, and as an instruction to submit a quotation in three weeks.
    events = fetch(token)
    assert set(events) == {reply_uid(ce)}
    assert events[reply_uid(ce)].decoded("DTSTART") == day("2027-01-25")
    assert str(events[reply_uid(ce)]["SUMMARY"]) == (
        "[HCC-2026-001] Quotation due: C-001 Late access to the east site "
        "(Northgate Construction, cl. 62.3)"
    )


def test_a_draft_never_appears_in_anyones_feed(w: World) -> None:
    nec4(w)
    draft = notify_ce(w, send=False)
    for user in (w.consultant_manager, w.supplier_manager):
        watch_add(user=user, contract=w.contract)
        assert fetch(contract_feed(w, user)) == {}
        assert fetch(personal(user)) == {}
    # Not even a draft that somehow carried a date: a deadline runs only once it is sent.
    Communication.objects.filter(pk=draft.pk).update(awaiting=True, reply_due=day("2026-12-18"))
    assert fetch(contract_feed(w)) == {}
    assert fetch(personal(w.consultant_manager)) == {}


def test_an_outsiders_feed_shows_nothing_of_the_contract(w: World) -> None:
    nec4(w)
    milestone = w.deliverable()
    notify_ce(w, milestones=[milestone])
    with refused("not_found", error=NotFound):
        contract_feed(w, w.outsider)
    # Watches of a contract the outsider cannot see (left from before, or forged) show nothing.
    Watch.objects.create(user=w.outsider, contract=w.contract)
    Watch.objects.create(user=w.outsider, milestone=milestone)
    assert fetch(personal(w.outsider)) == {}
    forged = FeedToken.objects.create(user=w.outsider, contract=w.contract, token="x" * 43)
    assert Client().get(reverse("feed-ics", args=[forged.token])).status_code == 404


def test_a_personal_feed_holds_the_deadlines_of_watched_contracts_and_owned_milestones(
    w: World,
) -> None:
    nec4(w)
    milestone = w.deliverable()  # owned by the supplier's member
    about = notify_ce(w, milestones=[milestone])
    other = notify_ce(w, subject="Unforeseen ground conditions")
    assert fetch(personal(w.client_member)) == {}
    watch_add(user=w.client_member, contract=w.contract)
    assert set(fetch(personal(w.client_member))) == {
        f"milestone-{milestone.pk}@milepost.example",
        reply_uid(about),
        reply_uid(other),
    }
    assert set(fetch(personal(w.supplier_member))) == {
        f"milestone-{milestone.pk}@milepost.example",
        reply_uid(about),
    }


def test_feed_queries_do_not_grow_with_its_deadlines(
    w: World, django_assert_num_queries: Any
) -> None:
    nec4(w)
    token = contract_feed(w)
    w.deliverable()
    notify_ce(w)
    with CaptureQueriesContext(connection) as few:
        feed_body(token=token)
    # The access check, the milestones either side of today, their rules, the reminder hour,
    # and the deadlines.
    assert len(few.captured_queries) <= 6
    for n in range(5):
        answer(w, notify_ce(w, subject=f"Event {n}"), "extension", extends_to=day("2027-01-08"))
    with django_assert_num_queries(len(few.captured_queries)):
        body = feed_body(token=token)
    assert body.content.count(b"BEGIN:VEVENT") == 1 + 6
