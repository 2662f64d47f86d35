"""Calendar feeds: secret-token URLs, what a feed holds, its iCalendar text, and a real CalDAV peer."""

import datetime as dt
import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import caldav
import icalendar
import pytest
import time_machine
import vobject
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.accounts.models import Organisation, User
from milepost.alerts import feeds, timing
from milepost.alerts.feeds import (
    FEED_CLOSED_DAYS,
    event_texts,
    feed_body,
    feed_token_get_or_create,
    feed_token_revoke,
    feed_token_rotate,
    feed_url,
)
from milepost.alerts.inbox import alert_preference_set, watch_add
from milepost.alerts.models import FeedToken
from milepost.alerts.rules import reminder_rule_set
from milepost.audit.models import Event
from milepost.contracts.models import Contract
from milepost.contracts.services import party_remove
from milepost.core.errors import Forbidden, NotFound
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_reschedule, milestone_set_status
from milepost.testing.clock import command
from tests.helpers import refused

API = "/api/v1"
BASE = "https://milepost.example"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.MILEPOST_BASE_URL = BASE


def feed_path(token: FeedToken) -> str:
    return reverse("feed-ics", args=[token.token])


def fetch(token: FeedToken, **headers: str) -> icalendar.Calendar:
    response = Client().get(feed_path(token), **headers)
    assert response.status_code == 200, response.status_code
    return icalendar.Calendar.from_ical(response.content)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(milestone) -> str:
    return f"milestone-{milestone.pk}@milepost.example"


def triggers(event: icalendar.Event) -> list[dt.timedelta]:
    return [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]


def rule(offsets: list[int], *, working_days: bool = False) -> dict[str, object]:
    return {
        "offsets": offsets,
        "working_days": working_days,
        "overdue_every": 2,
        "escalate_after": 3,
        "escalate_critical_to_counterparty": True,
        "channels": ["email", "inapp"],
    }


def personal(user: User) -> FeedToken:
    return feed_token_get_or_create(user=user, actor=user)


# Services


def test_personal_feed_is_created_once_with_a_long_random_token(world):
    first = personal(world.supplier_member)
    again = personal(world.supplier_member)
    assert first.pk == again.pk and first.contract_id is None
    assert len(first.token) >= 43
    assert Event.objects.filter(action="feed_token.created").count() == 1


def test_contract_feed_needs_a_contract_the_user_can_see(world):
    with refused("not_found", error=NotFound):
        feed_token_get_or_create(user=world.outsider, contract=world.contract, actor=world.outsider)
    assert not FeedToken.objects.exists()
    token = feed_token_get_or_create(
        user=world.client_viewer, contract=world.contract, actor=world.client_viewer
    )
    assert token.contract_id == world.contract.pk


def test_nobody_creates_a_feed_for_someone_else(world):
    with refused("not_own_feed", error=Forbidden):
        feed_token_get_or_create(user=world.supplier_member, actor=world.supplier_manager)


def test_rotating_replaces_the_secret(world):
    token = personal(world.supplier_member)
    old = token.token
    feed_token_rotate(token=token, actor=world.supplier_member)
    token.refresh_from_db()
    assert token.token != old and len(token.token) >= 43


def test_only_the_owner_rotates_or_revokes_a_feed(world):
    token = personal(world.supplier_member)
    with refused("not_found", error=NotFound):
        feed_token_rotate(token=token, actor=world.supplier_manager)
    with refused("not_found", error=NotFound):
        feed_token_revoke(token=token, actor=world.supplier_manager)
    assert FeedToken.objects.get(pk=token.pk).token == token.token


def test_audit_events_never_hold_the_secret(world):
    token = personal(world.supplier_member)
    secrets_seen = [token.token]
    feed_token_rotate(token=token, actor=world.supplier_member)
    secrets_seen.append(token.token)
    feed_token_revoke(token=token, actor=world.supplier_member)
    events = Event.objects.filter(action__startswith="feed_token.").order_by("id")
    assert [e.action for e in events] == [
        "feed_token.created",
        "feed_token.rotated",
        "feed_token.revoked",
    ]
    for event in events:
        text = json.dumps([event.before, event.after])
        assert all(secret not in text for secret in secrets_seen)
    assert not FeedToken.objects.exists()


