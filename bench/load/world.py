"""The world the load test runs against, and the fixture file that tells locust who is who.

Django must be set up first. ``load_world`` fills an empty database with the benchmarks' bulk
loader (``bench/milestone_data.py``: organisations with admins, managers, members and viewers,
contracts, milestones of every kind, links, status updates, comments), gives the payment
milestones terms (``bench/web_bench.py``), the open gates two required parties and the open
performance milestones a monthly KPI, so that every action of the scenario has something to act
on. ``write_fixture`` signs the load's people in (a session each, no password hashing during the
run), gives them an API token and a calendar feed, and picks what each may act on from the
database as it is now, so that a second run never approves a gate the first one approved.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

POOL = 400  # things to act on per person and kind (gates, periods, milestones)


def load_world(*, milestones: int, contracts: int, seed: int) -> dict[str, int]:
    """Load the portfolio and what the scenario's actions need; return row counts."""
    from django.db import connection, transaction
    from milestone_data import load_dataset
    from web_bench import add_payment_terms

    _, stats = load_dataset(milestones=milestones, contracts=contracts, seed=seed)
    counts = {str(k): v for k, v in stats.rows.items()}
    counts["payment terms"] = add_payment_terms(seed)
    with transaction.atomic(), connection.cursor() as cur:
        # Every open gate waits for its client and its supplier: the scenario's managers approve
        # for the client, so an approval never passes a gate (that would wait on predecessors).
        cur.execute(
            """
            INSERT INTO approvals_gaterequirement (milestone_id, party_id)
            SELECT m.id, p.id FROM schedule_milestone m
              JOIN contracts_party p ON p.contract_id = m.contract_id
             WHERE m.kind = 'gate' AND m.status IN ('scheduled', 'in_progress')
               AND p.role IN ('client', 'supplier')
            """
        )
        counts["gate requirements"] = cur.rowcount
        # A monthly availability target measured from the first whole month of the contract.
        first_month = (
            "(date_trunc('month', c.start_date) + interval '1 month')::date"
            if connection.vendor == "postgresql"
            else "date(c.start_date, 'start of month', '+1 month')"
        )
        cur.execute(
            f"""
            INSERT INTO performance_kpi
                (milestone_id, name, unit, target, direction, period, measurement_start)
            SELECT m.id, 'Service availability', '%', 99.5, 'at_least', 'month', {first_month}
              FROM schedule_milestone m JOIN contracts_contract c ON c.id = m.contract_id
             WHERE m.kind = 'performance' AND m.status IN ('scheduled', 'in_progress')
               AND m.due_date > {first_month}
            """  # noqa: S608 - no input: one of two fixed expressions
        )
        counts["KPIs"] = cur.rowcount
    _rebuild_precomputed()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return counts


def _rebuild_precomputed() -> None:
    """Recount the dashboard's precomputed figures after the bulk load (a check: the triggers
    kept them)."""
    from django.core.management import call_command

    call_command("dashboard_tallies", verbosity=0)


def _people() -> dict[str, list[Any]]:
    """Pick the load's people from the loader's organisations, by role, across organisations."""
    from milepost.accounts.models import Membership
    from milepost.contracts.models import Party

    rows = list(
        Membership.objects.select_related("user", "organisation").order_by(
            "organisation_id", "user_id"
        )
    )
    by_org: dict[int, list[Membership]] = defaultdict(list)
    for m in rows:
        by_org[m.organisation_id].append(m)
    council = next(
        o for o, ms in by_org.items() if ms[0].organisation.name == "Harbour City Council"
    )
    clients = [
        o
        for o, ms in by_org.items()
        if ms[0].organisation.name
        in ("Meridian Health Trust", "Eastshire County Council", "Riverside Schools Trust")
    ]
    # The suppliers with the most contracts first: they own the most milestones and KPIs.
    on_contracts = Counter(Party.objects.values_list("organisation_id", flat=True))
    suppliers = sorted(
        (
            o
            for o, ms in by_org.items()
            if ms[0].organisation.name.endswith(("Ltd", "plc", "Engineering"))
        ),
        key=lambda o: -on_contracts[o],
    )
    consultants = [o for o, ms in by_org.items() if "Arden" in ms[0].organisation.name]

    def role(orgs: list[int], wanted: str, each: int) -> list[Any]:
        return [m.user for o in orgs for m in by_org[o] if m.role == wanted][: each * len(orgs)]

    return {
        "manager": role([council], "manager", 4) + role(clients, "manager", 1),
        "supplier": role(suppliers[:6], "member", 2),
        "viewer": role([council], "viewer", 2) + role(consultants, "viewer", 1),
        "api": role([council], "admin", 1) + role(suppliers[:2], "admin", 1),
        "calendar": role([council], "member", 2) + role(suppliers[:2], "manager", 1),
    }


def _session(user: Any) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def _sample(rng: random.Random, items: list[Any], n: int = POOL) -> list[Any]:
    return rng.sample(items, min(n, len(items)))


def _reads(user: Any, rng: random.Random) -> dict[str, Any]:
    """What a person opens: their contracts and milestones on them."""
    from milepost.contracts.selectors import contracts_for_user
    from milepost.schedule.models import Milestone

    contract_ids = list(contracts_for_user(user=user).values_list("id", flat=True))
    picked = _sample(rng, contract_ids, 60)
    milestone_ids = list(
        Milestone.objects.filter(contract_id__in=picked).values_list("id", flat=True)
    )
    return {"contracts": picked, "milestones": _sample(rng, milestone_ids)}


