"""The budgeted lists keep their query plans: each page is read from its index in order.

A list that stops using its index still returns the right rows, only slower, and only on a big
database: issue 19's lists had regressed to reading every visible milestone and sorting them.
So each budgeted list query is captured as the API runs it (SQL and bound parameters) and
explained here: on SQLite with ``EXPLAIN QUERY PLAN`` (no statistics, as a fresh database has
none), on PostgreSQL with ``EXPLAIN`` and sequential scans and sorts priced out, so that the
plan shows an index in the list's order whenever one can serve it, whatever the table's size.
"""

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from milepost.accounts.services import api_token_create
from milepost.schedule.choices import Criticality, MilestoneStatus
from milepost.schedule.models import Milestone

API = "/api/v1"

# Each budgeted list (README, Benchmarks) and the index that must serve it in order.
LISTS = {
    "scheduled & critical": ("status=scheduled&critical=true", "milestone_status_due_idx"),
    "without filters": ("", "milestone_due_list_idx"),
    "overdue, by due date": ("overdue=true&order=due_date", "milestone_unfinished_due_idx"),
    "owner me, due soon": ("owner=me&due_from={today}&due_to={soon}", "milestone_owner_due_idx"),
}


def bearer(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="plans", read_only=True)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """Collect each statement the block runs with its bound parameters, as the driver got them."""
    seen: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield seen


def list_query(client: Client, path: str) -> tuple[str, Any]:
    """Return the statement that reads the milestones of ``path``'s page."""
    with statements() as seen:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return next((sql, p) for sql, p in seen if 'FROM "schedule_milestone"' in sql)


def plan(sql: str, params: Any) -> list[str]:
    """Return the plan of ``sql`` as the database would run it, one step a line."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return [row[3] for row in cursor.fetchall()]
        # Price out what a small test table would otherwise make the cheapest plan, so that
        # the plan shows whether an index can serve the order at all (as it must at 100,000).
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def reads_in_index_order(steps: list[str], index: str) -> bool:
    """Whether the plan reads the milestones through an index in the list's order, unsorted.

    On SQLite, without statistics, the plan is fixed by the query alone, so the index is the
    one named. PostgreSQL weighs the list's indexes by their estimated costs, which on a test
    table are noise, so any of the milestone indexes in due-date order will do there.
    """
    if connection.vendor == "sqlite":
        uses = any(f"schedule_milestone USING INDEX {index}" in step for step in steps)
        return uses and not any("TEMP B-TREE FOR ORDER BY" in step for step in steps)
    uses = any(
        re.search(r"Index Scan( Backward)? using milestone_\w+ on schedule_milestone", step)
        for step in steps
    )
    # A sort of equal due dates by id (Incremental Sort) keeps the index's order and its stop.
    return uses and not any(re.match(r"\s*(->\s+)?Sort\s+\(", step) for step in steps)


@pytest.fixture
def portfolio(world: Any) -> Any:
    """The world's contract with milestones of every status, some critical, due either side of today."""
    for n in range(24):
        world.deliverable(
            f"Deliverable {n:02d}",
            due_date=world.today + dt.timedelta(days=(n % 8) * 5 - 10),
            criticality=Criticality.CRITICAL if n % 3 == 0 else Criticality.STANDARD,
            owner=world.supplier_member if n % 2 else world.supplier_manager,
        )
    # Some open ones past their date, and some finished ones, as a real list holds.
    milestones = list(Milestone.objects.order_by("id"))
    Milestone.objects.filter(pk__in=[m.pk for m in milestones[::5]]).update(
        status=MilestoneStatus.MET, progress=100, met_on=world.today
    )
    Milestone.objects.filter(pk__in=[m.pk for m in milestones[2::7]]).update(
        status=MilestoneStatus.NOT_MET
    )
    return world


@pytest.mark.parametrize("name", LISTS)
def test_each_budgeted_list_reads_its_index_in_order_on_every_page(portfolio, name):
    query, index = LISTS[name]
    today = portfolio.today
    query = query.format(today=today, soon=today + dt.timedelta(days=40))
    client = bearer(portfolio.supplier_member)
    first = f"{API}/milestones?limit=3&{query}"
    cursor = client.get(first).json()["next_cursor"]
    assert cursor, "the list needs a second page to check the cursor's plan"
    for path in (first, f"{first}&cursor={cursor}"):
        steps = plan(*list_query(client, path))
        assert reads_in_index_order(steps, index), f"{path} no longer reads {index}:\n" + (
            "\n".join(steps)
        )


def test_the_check_fails_for_a_list_that_sorts_what_it_read(portfolio):
    # The guard itself: ordering by title has no index, so the plan sorts, and the check says so.
    steps = plan(
        'SELECT "id" FROM "schedule_milestone" ORDER BY "title", "id" LIMIT 3',
        (),
    )
    assert not reads_in_index_order(steps, "milestone_due_list_idx")