# What a feed holds and says


def test_feed_is_valid_icalendar_for_both_parsers(world):
    world.deliverable()
    world.deliverable("Structure topped out", due_date=world.today + dt.timedelta(days=90))
    token = personal(world.supplier_member)
    response = Client().get(feed_path(token))
    text = response.content.decode()
    parsed = icalendar.Calendar.from_ical(response.content)
    vobject.readOne(text, validate=True)
    assert str(parsed["PRODID"]) == "-//Milepost//Milepost//EN"
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["CALSCALE"]) == "GREGORIAN"
    assert "sid" in str(parsed["X-WR-CALNAME"])
    assert parsed.decoded("REFRESH-INTERVAL") == dt.timedelta(hours=1)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "X-PUBLISHED-TTL:PT1H" in text
    assert len(parsed.walk("VEVENT")) == 2


def test_event_is_an_all_day_event_on_the_due_date_with_what_the_milestone_is(world):
    milestone = world.deliverable()
    response = Client().get(feed_path(personal(world.supplier_member)))
    event = events_by_uid(icalendar.Calendar.from_ical(response.content))[uid(milestone)]
    assert event.decoded("DTSTART") == milestone.due_date
    assert f"DTSTART;VALUE=DATE:{milestone.due_date:%Y%m%d}" in response.content.decode()
    assert event.decoded("DTEND") == milestone.due_date + dt.timedelta(days=1)
    assert str(event["SUMMARY"]) == "[HCC-2026-001] Foundation complete"
    link = f"{BASE}/milestones/{milestone.pk}/"
    assert str(event["URL"]) == link
    description = str(event["DESCRIPTION"])
    for expected in (
        "Deliverable",
        "Scheduled",
        "Standard",
        "sid",
        "Northgate Construction",
        "Engineer's inspection certificate signed.",
        link,
    ):
        assert expected in description
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["CATEGORIES"].cats == ["Deliverable"]
    assert event.decoded("LAST-MODIFIED") == milestone.updated_at.replace(microsecond=0)


def test_uid_stays_across_fetches_and_a_reschedule_while_the_date_and_sequence_move(world):
    milestone = world.deliverable()
    token = personal(world.supplier_member)
    first = events_by_uid(fetch(token))[uid(milestone)]
    assert uid(milestone) in events_by_uid(fetch(token))
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=2)):
        milestone_reschedule(
            milestone=milestone,
            due_date=milestone.due_date + dt.timedelta(days=10),
            reason="Rain",
            actor=world.supplier_manager,
        )
        moved = events_by_uid(fetch(token))[uid(milestone)]
    assert moved.decoded("DTSTART") == milestone.due_date
    assert moved.decoded("DTSTART") == first.decoded("DTSTART") + dt.timedelta(days=10)
    assert moved.decoded("SEQUENCE") > first.decoded("SEQUENCE")