def _gates(user: Any, rng: random.Random, taken: set[int]) -> list[list[int]]:
    """Open gates this manager's organisation is asked to approve and has not decided."""
    from milepost.approvals.models import GateDecision, GateRequirement

    decided = set(GateDecision.objects.values_list("milestone_id", "party_id"))
    rows = [
        [m, p]
        for m, p in GateRequirement.objects.filter(
            party__organisation__memberships__user=user,
            milestone__status__in=("scheduled", "in_progress"),
            milestone__contract__status="active",
        ).values_list("milestone_id", "party_id")
        if (m, p) not in decided and m not in taken
    ]
    picked = _sample(rng, rows)
    taken.update(m for m, _ in picked)
    return picked


def _periods(user: Any, rng: random.Random, today: dt.date, taken: set[int]) -> list[list[Any]]:
    """Monthly periods that are over and not yet measured, on KPIs the person's party owns."""
    from milepost.performance.models import KPI, Measurement, next_period_start, period_starts

    kpis = list(
        KPI.objects.filter(
            milestone__responsible_party__organisation__memberships__user=user,
            milestone__status__in=("scheduled", "in_progress"),
            milestone__contract__status="active",
        )
        .exclude(milestone_id__in=taken)
        .values_list("milestone_id", "id", "measurement_start", "milestone__due_date")[:2000]
    )
    done = set(
        Measurement.objects.filter(kpi_id__in=[k for _, k, _, _ in kpis]).values_list(
            "kpi_id", "period_start"
        )
    )
    rows: list[list[Any]] = []
    for milestone_id, kpi_id, first, due in kpis:
        for start in period_starts("month", first, due):
            if next_period_start("month", start) > today - dt.timedelta(days=1):
                break
            if (kpi_id, start) not in done:
                rows.append([milestone_id, start.isoformat()])
    picked = _sample(rng, rows)
    taken.update(m for m, _ in picked)
    return picked


def _updatable(user: Any, rng: random.Random, manager: bool) -> list[int]:
    """Open milestones this person may post a status update on."""
    from milepost.schedule.models import Milestone

    qs = Milestone.objects.filter(
        status__in=("scheduled", "in_progress"), contract__status="active"
    )
    if manager:
        qs = qs.filter(
            contract__parties__organisation__memberships__user=user,
            contract__parties__organisation__memberships__role__in=("manager", "admin"),
        )
    else:
        qs = qs.filter(owner=user)
    return _sample(rng, list(qs.values_list("id", flat=True)[:20000]))


def build_fixture(*, seed: int) -> dict[str, Any]:
    """Sign the load's people in and give each what they read, their token or feed.

    Sessions and tokens stay valid from one run to the next; the gates and periods, which can
    each be acted on once, are handed out per run by ``refresh_pools``.
    """
    from django.middleware.csrf import _get_new_csrf_string

    from milepost.accounts.services import api_token_create
    from milepost.alerts.feeds import feed_token_get_or_create

    rng = random.Random(seed)
    fixture: dict[str, Any] = {"people": {}, "classes": {}}
    for kind, users in _people().items():
        for user in users:
            person: dict[str, Any] = {
                "username": user.username,
                "kind": kind,
                "session": _session(user),
                "csrf": _get_new_csrf_string(),
            }
            if kind in ("manager", "supplier", "viewer"):
                person.update(_reads(user, rng))
            if kind in ("manager", "supplier"):
                person["updatable"] = _updatable(user, rng, manager=kind == "manager")
            if kind == "api":
                _, person["token"] = api_token_create(user=user, name=f"Load test {seed}")
            if kind == "calendar":
                person["feed"] = feed_token_get_or_create(user=user, actor=user).token
            fixture["people"][user.username] = person
        fixture["classes"][kind] = [u.username for u in users]
    return fixture


def refresh_pools(fixture: dict[str, Any], *, seed: int) -> dict[str, int]:
    """Hand out the gates and periods still open; return how many things each action has."""
    from milepost.accounts.models import User
    from milepost.core.dates import local_today

    rng = random.Random(seed)
    today = local_today("Europe/London")
    gates_taken: set[int] = set()
    periods_taken: set[int] = set()
    users = {u.username: u for u in User.objects.filter(username__in=fixture["people"])}
    for name, person in fixture["people"].items():
        if person["kind"] == "manager":
            person["gates"] = _gates(users[name], rng, gates_taken)
        if person["kind"] == "supplier":
            person["periods"] = _periods(users[name], rng, today, periods_taken)
    everyone = fixture["people"].values()
    return {
        "people": len(fixture["people"]),
        "gates": sum(len(p.get("gates", ())) for p in everyone),
        "periods": sum(len(p.get("periods", ())) for p in everyone),
        "updatable": sum(len(p.get("updatable", ())) for p in everyone),
    }


def write_fixture(path: Path, *, seed: int) -> dict[str, int]:
    """Write the locust fixture for one run; return how many things each action can act on."""
    fixture = build_fixture(seed=seed)
    counts = refresh_pools(fixture, seed=seed)
    path.write_text(json.dumps(fixture))
    return counts


def refusal(page: str | None) -> str:
    """The reason a refused form's page gives (its error message), to name a failure by."""
    found = re.search(r'<li class="[^"]*error[^"]*">(.*?)</li>', page or "", re.S)
    return f": {html.unescape(re.sub(r'<[^>]+>', '', found.group(1))).strip()}" if found else ""
