"""Benchmark the milestone REST API against hand-written SQL on a throwaway SQLite database.

Run ``make bench`` (100,000 milestones over 2,000 contracts), or for a quick check:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/api_bench.py \
        --milestones 5000 --contracts 100

The database lives in a temporary data directory that is removed afterwards; ``./var`` and any
``DATABASE_URL`` are ignored. Each API request goes through the whole Django and ninja stack
in-process (middleware, bearer-token authentication, selectors, schemas, JSON). Its SQL
counterpart returns the same rows with one hand-written query, and the two are timed
alternately so that both see the same machine noise. Each list's query plan is printed in one
line (``--explain`` prints them whole), and then the lists are timed again over real HTTP on
loopback against ``milepost serve --workers 2`` on the same database (``--no-http`` skips it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from milestone_data import LoadStats, analyze, load_dataset
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from django.test import Client

    from milepost.accounts.models import User

API = "/api/v1"
LIST_TARGET_MS = 50.0  # DESIGN.md, "Performance envelope": one filtered page at 100k, p95
OVERDUE_TARGET_MS = 40.0  # issue 19: the overdue list is the one opened first; it is the fastest
QUERY_BUDGET = 8  # DESIGN.md: SQL queries per list or detail request

# Wide enough for the table when the output goes to a file or CI log rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 175)


# --- Set-up -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=100_000, help="rows to load")
    parser.add_argument("--contracts", type=int, default=2_000, help="contracts to spread them on")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per scenario")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the generated data")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run SQLite's ANALYZE after loading (Milepost does not)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN QUERY PLAN of each list query"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary data directory and print its path"
    )
    parser.add_argument(
        "--http",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the lists over real HTTP on loopback (milepost serve --workers 2)",
    )
    args = parser.parse_args(argv)
    if args.contracts < 1 or args.milestones < args.contracts or args.requests < 2:
        parser.error("need at least one contract, a milestone per contract and two requests")
    return args


def setup_django(data_dir: Path) -> None:
    """Point Milepost at an empty data directory and start Django.

    The Makefile exports ``MILEPOST_DATA_DIR=./var``; it is overridden here, and a configured
    ``DATABASE_URL`` is dropped, so the benchmark can never write to the user's database.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["MILEPOST_DATA_DIR"] = str(data_dir)
    os.environ["MILEPOST_DEBUG"] = "0"  # DEBUG would record every query and skew the timings
    (data_dir / "static").mkdir()  # whitenoise warns at start-up when STATIC_ROOT is missing
    if os.environ.pop("DATABASE_URL", None):
        console.print("[yellow]DATABASE_URL is ignored: the benchmark runs on SQLite.[/]")
    import django
    from django.conf import settings

    django.setup()
    name = Path(str(settings.DATABASES["default"]["NAME"])).resolve()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" or not (
        name.is_relative_to(data_dir.resolve())
    ):
        raise SystemExit(f"Refusing to run: the database {name} is not in {data_dir}.")


def migrate() -> None:
    """Create the schema."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- The hand-written SQL -------------------------------------------------------------------


def health_sql() -> tuple[str, list[Any]]:
    """Return the health CASE of ``schedule.selectors.with_health`` written out, with its params."""
    return _health_and_today()[0]


def local_today_sql() -> tuple[str, list[Any]]:
    """Return each contract's own today as SQL (a CASE on its time zone), with its params."""
    return _health_and_today()[1]


def _health_and_today() -> tuple[tuple[str, list[Any]], tuple[str, list[Any]]]:
    """Return the health CASE and the local-today CASE, each with its params.

    Each contract's own today comes from the same time-zone groups the selector uses; they are
    worked out once here, while the API works them out on every request.
    """
    from django.conf import settings

    from milepost.core.dates import today_groups

    common, others = today_groups()

    def local(days: int) -> tuple[str, list[Any]]:
        ahead = dt.timedelta(days=days)
        sql, params = "CASE", []
        for day, zones in others.items():
            sql += f" WHEN c.time_zone IN ({', '.join(['%s'] * len(zones))}) THEN %s"
            params += [*zones, (day + ahead).isoformat()]
        return f"{sql} ELSE %s END", [*params, (common + ahead).isoformat()]

    today_sql, today_params = local(0)
    horizon_sql, horizon_params = local(settings.MILEPOST_AT_RISK_WINDOW_DAYS)
    sql = f"""CASE
        WHEN m.status IN ('met', 'partially_met', 'waived', 'cancelled') THEN 'done'
        WHEN m.status = 'not_met' THEN 'overdue'
        WHEN m.due_date < ({today_sql}) THEN 'overdue'
        WHEN m.forecast_date > m.due_date THEN 'at_risk'
        WHEN m.risk_note <> '' THEN 'at_risk'
        WHEN m.due_date <= ({horizon_sql}) AND m.progress < %s THEN 'at_risk'
        ELSE 'on_track' END"""
    health = (sql, [*today_params, *horizon_params, settings.MILEPOST_AT_RISK_PROGRESS])
    return health, (today_sql, today_params)