def test_a_feed_fetched_again_shows_every_change_to_what_its_events_say(world):
    # Events already written are kept by all they are made of: each change below must reach
    # the next fetch, with the events of the first fetch kept meanwhile.
    milestone = world.deliverable()
    token = personal(world.supplier_member)

    def event() -> icalendar.Event:
        return events_by_uid(fetch(token))[uid(milestone)]

    def description() -> str:
        return str(event()["DESCRIPTION"])

    assert str(event()["SUMMARY"]) == "[HCC-2026-001] Foundation complete"
    Milestone.objects.filter(pk=milestone.pk).update(title="Foundation slab complete")
    assert str(event()["SUMMARY"]) == "[HCC-2026-001] Foundation slab complete"
    Contract.objects.filter(pk=world.contract.pk).update(reference="HCC-2026-009")
    assert str(event()["SUMMARY"]) == "[HCC-2026-009] Foundation slab complete"
    Milestone.objects.filter(pk=milestone.pk).update(acceptance_criteria="Cube tests passed.")
    assert "Acceptance criteria: Cube tests passed." in description()
    Organisation.objects.filter(pk=world.supplier_org.pk).update(name="Northgate Build Ltd")
    assert "Responsible party: Northgate Build Ltd" in description()
    User.objects.filter(pk=world.supplier_member.pk).update(first_name="Sid", last_name="Okafor")
    assert "Owner: Sid Okafor" in description()
    Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.CANCELLED)
    assert str(event()["STATUS"]) == "CANCELLED"
    assert triggers(event()) == []
    Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.SCHEDULED)
    alert_preference_set(user=world.supplier_member, actor=world.supplier_member, hour=9)
    assert triggers(event())[-1] == dt.timedelta(hours=9)
    reminder_rule_set(actor=world.supplier_manager, milestone=milestone, **rule([3, 0]))
    assert triggers(event()) == [dt.timedelta(days=-3, hours=9), dt.timedelta(hours=9)]


