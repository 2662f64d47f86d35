"""The load test's mix: several organisations and roles using Milepost at once.

Started by ``bench/load/run.py`` (``make load``), which loads the database, signs the people in
and writes the fixture this file reads (``MILEPOST_LOAD_FIXTURE``). Alone, against a running
server whose database that fixture came from:

    MILEPOST_LOAD_FIXTURE=fixture.json .venv/bin/locust -f bench/load/locustfile.py \
        --headless -H http://127.0.0.1:8000 -u 16 -r 16 -t 60s

Who does what (the weights are how many of the simulated people are of each kind, and how
often each of them does each thing):
- client managers (Harbour City Council and other clients): the dashboard, the milestone list
  with filters, a contract's page with its timeline, a milestone's page, a status update, a
  gate approval for their party;
- supplier members: their own overdue and open milestones, milestone pages, a status update on
  a milestone they own, a month's measurement on a KPI their party answers for;
- viewers (the council, a consultant): the dashboard, lists and pages, nothing written;
- integrators: the REST API's milestone lists with a bearer token, following the cursor;
- calendar clients: a personal calendar feed, polled.

Every request is named by its kind, so the statistics are per kind. A write is a form post
answered 302 (done) or it counts as a failure: a refusal (422), an error or a time-out all do.
Each gate and each measured period is acted on once: they are taken from pools the runner
filled with what was still open, so a run's error count must be 0.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
from collections import deque
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlparse

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser
from world import refusal

FIXTURE: dict[str, Any] = json.loads(
    open(os.environ.get("MILEPOST_LOAD_FIXTURE", "bench/load/fixture.json")).read()  # noqa: SIM115
)
# Gates and periods are shared by everyone signed in as the same person, and each is taken once.
POOLS: dict[tuple[str, str], deque[Any]] = {
    (name, kind): deque(person.get(kind, ()))
    for name, person in FIXTURE["people"].items()
    for kind in ("gates", "periods")
}
_next_person = {kind: itertools.cycle(names) for kind, names in FIXTURE["classes"].items() if names}
# The pause between one person's requests; small, so that the server is kept busy and the
# requests a second measure what the server can take.
THINK = between(
    float(os.environ.get("MILEPOST_LOAD_THINK_MIN", 0)),
    float(os.environ.get("MILEPOST_LOAD_THINK_MAX", 0.2)),
)


def _cookie(host: str, name: str, value: str) -> Cookie:
    return Cookie(
        0,
        name,
        value,
        None,
        False,
        host,
        False,
        False,
        "/",
        True,
        False,
        None,
        True,
        None,
        None,
        {},
        False,
    )


class Person(FastHttpUser):
    """A person signed in on the web, with a session and a CSRF token."""

    abstract = True
    kind = ""
    wait_time = THINK

    def on_start(self) -> None:
        self.who = next(_next_person[self.kind])
        self.person = FIXTURE["people"][self.who]
        self.rng = random.Random()
        host = urlparse(self.host).hostname or "127.0.0.1"
        self.client.cookiejar.set_cookie(_cookie(host, "sessionid", self.person["session"]))
        self.client.cookiejar.set_cookie(_cookie(host, "csrftoken", self.person["csrf"]))

    def get(self, url: str, name: str) -> None:
        """Open a page; anything but 200 fails (a redirect to the sign-in page included)."""
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} instead of the page")

    def post(self, url: str, data: dict[str, Any], name: str) -> None:
        """Post a form as the page does; done is a redirect back to the page, anything else fails."""
        with self.client.post(
            url,
            data=data,
            name=name,
            headers={"X-CSRFToken": self.person["csrf"], "Referer": f"{self.host}{url}"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(
                    f"{response.status_code} instead of a redirect{refusal(response.text)}"
                )
            else:
                response.success()

    def milestone(self) -> int:
        return int(self.rng.choice(self.person["milestones"]))

    def contract(self) -> int:
        return int(self.rng.choice(self.person["contracts"]))

    def take(self, kind: str) -> Any | None:
        pool = POOLS[(self.who, kind)]
        return pool.popleft() if pool else None

    def status_update(self) -> None:
        if not self.person.get("updatable"):
            return
        pk = self.rng.choice(self.person["updatable"])
        self.get(f"/milestones/{pk}/", "milestone page")
        self.post(
            f"/milestones/{pk}/updates/",
            {"text": "Progress checked on site today; no change to the forecast."},
            "post a status update",
        )


class ClientManager(Person):
    """A client's contract manager: the portfolio first, then what waits on them."""

    kind = "manager"
    weight = 4

    @task(5)
    def dashboard(self) -> None:
        self.get("/", "dashboard")

    @task(4)
    def filtered_list(self) -> None:
        query = self.rng.choice(
            [
                "?overdue=true&order=due_date",
                "?status=scheduled&critical=true",
                "?kind=payment&open=true&order=due_date",
                "?health=at_risk&order=health",
                f"?due_from={dt.datetime.now(dt.UTC):%Y-%m-%d}&order=due_date",
            ]
        )
        self.get(f"/milestones/{query}", "milestone list, filtered")

    @task(3)
    def contract_page(self) -> None:
        self.get(f"/contracts/{self.contract()}/", "contract page with timeline")

    @task(4)
    def milestone_page(self) -> None:
        self.get(f"/milestones/{self.milestone()}/", "milestone page")

    @task(1)
    def update(self) -> None:
        self.status_update()

    @task(1)
    def approve_gate(self) -> None:
        gate = self.take("gates")
        if gate is None:
            return
        pk, party = gate
        self.get(f"/milestones/{pk}/", "milestone page")
        self.post(
            f"/milestones/{pk}/gate-decisions/",
            {"party": party, "decision": "approve", "comment": "Stage report reviewed."},
            "approve a gate",
        )