# The unary plus keeps SQLite from starting at the visible contracts, as the ORM does
# (``schedule.selectors.milestones_listed``): the lists read their due-date index instead.
SELECT = """SELECT m.id, m.contract_id, c.reference, m.kind, m.title, u.username,
    ro.name, ao.name, m.criticality, m.acceptance_criteria, m.baseline_due_date, m.due_date,
    m.forecast_date, m.progress, m.status, m.met_on, {health} AS health{extra}
FROM schedule_milestone m
JOIN contracts_contract c ON c.id = m.contract_id
JOIN accounts_user u ON u.id = m.owner_id
JOIN contracts_party rp ON rp.id = m.responsible_party_id
JOIN accounts_organisation ro ON ro.id = rp.organisation_id
LEFT JOIN contracts_party ap ON ap.id = m.accepting_party_id
LEFT JOIN accounts_organisation ao ON ao.id = ap.organisation_id
WHERE +m.contract_id IN (
    SELECT p.contract_id FROM contracts_party p
    JOIN accounts_membership ms ON ms.organisation_id = p.organisation_id
    WHERE ms.user_id = %s)"""
DETAIL_EXTRA = """, m.description, m.risk_note,
    (SELECT group_concat(d.predecessor_id) FROM schedule_dependency d WHERE d.successor_id = m.id),
    (SELECT group_concat(d.successor_id) FROM schedule_dependency d WHERE d.predecessor_id = m.id)"""


@dataclass(frozen=True)
class ListQuery:
    """One filtered list, as API query parameters and as the matching WHERE clause."""

    label: str
    params: dict[str, str]
    where: str
    where_params: list[Any]
    target_ms: float = LIST_TARGET_MS


def list_sql(
    health: tuple[str, list[Any]], user_id: int, query: ListQuery, after: tuple[str, int] | None
) -> tuple[str, list[Any]]:
    """Return the page after ``after`` (due date, id) of ``query``, 51 rows at most."""
    sql = SELECT.format(health=health[0], extra="")
    if query.where:
        sql += f"\nAND {query.where}"
    params = [*health[1], user_id, *query.where_params]
    if after is not None:
        sql += "\nAND (m.due_date > %s OR (m.due_date = %s AND m.id > %s))"
        params += [after[0], after[0], after[1]]
    return sql + "\nORDER BY m.due_date, m.id LIMIT 51", params


def detail_sql(health: tuple[str, list[Any]], user_id: int, pk: int) -> tuple[str, list[Any]]:
    """Return one visible milestone with its dependency ids."""
    sql = SELECT.format(health=health[0], extra=DETAIL_EXTRA) + "\nAND m.id = %s"
    return sql, [*health[1], user_id, pk]


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    """Timings in milliseconds of one scenario, API and SQL side by side."""

    name: str
    api_ms: list[float]
    sql_ms: list[float]
    queries: Counter[int]
    target_ms: float | None
    example: str
    # The CPU time of each API request (this process: Django, ninja and SQLite's own work),
    # which a busy machine stretches much less than the wall time.
    api_cpu_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One request and its SQL twin."""

    path: str
    sql: str
    params: list[Any]


def run_sql(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Execute hand-written SQL through Django's connection and fetch every row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def get_json(client: Client, path: str) -> Any:
    """GET ``path`` and return its JSON, failing loudly on anything but 200."""
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    return response.json()


def check_same(step: Step, api_items: list[dict[str, Any]]) -> None:
    """Stop unless the SQL twin returns the API's rows, in order, with the same health."""
    rows = run_sql(step.sql, step.params)[: len(api_items)]
    api = [(i["id"], i["due_date"], i["health"]) for i in api_items]
    raw = [(r[0], str(r[11]), r[16]) for r in rows]
    if api != raw:
        raise SystemExit(f"The SQL twin of {step.path} differs:\n API {api[:5]}\n SQL {raw[:5]}")