def test_a_feed_written_from_kept_events_is_the_text_written_afresh(world):
    # The second fetch splices in the events the first one wrote: byte for byte the same text
    # as writing the whole calendar again, with its validator.
    world.deliverable()
    milestone_set_status(
        milestone=world.deliverable("Structure complete"),
        status=MilestoneStatus.CANCELLED,
        actor=world.client_manager,
        reason="No longer needed",
    )
    token = personal(world.supplier_member)
    event_texts.clear()
    first = feed_body(token=token)
    again = feed_body(token=token)
    event_texts.clear()
    afresh = feed_body(token=token)
    assert first.content == again.content == afresh.content
    assert first.etag == again.etag
    calendar = icalendar.Calendar.from_ical(first.content)
    assert len(calendar.walk("VEVENT")) == 2
    assert first.content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert first.content.endswith(b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def test_alarms_fall_on_the_default_rules_days_at_eight(world):
    milestone = world.deliverable()
    event = events_by_uid(fetch(personal(world.supplier_member)))[uid(milestone)]
    assert triggers(event) == [
        dt.timedelta(days=-14, hours=8),
        dt.timedelta(days=-7, hours=8),
        dt.timedelta(days=-1, hours=8),
        dt.timedelta(hours=8),
    ]
    assert "TRIGGER:-P13DT16H" in event.to_ical().decode()
    assert all(str(a["ACTION"]) == "DISPLAY" for a in event.walk("VALARM"))
    assert "Due in 14 days: [HCC-2026-001] Foundation complete" in [
        str(a["DESCRIPTION"]) for a in event.walk("VALARM")
    ]


def test_alarms_follow_the_milestones_rule_at_the_users_hour(world):
    milestone = world.deliverable()
    reminder_rule_set(actor=world.supplier_manager, milestone=milestone, **rule([10, 3, 0]))
    alert_preference_set(user=world.supplier_member, actor=world.supplier_member, hour=9)
    event = events_by_uid(fetch(personal(world.supplier_member)))[uid(milestone)]
    assert triggers(event) == [
        dt.timedelta(days=-10, hours=9),
        dt.timedelta(days=-3, hours=9),
        dt.timedelta(hours=9),
    ]


def test_working_day_alarms_skip_weekends_and_holidays(world):
    due = world.today + dt.timedelta(days=40)
    due += dt.timedelta(days=(7 - due.weekday()) % 7)  # a Monday
    milestone = world.deliverable(due_date=due)
    reminder_rule_set(
        actor=world.supplier_manager, milestone=milestone, **rule([2], working_days=True)
    )
    event = events_by_uid(fetch(personal(world.supplier_member)))[uid(milestone)]
    reminder_day = timing.Calendar("GB").shift(due, -2, working=True)
    assert reminder_day.weekday() < 5 and (due - reminder_day).days >= 4
    assert triggers(event) == [dt.timedelta(days=(reminder_day - due).days, hours=8)]


def test_reminder_days_already_past_have_no_alarm(world):
    milestone = world.deliverable()
    token = personal(world.supplier_member)
    moment = dt.datetime.combine(
        milestone.due_date - dt.timedelta(days=5), dt.time(12), tzinfo=dt.UTC
    )
    with time_machine.travel(moment, tick=False):
        event = events_by_uid(fetch(token))[uid(milestone)]
    assert triggers(event) == [dt.timedelta(days=-1, hours=8), dt.timedelta(hours=8)]


def test_cancelled_and_waived_milestones_are_cancelled_events_without_alarms(world):
    cancelled = world.deliverable("Cancelled one")
    waived = world.deliverable("Waived one")
    milestone_set_status(
        milestone=cancelled,
        status=MilestoneStatus.CANCELLED,
        actor=world.client_manager,
        reason="No longer needed",
    )
    milestone_set_status(
        milestone=waived,
        status=MilestoneStatus.WAIVED,
        actor=world.client_manager,
        reason="No longer needed",
    )
    events = events_by_uid(fetch(personal(world.supplier_member)))
    for milestone in (cancelled, waived):
        assert str(events[uid(milestone)]["STATUS"]) == "CANCELLED"
        assert triggers(events[uid(milestone)]) == []


def test_personal_feed_holds_owned_and_watched_milestones_only(world):
    owned = world.deliverable("Owned by sid")
    other = world.deliverable("Owned by sam", owner=world.supplier_manager)
    assert set(events_by_uid(fetch(personal(world.supplier_member)))) == {uid(owned)}
    assert set(events_by_uid(fetch(personal(world.client_manager)))) == set()
    watch_add(user=world.client_manager, milestone=other)
    assert set(events_by_uid(fetch(personal(world.client_manager)))) == {uid(other)}
    watch_add(user=world.client_member, contract=world.contract)
    assert set(events_by_uid(fetch(personal(world.client_member)))) == {uid(owned), uid(other)}


def test_milestones_of_a_contract_the_user_no_longer_sees_leave_the_feed(world):
    milestone = world.deliverable()
    watch_add(user=world.consultant_manager, milestone=milestone)
    token = personal(world.consultant_manager)
    assert uid(milestone) in events_by_uid(fetch(token))
    party_remove(party=world.consultant, actor=world.client_manager)
    assert events_by_uid(fetch(token)) == {}


def test_contract_feed_answers_404_once_its_user_lost_access(world):
    milestone = world.deliverable()
    token = feed_token_get_or_create(
        user=world.consultant_manager, contract=world.contract, actor=world.consultant_manager
    )
    assert set(events_by_uid(fetch(token))) == {uid(milestone)}
    party_remove(party=world.consultant, actor=world.client_manager)
    assert Client().get(feed_path(token)).status_code == 404


def test_contract_feed_holds_every_milestone_of_the_contract(world):
    mine = world.deliverable()
    theirs = world.deliverable("Owned by sam", owner=world.supplier_manager)
    token = feed_token_get_or_create(
        user=world.client_viewer, contract=world.contract, actor=world.client_viewer
    )
    calendar = fetch(token)
    assert set(events_by_uid(calendar)) == {uid(mine), uid(theirs)}
    assert "HCC-2026-001" in str(calendar["X-WR-CALNAME"])


def test_closed_milestones_leave_the_feed_a_year_after_their_date_open_ones_stay(world):
    closed = world.deliverable("Cancelled long ago")
    open_ = world.deliverable("Still open")
    milestone_set_status(
        milestone=closed,
        status=MilestoneStatus.CANCELLED,
        actor=world.client_manager,
        reason="No longer needed",
    )
    token = personal(world.supplier_member)
    later = dt.datetime.combine(
        closed.due_date + dt.timedelta(days=FEED_CLOSED_DAYS + 2), dt.time(12), tzinfo=dt.UTC
    )
    with time_machine.travel(later, tick=False):
        assert set(events_by_uid(fetch(token))) == {uid(open_)}


def test_a_feed_over_its_cap_keeps_the_dates_nearest_today(world, monkeypatch):
    # Someone with more milestones than a feed holds sees this week's, not the furthest ones.
    monkeypatch.setattr(feeds, "FEED_MAX_EVENTS", 3)
    today = dt.datetime.now(tz=dt.UTC).astimezone(ZoneInfo(world.supplier_member.time_zone)).date()
    for days in (-40, -2, 0, 3, 9, 400):  # the first two overdue, still open
        world.deliverable(f"Due {days:+d}", due_date=today + dt.timedelta(days=days))
    shown = [str(e["SUMMARY"]) for e in fetch(personal(world.supplier_member)).walk("VEVENT")]
    assert shown == ["[HCC-2026-001] Due -2", "[HCC-2026-001] Due +0", "[HCC-2026-001] Due +3"]


def test_feed_queries_do_not_grow_with_its_milestones(world, django_assert_num_queries):
    # Contract feed (access check) with a milestone rule and a preference row in play, and the
    # communications waiting for an answer (one query for all of them).
    token = feed_token_get_or_create(
        user=world.client_viewer, contract=world.contract, actor=world.client_viewer
    )
    one = world.deliverable("One")
    reminder_rule_set(actor=world.supplier_manager, milestone=one, **rule([5]))
    alert_preference_set(user=world.client_viewer, actor=world.client_viewer, hour=7)
    with CaptureQueriesContext(connection) as few:
        feed_body(token=token)
    assert len(few.captured_queries) <= 6
    for n in range(5):
        world.deliverable(f"More {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        feed_body(token=token)


# The feed URL


def test_feed_url_answers_text_calendar_with_validators_and_no_login(world):
    world.deliverable()
    token = personal(world.supplier_member)
    response = Client().get(feed_path(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["ETag"].startswith('"')
    assert "Last-Modified" in response
    assert feed_url(token) == f"{BASE}/feeds/{token.token}.ics"


def test_unknown_token_answers_404(world):
    assert Client().get(reverse("feed-ics", args=["no-such-token"])).status_code == 404


def test_if_none_match_answers_304_until_the_feed_changes(world):
    milestone = world.deliverable()
    token = personal(world.supplier_member)
    etag = Client().get(feed_path(token))["ETag"]
    unchanged = Client().get(feed_path(token), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    milestone_reschedule(
        milestone=milestone,
        due_date=milestone.due_date + dt.timedelta(days=1),
        reason="Crane late",
        actor=world.supplier_manager,
    )
    changed = Client().get(feed_path(token), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_after_rotating_the_old_url_is_gone_and_the_new_one_works(world):
    token = personal(world.supplier_member)
    old_path = feed_path(token)
    feed_token_rotate(token=token, actor=world.supplier_member)
    assert Client().get(old_path).status_code == 404
    assert Client().get(feed_path(token)).status_code == 200


def test_revoked_feed_answers_404(world):
    token = personal(world.supplier_member)
    path = feed_path(token)
    feed_token_revoke(token=token, actor=world.supplier_member)
    assert Client().get(path).status_code == 404


def test_feed_of_a_deactivated_user_answers_404(world):
    token = personal(world.supplier_member)
    User.objects.filter(pk=world.supplier_member.pk).update(is_active=False)
    assert Client().get(feed_path(token)).status_code == 404


def test_last_used_is_written_at_most_once_an_hour(world):
    token = personal(world.supplier_member)
    start = dt.datetime.now(tz=dt.UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        Client().get(feed_path(token))
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(minutes=59), tick=False):
        Client().get(feed_path(token))
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        Client().get(feed_path(token))
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(minutes=61)


# The management page

PAGE = reverse("calendar-feeds")


def test_feeds_page_needs_sign_in(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(reverse("calendar-feed-personal")).status_code == 302
    assert not FeedToken.objects.exists()


def test_feeds_page_creates_and_shows_the_personal_feed_urls(client, world):
    client.force_login(world.supplier_member)
    response = client.post(reverse("calendar-feed-personal"))
    assert response.status_code == 302
    token = FeedToken.objects.get(user=world.supplier_member)
    body = client.get(PAGE).content.decode()
    assert f"webcal://milepost.example/feeds/{token.token}.ics" in body
    assert f"https://milepost.example/feeds/{token.token}.ics" in body


def test_feeds_page_refuses_a_contract_feed_for_a_contract_not_visible(client, world):
    client.force_login(world.outsider)
    response = client.post(reverse("calendar-feed-contract"), {"contract": world.contract.pk})
    assert response.status_code == 422
    assert not FeedToken.objects.exists()
    client.force_login(world.client_viewer)
    response = client.post(reverse("calendar-feed-contract"), {"contract": world.contract.pk})
    assert response.status_code == 302
    assert FeedToken.objects.get(user=world.client_viewer).contract_id == world.contract.pk
    assert "HCC-2026-001" in client.get(PAGE).content.decode()


def test_feeds_page_rotates_only_your_own_feed(client, world):
    token = personal(world.supplier_member)
    client.force_login(world.supplier_manager)
    assert client.post(reverse("calendar-feed-rotate", args=[token.pk])).status_code == 404
    assert FeedToken.objects.get(pk=token.pk).token == token.token
    client.force_login(world.supplier_member)
    assert client.post(reverse("calendar-feed-rotate", args=[token.pk])).status_code == 302
    assert FeedToken.objects.get(pk=token.pk).token != token.token


def test_feeds_page_revokes_only_your_own_feed(client, world):
    token = personal(world.supplier_member)
    client.force_login(world.supplier_manager)
    assert client.post(reverse("calendar-feed-revoke", args=[token.pk])).status_code == 404
    assert FeedToken.objects.filter(pk=token.pk).exists()
    client.force_login(world.supplier_member)
    assert client.post(reverse("calendar-feed-revoke", args=[token.pk])).status_code == 302
    assert not FeedToken.objects.filter(pk=token.pk).exists()


# The API


def test_api_lists_only_your_own_feeds(client, world):
    mine = personal(world.supplier_member)
    personal(world.supplier_manager)
    assert client.get(f"{API}/me/feeds").status_code == 401
    client.force_login(world.supplier_member)
    listed = client.get(f"{API}/me/feeds").json()
    assert [f["id"] for f in listed["personal"]] == [mine.pk] and listed["contracts"] == []
    assert listed["personal"][0]["url"] == f"{BASE}/feeds/{mine.token}.ics"
    assert (
        listed["personal"][0]["webcal_url"] == f"webcal://milepost.example/feeds/{mine.token}.ics"
    )


def test_api_creates_a_personal_feed_once(client, world):
    client.force_login(world.supplier_member)
    created = client.post(f"{API}/me/feeds", {}, content_type="application/json")
    assert created.status_code == 201
    assert [f["id"] for f in client.get(f"{API}/me/feeds").json()["personal"]] == [
        created.json()["id"]
    ]
    again = client.post(f"{API}/me/feeds", {}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]


def test_api_refuses_a_contract_feed_for_a_contract_not_visible(client, world):
    client.force_login(world.outsider)
    body = {"contract_id": world.contract.pk}
    refused = client.post(f"{API}/me/feeds", body, content_type="application/json")
    assert refused.status_code == 404
    client.force_login(world.client_viewer)
    created = client.post(f"{API}/me/feeds", body, content_type="application/json")
    assert created.status_code == 201
    listed = client.get(f"{API}/me/feeds").json()["contracts"]
    assert [(f["id"], f["contract_id"]) for f in listed] == [
        (created.json()["id"], world.contract.pk)
    ]


def test_api_rotates_only_your_own_feed(client, world):
    token = personal(world.supplier_member)
    client.force_login(world.supplier_manager)
    assert client.post(f"{API}/feeds/{token.pk}/rotate").status_code == 404
    client.force_login(world.supplier_member)
    rotated = client.post(f"{API}/feeds/{token.pk}/rotate")
    assert rotated.status_code == 200
    assert token.token not in rotated.json()["url"]


def test_api_deletes_only_your_own_feed(client, world):
    token = personal(world.supplier_member)
    client.force_login(world.supplier_manager)
    assert client.delete(f"{API}/feeds/{token.pk}").status_code == 404
    client.force_login(world.supplier_member)
    assert client.delete(f"{API}/feeds/{token.pk}").status_code == 204
    assert Client().get(feed_path(token)).status_code == 404


# A real CalDAV server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _refuse(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory) -> Iterator[str]:
    """A Radicale CalDAV server on loopback, any user, storage in a temporary folder."""
    if importlib.util.find_spec("radicale") is None:
        _refuse("Radicale is not installed (pip install radicale)")
    folder: Path = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    log = (folder / "radicale.log").open("wb")
    process = subprocess.Popen(
        command(
            [
                sys.executable,
                "-m",
                "radicale",
                "--config",
                "",
                "--server-hosts",
                f"127.0.0.1:{port}",
                "--auth-type",
                "none",
                "--rights-type",
                "owner_only",
                "--storage-filesystem-folder",
                str(folder / "collections"),
            ]
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"Radicale exited at start: {(folder / 'radicale.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("Radicale did not answer on loopback within 30 seconds")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.kill()
        process.wait()
        log.close()


def test_feed_events_round_trip_through_a_caldav_server(world, radicale):
    first = world.deliverable()
    second = world.deliverable("Structure topped out", due_date=world.today + dt.timedelta(days=60))
    cancelled = world.deliverable("Cancelled one")
    milestone_set_status(
        milestone=cancelled,
        status=MilestoneStatus.CANCELLED,
        actor=world.client_manager,
        reason="No longer needed",
    )
    feed = fetch(personal(world.supplier_member))
    published = events_by_uid(feed)
    assert len(published) == 3

    client = caldav.DAVClient(url=radicale, username="sid", password="unused")
    calendar = client.principal().make_calendar(name="Milepost", cal_id=f"milepost-{first.pk}")
    for event in published.values():
        one = icalendar.Calendar()
        one.add("prodid", feed["PRODID"])
        one.add("version", "2.0")
        one.add_component(event)
        # A plain CalDAV PUT, so the object is stored exactly as published (caldav 1.6's own
        # save() bumps SEQUENCE whatever it is told).
        name = hashlib.sha256(str(event["UID"]).encode()).hexdigest()
        answer = client.put(
            f"{str(calendar.url).rstrip('/')}/{name}.ics",
            one.to_ical().decode(),
            {"Content-Type": "text/calendar; charset=utf-8"},
        )
        assert answer.status in (201, 204), answer.status

    stored = {
        str(obj.icalendar_component["UID"]): obj.icalendar_component for obj in calendar.events()
    }
    assert set(stored) == {uid(first), uid(second), uid(cancelled)}
    for milestone in (first, second, cancelled):
        back, sent = stored[uid(milestone)], published[uid(milestone)]
        assert back.decoded("DTSTART") == milestone.due_date
        assert back.decoded("DTEND") == milestone.due_date + dt.timedelta(days=1)
        assert triggers(back) == triggers(sent)
        assert str(back["STATUS"]) == str(sent["STATUS"])
        assert back.decoded("SEQUENCE") == sent.decoded("SEQUENCE")
    assert triggers(stored[uid(first)])[0] == dt.timedelta(days=-14, hours=8)
    assert triggers(stored[uid(cancelled)]) == []
