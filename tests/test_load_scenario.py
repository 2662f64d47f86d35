"""The load test's world and fixture (bench/load/): every action the locust mix takes is accepted.

A load run counts any refusal as a failure, so the fixture must only hand out what the server
accepts: signed-in sessions with a CSRF token, gates awaiting the person's own party, periods
that are over and not yet measured, milestones the person may update, a working API token and
calendar feed. These tests send the same requests as ``bench/load/locustfile.py`` through
Django's test client (with CSRF checks on), on a small world loaded by the same loader.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

LOAD = Path(__file__).resolve().parent.parent / "bench" / "load"
if str(LOAD) not in sys.path:
    sys.path.insert(0, str(LOAD))

from world import load_world, refusal, write_fixture  # noqa: E402

START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def fixture(db: None, tmp_path: Path) -> dict[str, Any]:
    load_world(milestones=600, contracts=20, seed=7)
    path = tmp_path / "fixture.json"
    write_fixture(path, seed=7)
    return dict(json.loads(path.read_text()))


def _as(fixture: dict[str, Any], kind: str) -> tuple[Client, dict[str, Any]]:
    """A client holding the first person of ``kind``'s session and CSRF cookies, as locust does."""
    person = fixture["people"][fixture["classes"][kind][0]]
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = person["session"]
    client.cookies["csrftoken"] = person["csrf"]
    return client, person


def _post(client: Client, person: dict[str, Any], url: str, data: dict[str, Any]) -> int:
    return client.post(url, data, HTTP_X_CSRFTOKEN=person["csrf"]).status_code


def test_every_kind_of_person_has_something_to_do(fixture: dict[str, Any]) -> None:
    # Given the small world, when the fixture is written, then each kind has people and pools.
    classes = fixture["classes"]
    assert all(classes[kind] for kind in ("manager", "supplier", "viewer", "api", "calendar"))
    people = fixture["people"]
    assert any(people[n]["gates"] for n in classes["manager"])
    assert any(people[n]["periods"] for n in classes["supplier"])
    assert all(people[n]["milestones"] and people[n]["contracts"] for n in classes["viewer"])


def test_pools_never_hand_the_same_gate_or_period_to_two_people(fixture: dict[str, Any]) -> None:
    people = fixture["people"].values()
    gates = [tuple(g) for p in people for g in p.get("gates", ())]
    periods = [tuple(g) for p in people for g in p.get("periods", ())]
    assert len(gates) == len(set(gates))
    assert len(periods) == len(set(periods))


def test_a_client_manager_reads_the_pages_and_approves_a_gate(fixture: dict[str, Any]) -> None:
    client, person = _as(fixture, "manager")
    assert client.get("/").status_code == 200
    assert client.get("/milestones/?overdue=true&order=due_date").status_code == 200
    assert client.get(f"/contracts/{person['contracts'][0]}/").status_code == 200
    assert client.get(f"/milestones/{person['milestones'][0]}/").status_code == 200
    gate, party = next(p for p in fixture["people"].values() if p.get("gates"))["gates"][0]
    manager = next(
        n for n in fixture["classes"]["manager"] if [gate, party] in fixture["people"][n]["gates"]
    )
    client, person = _as({**fixture, "classes": {"manager": [manager]}}, "manager")
    data = {"party": party, "decision": "approve", "comment": "Stage report reviewed."}
    assert _post(client, person, f"/milestones/{gate}/gate-decisions/", data) == 302


def test_a_supplier_member_posts_an_update_and_records_a_measurement(
    fixture: dict[str, Any],
) -> None:
    name = next(n for n in fixture["classes"]["supplier"] if fixture["people"][n]["periods"])
    client, person = _as({**fixture, "classes": {"supplier": [name]}}, "supplier")
    pk, start = person["periods"][0]
    data = {"period_start": start, "value": "99.8", "note": "From the monitoring report."}
    assert _post(client, person, f"/milestones/{pk}/measurements/", data) == 302
    # A period recorded twice is refused, and the load test names the failure by the page's
    # own reason.
    again = client.post(f"/milestones/{pk}/measurements/", data, HTTP_X_CSRFTOKEN=person["csrf"])
    assert again.status_code == 422
    assert refusal(again.content.decode()).endswith("has a measurement already.")
    if person["updatable"]:
        text = {"text": "Progress checked on site today; no change to the forecast."}
        assert _post(client, person, f"/milestones/{person['updatable'][0]}/updates/", text) == 302


def test_a_viewer_is_signed_in_but_may_not_write(fixture: dict[str, Any]) -> None:
    client, person = _as(fixture, "viewer")
    assert client.get("/milestones/?critical=true&open=true&order=due_date").status_code == 200
    assert client.get(f"/milestones/{person['milestones'][0]}/").status_code == 200
    assert "updatable" not in person and "gates" not in person


def test_the_integrator_pages_the_api_and_the_calendar_feed_answers(
    fixture: dict[str, Any],
) -> None:
    token = fixture["people"][fixture["classes"]["api"][0]]["token"]
    api = Client()
    first = api.get("/api/v1/milestones?limit=50", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert len(first["items"]) == 50
    following = api.get(
        f"/api/v1/milestones?limit=50&cursor={first['next_cursor']}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert following.status_code == 200
    feed = fixture["people"][fixture["classes"]["calendar"][0]]["feed"]
    assert Client().get(f"/feeds/{feed}.ics").status_code == 200