class SupplierMember(Person):
    """A supplier's member who owns milestones: their own list, updates and measurements."""

    kind = "supplier"
    weight = 3

    @task(2)
    def dashboard(self) -> None:
        self.get("/", "dashboard")

    @task(3)
    def my_list(self) -> None:
        query = self.rng.choice(["?owner=me&open=true&order=due_date", "?owner=me&overdue=true"])
        self.get(f"/milestones/{query}", "milestone list, filtered")

    @task(4)
    def milestone_page(self) -> None:
        self.get(f"/milestones/{self.milestone()}/", "milestone page")

    @task(1)
    def contract_page(self) -> None:
        self.get(f"/contracts/{self.contract()}/", "contract page with timeline")

    @task(2)
    def update(self) -> None:
        self.status_update()

    @task(1)
    def measure(self) -> None:
        period = self.take("periods")
        if period is None:
            return
        pk, start = period
        self.get(f"/milestones/{pk}/", "milestone page")
        self.post(
            f"/milestones/{pk}/measurements/",
            {"period_start": start, "value": "99.8", "note": "From the monitoring report."},
            "record a measurement",
        )


class Viewer(Person):
    """Someone who reads: the council's viewers, a consultant."""

    kind = "viewer"
    weight = 1

    @task(3)
    def dashboard(self) -> None:
        self.get("/", "dashboard")

    @task(2)
    def filtered_list(self) -> None:
        self.get("/milestones/?critical=true&open=true&order=due_date", "milestone list, filtered")

    @task(2)
    def contract_page(self) -> None:
        self.get(f"/contracts/{self.contract()}/", "contract page with timeline")

    @task(3)
    def milestone_page(self) -> None:
        self.get(f"/milestones/{self.milestone()}/", "milestone page")


class Integrator(FastHttpUser):
    """A system reading the REST API with a bearer token, page after page by cursor."""

    weight = 1
    wait_time = THINK

    def on_start(self) -> None:
        name = next(_next_person["api"])
        self.headers = {"Authorization": f"Bearer {FIXTURE['people'][name]['token']}"}
        self.rng = random.Random()

    @task
    def pages(self) -> None:
        query = self.rng.choice(
            [
                "status=scheduled&critical=true&limit=50",
                "overdue=true&order=due_date&limit=50",
                "limit=50",
            ]
        )
        cursor = ""
        for _ in range(self.rng.randint(1, 4)):
            with self.client.get(
                f"/api/v1/milestones?{query}{cursor}",
                name="API milestone list page",
                headers=self.headers,
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}")
                    return
                following = response.json().get("next_cursor")
            if not following:
                return
            cursor = f"&cursor={following}"


class CalendarClient(FastHttpUser):
    """A calendar application polling someone's personal feed."""

    weight = 1
    wait_time = THINK

    def on_start(self) -> None:
        self.feed = FIXTURE["people"][next(_next_person["calendar"])]["feed"]

    @task
    def poll(self) -> None:
        self.client.get(f"/feeds/{self.feed}.ics", name="calendar feed")