def measure(
    client: Client,
    name: str,
    steps: list[Step],
    *,
    requests: int,
    warmup: int,
    target: float | None,
) -> Result:
    """Time ``requests`` API calls and as many SQL runs, alternating which goes first."""
    import gc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        step = steps[i % len(steps)]
        client.get(step.path)
        run_sql(step.sql, step.params)
    queries: Counter[int] = Counter()
    for i in range(10):
        step = steps[i % len(steps)]
        with CaptureQueriesContext(connection) as captured:
            client.get(step.path)
        queries[len(captured)] += 1

    api_cpu_ms: list[float] = []

    def api(step: Step) -> float:
        t, cpu = time.perf_counter(), time.thread_time()
        response = client.get(step.path)
        elapsed = (time.perf_counter() - t) * 1000
        api_cpu_ms.append((time.thread_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {step.path} answered {response.status_code}")
        return elapsed

    def sql(step: Step) -> float:
        t = time.perf_counter()
        run_sql(step.sql, step.params)
        return (time.perf_counter() - t) * 1000

    api_ms: list[float] = []
    sql_ms: list[float] = []
    gc.collect()
    for i in range(requests):
        step = steps[i % len(steps)]
        if i % 2:
            sql_ms.append(sql(step))
            api_ms.append(api(step))
        else:
            api_ms.append(api(step))
            sql_ms.append(sql(step))
    return Result(name, api_ms, sql_ms, queries, target, steps[0].path, api_cpu_ms)


def walk(
    client: Client, health: tuple[str, list[Any]], user_id: int, query: ListQuery, pages: int
) -> list[Step]:
    """Follow ``next_cursor`` for up to ``pages`` pages; return each page as a checked Step."""
    from urllib.parse import urlencode

    steps: list[Step] = []
    params = {**query.params, "limit": "50"}
    after: tuple[str, int] | None = None
    for _ in range(pages):
        path = f"{API}/milestones?{urlencode(params)}"
        page = get_json(client, path)
        step = Step(path, *list_sql(health, user_id, query, after))
        check_same(step, page["items"])
        steps.append(step)
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
        after = (page["items"][-1]["due_date"], page["items"][-1]["id"])
    return steps


def explain(sql: str, params: Sequence[Any] | None = None) -> str:
    """Return SQLite's query plan for ``sql``, one step a line."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(f"  {'  ' * (row[1] > 0)}{row[3]}" for row in cursor.fetchall())


# Each list's plan in one line, printed under the table whatever the options.
PLANS: dict[str, str] = {}


def plan_summary(client: Client, step: Step) -> str:
    """Return how the API's list query for ``step`` reads the milestones, in one line.

    The milestone table's step of the plan (which index, in what way) and whether the rows
    are then sorted apart: a list served by its index needs no sort and stops at its page.
    """
    from django.db import connection

    # The statement as the driver got it, parameters bound: SQLite plans some conditions
    # (a partial index's) differently with a literal in their place.
    seen: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        client.get(step.path)
    sql, params = max(seen, key=lambda statement: len(statement[0]))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = [row[3] for row in cursor.fetchall()]
    reads = [s for s in steps if "schedule_milestone" in s] or steps[:1]
    sort = "then sorted (temp b-tree)" if any("TEMP B-TREE" in s for s in steps) else "no sort"
    return f"{'; '.join(reads)}; {sort}"


def explain_api(client: Client, step: Step) -> None:
    """Print the plans of the API's heaviest query for ``step`` and of its SQL twin."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(step.path)
    heaviest = max(captured.captured_queries, key=lambda q: len(q["sql"]))
    console.print(f"\n[bold]{step.path}[/]\n[dim]API (ORM) plan:[/]")
    console.print(explain(heaviest["sql"]), markup=False, highlight=False)
    console.print("[dim]SQL twin plan:[/]")
    console.print(explain(step.sql, step.params), markup=False, highlight=False)


def scenarios(
    client: Client, user: User, args: argparse.Namespace
) -> Iterator[tuple[str, list[Step], float | None]]:
    """Yield each scenario's name, requests and p95 target."""
    from milepost.core.dates import local_today

    health = health_sql()
    today = local_today("Europe/London")
    critical = ListQuery(
        "scheduled & critical",
        {"status": "scheduled", "critical": "true"},
        "m.status = %s AND m.criticality = %s",
        ["scheduled", "critical"],
    )
    to = (today + dt.timedelta(days=90)).isoformat()
    mine = ListQuery(
        "owner=me, due in 90 days",
        {"owner": "me", "due_from": today.isoformat(), "due_to": to},
        "m.owner_id = %s AND m.due_date >= %s AND m.due_date <= %s",
        [user.pk, today.isoformat(), to],
    )
    everything = ListQuery("without filters", {}, "", [])
    today_sql, today_params = local_today_sql()
    overdue = ListQuery(
        "overdue, by due date",
        {"overdue": "true", "order": "due_date"},
        "m.status NOT IN ('met', 'partially_met', 'waived', 'cancelled')"
        f" AND (m.status = 'not_met' OR m.due_date < ({today_sql}))",
        today_params,
        OVERDUE_TARGET_MS,
    )
    for query in (critical, mine, everything, overdue):
        pages = walk(client, health, user.pk, query, 5)
        PLANS[query.label] = plan_summary(client, pages[-1])
        if args.explain:
            explain_api(client, pages[0])
        yield f"list {query.label}, page 1", pages[:1], query.target_ms
        if len(pages) > 1 and query in (critical, overdue):
            yield f"list {query.label}, pages 2-{len(pages)}", pages[1:], query.target_ms

    visible = [row[0] for row in run_sql(*visible_ids_sql(user.pk))]
    ids = random.Random(args.seed).sample(visible, min(len(visible), args.requests))
    steps = [Step(f"{API}/milestones/{pk}", *detail_sql(health, user.pk, pk)) for pk in ids]
    for step in steps[:10]:
        item = get_json(client, step.path)
        row = run_sql(step.sql, step.params)[0]
        deps = (sorted(item["predecessor_ids"]), sorted(item["successor_ids"]))
        raw = tuple(sorted(int(x) for x in (s or "").split(",") if x) for s in row[19:21])
        if (item["id"], item["health"]) != (row[0], row[16]) or deps != raw:
            raise SystemExit(f"The SQL twin of {step.path} differs: {item} vs {row}")
    yield "detail, varied ids", steps, None


def visible_ids_sql(user_id: int) -> tuple[str, list[Any]]:
    """Return the query of every milestone id the user can see."""
    return (
        "SELECT m.id FROM schedule_milestone m WHERE m.contract_id IN (SELECT p.contract_id"
        " FROM contracts_party p JOIN accounts_membership ms ON ms.organisation_id ="
        " p.organisation_id WHERE ms.user_id = %s)",
        [user_id],
    )


# --- Over HTTP ------------------------------------------------------------------------------


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    """Run ``milepost serve --workers 2`` on the benchmark's database; yield its address."""
    import signal
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MILEPOST_DATA_DIR": str(data_dir), "MILEPOST_DEBUG": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "serve", "--port", str(port), "--workers", "2"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{address}/api/v1/openapi.json", timeout=2)  # noqa: S310
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("milepost serve stopped before it answered") from None
                time.sleep(0.1)
        yield address
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def measure_http(
    address: str, token: str, name: str, steps: list[Step], *, requests: int, warmup: int
) -> Result:
    """Time ``requests`` GETs of ``steps`` over one keep-alive connection, as a client would."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(address)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> float:
        t = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - t) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {path} over HTTP answered {response.status}")
        return elapsed

    for i in range(warmup):
        get(steps[i % len(steps)].path)
    times = [get(steps[i % len(steps)].path) for i in range(requests)]
    connection.close()
    return Result(name, times, times, Counter(), None, steps[0].path)


def report_http(results: list[tuple[Result, float | None]], requests: int) -> None:
    """Print the over-HTTP timings of the lists next to their targets."""
    table = Table(
        title=f"The lists over HTTP on loopback (milepost serve --workers 2): ms over {requests}"
    )
    table.add_column("scenario", no_wrap=True)
    for heading in ("p50", "p95", "p99"):
        table.add_column(heading, justify="right")
    table.add_column("target")
    for r, target in results:
        p95 = pct(r.api_ms, 95)
        verdict = _verdict(p95 <= target, f"p95 ≤ {target:g} ms") if target else ""
        table.add_row(r.name, *(f"{pct(r.api_ms, p):.1f}" for p in (50, 95, 99)), verdict)
    console.print(table)


# --- Reporting ------------------------------------------------------------------------------


def pct(values: list[float], p: int) -> float:
    """Return the ``p``-th percentile (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _verdict(ok: bool, text: str) -> str:
    return f"[green]✓ {text}[/]" if ok else f"[red]✗ {text}[/]"


def report(results: list[Result], requests: int) -> None:
    """Print the timings table: API and SQL percentiles, their ratio, queries and targets."""
    table = Table(title=f"Milestone API vs hand-written SQL: ms over {requests} requests each")
    table.add_column("scenario", no_wrap=True)
    headings = ("API p50", "API p95", "CPU p50", "CPU p95", "SQL p50", "SQL p95", "ratio p50")
    for heading in (*headings, "ratio p95"):
        table.add_column(heading, justify="right")
    table.add_column("queries", justify="right")
    table.add_column("DESIGN target")
    for r in results:
        a50, a95 = pct(r.api_ms, 50), pct(r.api_ms, 95)
        s50, s95 = pct(r.sql_ms, 50), pct(r.sql_ms, 95)
        typical, most = r.queries.most_common(1)[0][0], max(r.queries)
        verdicts = [_verdict(most <= QUERY_BUDGET, f"≤ {QUERY_BUDGET} queries")]
        if r.target_ms is not None:
            verdicts.insert(0, _verdict(a95 <= r.target_ms, f"p95 ≤ {r.target_ms:g} ms"))
        table.add_row(
            r.name,
            *(f"{v:.1f}" for v in (a50, a95)),
            *(f"{pct(r.api_cpu_ms, p):.1f}" for p in (50, 95)),
            *(f"{v:.1f}" for v in (s50, s95)),
            f"{a50 / s50:.0f}x",
            f"{a95 / s95:.0f}x",
            f"{typical}" + (f" (max {most})" if most != typical else ""),
            ", ".join(verdicts),
        )
    console.print(table)
    for r in results:
        console.print(f"  [dim]{r.name}:[/] GET {r.example}", highlight=False)
    for label, plan in PLANS.items():
        console.print(f"  [dim]plan, list {label}:[/] {escape(plan)}", highlight=False)
    console.print(
        "  [dim]ratio = API / SQL; queries = SQL queries per API request (token lookup included);"
        " SQL = the same rows by one hand-written query; CPU = the API request's CPU time (on a"
        " busy machine, what it costs an idle core).[/]"
    )


def print_environment(stats: LoadStats, data_dir: Path) -> None:
    """Print what was loaded and on what."""
    import django

    size = sum(p.stat().st_size for p in data_dir.glob("milepost.sqlite3*")) / 2**20
    console.print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    rows = ", ".join(f"{n:,} {name}" for name, n in stats.rows.items())
    console.print(f"Loaded {rows}")
    console.print(f"[bold]Load time: {stats.seconds:.1f} s[/] (database {size:.0f} MB)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Load, measure, report, clean up."""
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-bench-"))
    try:
        setup_django(data_dir)
        from django.db import connections
        from django.test import Client

        from milepost.accounts.services import api_token_create

        t = time.perf_counter()
        migrate()
        console.print(f"Migrated a fresh SQLite database in {time.perf_counter() - t:.1f} s")
        with console.status(f"Loading {args.milestones:,} milestones…"):
            user, stats = load_dataset(
                milestones=args.milestones, contracts=args.contracts, seed=args.seed
            )
        if args.analyze:
            analyze()
        print_environment(stats, data_dir)
        _, raw = api_token_create(user=user, name="bench", read_only=True)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="localhost")
        results = []
        lists: list[tuple[str, list[Step], float | None]] = []
        for name, steps, target in scenarios(client, user, args):
            if name.startswith("list"):
                lists.append((name, steps, target))
            with console.status(f"Measuring {name}…"):
                results.append(
                    measure(
                        client,
                        name,
                        steps,
                        requests=args.requests,
                        warmup=args.warmup,
                        target=target,
                    )
                )
        report(results, args.requests)
        if args.http:
            timed = []
            with console.status("Timing the lists over HTTP…"), serving(data_dir) as address:
                for name, steps, target in lists:
                    got = measure_http(
                        address, raw, name, steps, requests=args.requests, warmup=args.warmup
                    )
                    timed.append((got, target))
            report_http(timed, args.requests)
        connections.close_all()
    finally:
        if args.keep:
            console.print(f"Kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
