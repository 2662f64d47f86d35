"""Benchmark the web pages DESIGN.md sets targets for: the dashboard and the contract timeline.

Run by ``make bench`` after the API benchmark, or alone:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/web_bench.py

It loads the same portfolio as ``api_bench.py`` (100,000 milestones over 2,000 contracts) into a
throwaway SQLite database, gives its payment milestones real terms (some invoiced and paid) so
the dashboard's money sections have rows to add up, and grows one contract to 5,000 milestones
with dependencies for the timeline. Each page is requested through the whole Django stack
in-process, signed in; the figure is the server time, median (and p95) over the requests.
Beside it: the first (cold) request, the SQL queries per request, the page size and, for the
timeline, the size of its SVG and how many lanes it draws (the browser's paint time follows
the SVG's size; the Chromium flows in tests/browser measure nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from api_bench import console, migrate, setup_django
from milestone_data import load_dataset
from rich.table import Table

DASHBOARD_TARGET_MS = 100.0  # DESIGN.md: portfolio dashboard at 100k milestones
TIMELINE_TARGET_MS = 300.0  # DESIGN.md: contract timeline at 5,000 milestones


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=2_000)
    parser.add_argument("--timeline", type=int, default=5_000, help="milestones on one contract")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def add_payment_terms(seed: int) -> int:
    """Give every payment milestone terms between its contract's client and supplier."""
    from django.db import transaction

    from milepost.contracts.models import Party
    from milepost.payments.models import PaymentTerms
    from milepost.schedule.models import Milestone

    rng = random.Random(seed)
    parties: dict[int, dict[str, int]] = {}
    for contract_id, role, pk in Party.objects.values_list("contract_id", "role", "id"):
        parties.setdefault(contract_id, {})[role] = pk
    triggers = dict(
        Milestone.objects.exclude(kind="payment")
        .order_by("contract_id", "due_date")
        .values_list("contract_id", "id")
    )
    terms = []
    for m in Milestone.objects.filter(kind="payment").values(
        "id", "contract_id", "status", "due_date"
    ):
        roles = parties[m["contract_id"]]
        trigger = triggers.get(m["contract_id"])
        if trigger is None:
            continue
        amount = Decimal(rng.randint(5, 500) * 1000)
        paid = m["status"] in ("met", "partially_met")
        terms.append(
            PaymentTerms(
                milestone_id=m["id"],
                basis="amount",
                amount=amount,
                percentage=Decimal(0),
                payer_id=roles["client"],
                payee_id=roles["supplier"],
                trigger_id=trigger,
                invoiced_on=m["due_date"] if paid else None,
                invoiced_amount=amount if paid else None,
                paid_on=m["due_date"] + dt.timedelta(days=rng.randint(0, 30)) if paid else None,
                paid_amount=amount if paid else Decimal(0),
            )
        )
    with transaction.atomic():
        PaymentTerms.objects.bulk_create(terms, batch_size=2000)
    return len(terms)


def grow_contract(user: Any, size: int, seed: int) -> Any:
    """Grow one of the user's contracts to ``size`` milestones, a third of them linked in chains."""
    from django.db import transaction

    from milepost.contracts.selectors import contracts_for_user
    from milepost.schedule.models import Dependency, Milestone

    rng = random.Random(seed)
    contract = contracts_for_user(user=user).order_by("id").first()
    template = Milestone.objects.filter(contract=contract, kind="deliverable").first()
    assert contract is not None and template is not None
    existing = contract.milestones.count()
    made = []
    for n in range(max(0, size - existing)):
        due = contract.start_date + dt.timedelta(days=rng.randint(0, 540))
        made.append(
            Milestone(
                contract=contract,
                kind=rng.choice(["deliverable"] * 6 + ["payment", "gate", "performance"]),
                title=f"Work package {n + 1}",
                owner_id=template.owner_id,
                responsible_party_id=template.responsible_party_id,
                accepting_party_id=template.accepting_party_id,
                criticality=rng.choice(["standard", "standard", "critical"]),
                baseline_due_date=due - dt.timedelta(days=rng.choice([0, 0, 0, 7, 14])),
                due_date=due,
                status="scheduled",
            )
        )
    with transaction.atomic():
        created = Milestone.objects.bulk_create(made, batch_size=2000)
        created.sort(key=lambda m: m.due_date)
        links = [
            Dependency(predecessor=a, successor=b)
            for a, b in itertools.pairwise(created)
            if rng.random() < 0.33 and a.due_date < b.due_date
        ]
        Dependency.objects.bulk_create(links, batch_size=2000)
    return contract


def time_page(client: Any, url: str, requests: int) -> dict[str, Any]:
    """Time ``requests`` requests of ``url`` after one cold and one untimed warm one.

    Return the milliseconds of each (and the process's CPU milliseconds in each: the server
    and SQLite run in this process, so on a machine others share the CPU time says what the
    page costs when the wall time also counts the waits for a core), the cold one's, the
    status, the size, the SQL queries of one request, and the SVG timeline's size and lanes if
    the page has one.
    """
    from django.db import connection

    started = time.perf_counter()
    client.get(url)
    cold = (time.perf_counter() - started) * 1000
    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    # A wrapper, not CaptureQueriesContext: the request closes the connection and its log.
    with connection.execute_wrapper(count):
        response = client.get(url)
    times, cpu = [], []
    for _ in range(requests):
        started, used = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    body = response.content.decode()
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="tl".*?</svg>', body, re.S)
    return {
        "times": times,
        "cpu": cpu,
        "cold": cold,
        "status": response.status_code,
        "size": len(response.content),
        "queries": len(queries),
        "svg": len(svg.group(0).encode()) if svg else None,
        "lanes": svg.group(0).count('<a href="') if svg else None,
    }


def tally_upkeep(seed: int, writes: int = 400) -> None:
    """Print what the dashboard's precomputed figures cost: a recount, and a milestone write
    with and without the triggers that keep them.

    The dashboard counts from ``ContractTally`` and ``ContractCashMonth`` rows the database
    keeps as milestones and payments change; this checks that they match a recount after the
    load, times the recount
    (``milepost dashboard_tallies``), and times single-row status changes (the write a status
    update makes) with the triggers and with them dropped, put back after.
    """
    from django.db import connection, transaction

    from milepost.reporting.cash_months import (
        TRIGGERS,
        _name,
        cash_months_install,
        cash_months_rebuild,
        cash_months_recount,
        cash_months_stored,
    )
    from milepost.schedule.models import Milestone
    from milepost.schedule.tallies import (
        SQLITE_TRIGGERS,
        tallies_install,
        tallies_rebuild,
        tallies_recount,
        tallies_stored,
    )

    matches = (
        tallies_stored() == tallies_recount() and cash_months_stored() == cash_months_recount()
    )
    started = time.perf_counter()
    tallies_rebuild()
    cash_months_rebuild()
    recount = time.perf_counter() - started
    rng = random.Random(seed)
    ids = list(Milestone.objects.filter(status="scheduled").values_list("id", flat=True)[:5000])
    picked = rng.sample(ids, min(writes, len(ids)))

    def timed_writes() -> float:
        times = []
        for pk in picked:
            started = time.perf_counter()
            with transaction.atomic():
                Milestone.objects.filter(pk=pk).update(status="in_progress")
            times.append((time.perf_counter() - started) * 1000)
            Milestone.objects.filter(pk=pk).update(status="scheduled")
        return statistics.median(times)

    with_triggers = timed_writes()
    with connection.cursor() as cursor:
        for name in [*SQLITE_TRIGGERS, *(_name(table, event) for table, event in TRIGGERS)]:
            cursor.execute(f"DROP TRIGGER {name}")
    without = timed_writes()
    tallies_install()
    cash_months_install()
    console.print(
        f"The dashboard's precomputed figures (contract tallies, cash months): "
        f"{'match' if matches else '[red]do NOT match[/]'} a recount after the "
        f"load; recounting them all takes {recount * 1000:.0f} ms. A milestone status change: "
        f"{with_triggers:.2f} ms with the triggers that keep the dashboard's figures, "
        f"{without:.2f} ms without "
        f"(median of {len(picked)} single-row writes, each its own transaction)."
    )


CHROMIUM = Path("/usr/bin/chromium")
PAINTED = (
    "() => new Promise(done => requestAnimationFrame(() =>"
    " requestAnimationFrame(() => done(performance.now()))))"
)


def feed_times(user: Any, runs: int) -> None:
    """Time the user's personal calendar feed, alternating a fetch that writes every event
    afresh (the kept texts emptied first) with a fetch again that finds them kept."""
    from django.test import Client
    from django.urls import reverse

    from milepost.alerts.feeds import event_texts, feed_token_get_or_create

    token = feed_token_get_or_create(user=user, actor=user)
    url = reverse("feed-ics", args=[token.token])
    client = Client(HTTP_HOST="localhost")
    client.get(url)  # the process's first request of it (imports, holiday tables)
    afresh, again = [], []
    for _ in range(runs):
        event_texts.clear()
        for times in (afresh, again):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
    events = response.content.count(b"BEGIN:VEVENT")
    console.print(
        f"Calendar feed of {user.username} ({events:,} events, "
        f"{len(response.content) / 1024:,.0f} KB), median over {runs} of each, alternated: "
        f"every event written afresh {statistics.median(afresh):,.0f} ms; fetched again, the "
        f"events kept {statistics.median(again):,.0f} ms "
        f"({statistics.median(afresh) / statistics.median(again):.1f}x faster)"
    )


def paint_times(client: Any, url: str, runs: int) -> list[float] | str:
    """Milliseconds from navigation start until Chromium has painted the loaded page.

    The page and its static files are fetched through Django first and handed to the browser
    from memory, so the figure is the browser's own work (parse, style, layout, paint), not
    the server's. Returns why it did not run when Chromium or Playwright is missing.
    """
    if not CHROMIUM.exists():
        return f"skipped: no {CHROMIUM}"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: Playwright is not installed"
    import mimetypes

    from django.conf import settings
    from django.contrib.staticfiles import finders

    body = client.get(url).content
    files = {url: ("text/html; charset=utf-8", body)}
    prefix = settings.STATIC_URL
    for found in re.findall(rb'(?:href|src)="(' + prefix.encode() + rb'[^"]+)"', body):
        path = found.decode()
        where = finders.find(path.removeprefix(prefix))
        if where is None:
            return f"skipped: {path} is not among the static files"
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        files[path] = (kind, Path(str(where)).read_bytes())
    origin = "http://milepost.bench"
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            for _ in range(runs):
                page = browser.new_page()

                def serve(route: Any) -> None:
                    path = route.request.url.removeprefix(origin)
                    found = files.get(path)
                    if found is None:
                        route.fulfill(status=404, body="")
                    else:
                        route.fulfill(status=200, content_type=found[0], body=found[1])

                page.route("**/*", serve)
                page.goto(origin + url, wait_until="load")
                times.append(float(page.evaluate(PAINTED)))
                page.close()
        finally:
            browser.close()
    return times


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-webbench-"))
    try:
        setup_django(data_dir)
        from django.db import connections
        from django.test import Client
        from django.urls import reverse

        migrate()
        started = time.perf_counter()
        user, _ = load_dataset(milestones=args.milestones, contracts=args.contracts, seed=args.seed)
        contract = grow_contract(user, args.timeline, args.seed)
        terms = add_payment_terms(args.seed)
        console.print(
            f"Loaded {args.milestones:,} milestones over {args.contracts:,} contracts "
            f"({terms:,} with payment terms) and grew {contract.reference} to "
            f"{contract.milestones.count():,} milestones in {time.perf_counter() - started:.1f} s"
        )
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        contract_url = reverse("reporting:contract-detail", args=[contract.pk])
        size = contract.milestones.count()
        pages = [
            ("dashboard", reverse("reporting:dashboard"), DASHBOARD_TARGET_MS),
            (
                f"contract page with timeline ({size:,} milestones)",
                contract_url,
                TIMELINE_TARGET_MS,
            ),
            ("  the same, last page of lanes", f"{contract_url}?lanes=999", TIMELINE_TARGET_MS),
            ("  the same, year zoom", f"{contract_url}?zoom=year", TIMELINE_TARGET_MS),
            (
                "milestone list, by health",
                reverse("reporting:milestone-list") + "?order=health",
                None,
            ),
        ]
        table = Table(
            title=f"Server time, ms over {args.requests} requests each (CPU: the median "
            "request's CPU time in this process)"
        )
        columns = (
            "page", "median", "p95", "CPU", "cold", "SQL", "status", "size", "SVG", "lanes"
        )  # fmt: skip
        for column in (*columns, "DESIGN target"):
            table.add_column(column, justify="left" if column == "page" else "right")
        for name, url, target in pages:
            got = time_page(client, url, args.requests)
            median = statistics.median(got["times"])
            p95 = sorted(got["times"])[max(0, round(0.95 * len(got["times"])) - 1)]
            verdict = (
                ""
                if target is None
                else (f"{'[green]✓' if median <= target else '[red]✗'} ≤ {target:.0f} ms[/]")
            )
            table.add_row(
                name, f"{median:.1f}", f"{p95:.1f}", f"{statistics.median(got['cpu']):.1f}",
                f"{got['cold']:.1f}", str(got["queries"]),
                str(got["status"]), f"{got['size'] / 1024:.0f} KB",
                "" if got["svg"] is None else f"{got['svg'] / 1024:.0f} KB",
                "" if got["lanes"] is None else f"{got['lanes']:,}",
                verdict,
            )  # fmt: skip
        console.print(table)
        feed_times(user, runs=7)
        tally_upkeep(args.seed)
        painted = paint_times(client, contract_url, runs=7)
        if isinstance(painted, str):
            console.print(f"Chromium paint of the contract page: {painted}")
        else:
            console.print(
                f"Chromium paint of the contract page ({size:,} milestones): median "
                f"{statistics.median(painted):.0f} ms, slowest {max(painted):.0f} ms over "
                f"{len(painted)} loads (DESIGN target ≤ 1000 ms)"
            )
        connections.close_all()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
