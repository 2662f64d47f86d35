"""Benchmark the alerts worker's reminder scan and idle tick on a throwaway PostgreSQL cluster.

Run ``make bench`` (1,000,000 milestones, 10,000 of them with a reminder due), or quicker:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/worker_bench.py \
        --milestones 100000

The cluster is made with the machine's PostgreSQL binaries (as the test suite does), listens on
127.0.0.1 and is deleted afterwards. It runs with fsync off, like the test cluster, which
flatters writes a little. Milestones and their reminder plans are loaded with set-based SQL; a
sample of plans is checked against the engine's own computation before anything is timed.

What is timed, side by side in one run:
- a scan that turns 1,000 and then 10,000 due plans into notifications (repeated, medians), to
  show that its cost follows the work due, not the 1,000,000 milestones;
- an idle tick (events, reminders and deliveries with nothing due), the worker's steady state.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

SCAN_TARGET_S = 2.0  # DESIGN.md, "Performance envelope": 1M milestones, 10k due
IDLE_TARGET_MS = 5.0  # DESIGN.md: an idle tick

console = Console(width=None if sys.stdout.isatty() else 150)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=1_000_000, help="rows to load")
    parser.add_argument("--due", type=int, default=10_000, help="of which a reminder is due now")
    parser.add_argument("--contracts", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed scans of each size")
    parser.add_argument("--ticks", type=int, default=300, help="timed idle ticks")
    return parser.parse_args(argv)


def start_postgres() -> None:
    """Start a throwaway cluster and point Django at it."""
    from milepost.testing import pgcluster

    url, data, user, bindir = pgcluster.start_cluster()
    pgcluster._cluster.update(data=data, user=user, bindir=bindir)
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE milepost")
    os.environ["DATABASE_URL"] = url
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-worker-bench-"))
    os.environ["MILEPOST_DATA_DIR"] = str(data_dir)
    os.environ["MILEPOST_DEBUG"] = "0"
    (data_dir / "static").mkdir()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def load(milestones: int, due: int, contracts: int, today: dt.date) -> None:
    """Load people, contracts, milestones and their plans.

    ``due`` milestones fall 7 days from today, so the default rule's reminder is due today;
    the rest fall 16 to 730 days out, so their next reminder is a later day.
    """
    from django.db import connection

    from milepost.accounts.models import Membership, Organisation, User
    from milepost.contracts.models import Contract, Party

    client = Organisation.objects.create(name="Client", slug="client")
    supplier = Organisation.objects.create(name="Supplier", slug="supplier")
    owners = [
        User.objects.create(username=f"owner{i}", email=f"owner{i}@example.test") for i in range(20)
    ]
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=supplier, role="member") for u in owners]
    )
    Contract.objects.bulk_create(
        [
            Contract(
                owner=client,
                reference=f"C-{i:05d}",
                title=f"Contract {i}",
                value=1_000_000,
                currency="GBP",
                start_date=today - dt.timedelta(days=400),
                end_date=today + dt.timedelta(days=800),
                status="active",
            )
            for i in range(contracts)
        ],
        batch_size=1000,
    )
    contract_ids = list(Contract.objects.order_by("pk").values_list("pk", flat=True))
    Party.objects.bulk_create(
        [
            Party(contract_id=c, organisation=o, role=r)
            for c in contract_ids
            for o, r in ((client, "client"), (supplier, "supplier"))
        ],
        batch_size=2000,
    )
    first_contract = contract_ids[0]
    first_party = Party.objects.filter(role="supplier").order_by("pk").first()
    assert first_party is not None
    first_owner = owners[0].pk
    with connection.cursor() as cur:
        # Supplier parties were created in contract order, one per contract.
        cur.execute(
            """
            INSERT INTO schedule_milestone (
                contract_id, kind, title, description, owner_id, responsible_party_id,
                accepting_party_id, criticality, acceptance_criteria, baseline_due_date,
                due_date, forecast_date, risk_note, progress, status, met_on,
                created_at, updated_at)
            SELECT %(c0)s + (g %% %(contracts)s), 'deliverable', 'Milestone ' || g, '',
                   %(o0)s + (g %% 20), %(p0)s + 2 * (g %% %(contracts)s), NULL, 'standard',
                   'Accepted by the engineer.', d, d, NULL, '', 0, 'scheduled', NULL, now(), now()
            FROM (
                SELECT g, CASE WHEN g <= %(due)s THEN %(today)s::date + 7
                               ELSE %(today)s::date + 16 + (g %% 715) END AS d
                FROM generate_series(1, %(n)s) AS g
            ) AS s
            """,
            {
                "c0": first_contract,
                "contracts": contracts,
                "o0": first_owner,
                "p0": first_party.pk,
                "due": due,
                "today": today,
                "n": milestones,
            },
        )
        # The default rule (14, 7, 1 and 0 days before) and nothing done before today.
        cur.execute(
            """
            INSERT INTO alerts_reminderplan (milestone_id, due_date, done_through, next_on, next_at)
            SELECT id, due_date, %(yesterday)s, n, (n::timestamp AT TIME ZONE 'UTC') - interval '14 hours'
            FROM (
                SELECT id, due_date, CASE
                    WHEN due_date - 14 > %(yesterday)s THEN due_date - 14
                    WHEN due_date - 7 > %(yesterday)s THEN due_date - 7
                    WHEN due_date - 1 > %(yesterday)s THEN due_date - 1
                    ELSE due_date END AS n
                FROM schedule_milestone
            ) AS s
            """,
            {"yesterday": today - dt.timedelta(days=1)},
        )
        cur.execute("VACUUM ANALYZE")


def check_plans(sample: int = 200) -> None:
    """The SQL-loaded plans must say what the engine would have computed."""
    from milepost.alerts.models import ReminderPlan
    from milepost.alerts.plans import plan_values, rules_for

    plans = list(ReminderPlan.objects.select_related("milestone__contract").order_by("?")[:sample])
    rules = rules_for([p.milestone for p in plans])
    for plan in plans:
        expected = plan_values(plan.milestone, rules[plan.pk], plan.done_through)
        assert (plan.next_on, plan.next_at) == expected, (plan.pk, plan.next_on, expected)


def reset(today: dt.date, due: int) -> None:
    """Put ``due`` plans back to "due now" and drop what earlier scans queued."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE alerts_notification")
        cur.execute(
            """
            UPDATE alerts_reminderplan
               SET done_through = %(yesterday)s, next_on = %(today)s,
                   next_at = (%(today)s::timestamp AT TIME ZONE 'UTC') - interval '14 hours'
             WHERE milestone_id IN (
                SELECT milestone_id FROM alerts_reminderplan
                 WHERE due_date = %(today)s::date + 7 ORDER BY milestone_id LIMIT %(due)s)
            """,
            {"today": today, "yesterday": today - dt.timedelta(days=1), "due": due},
        )
        cur.execute("ANALYZE alerts_reminderplan")


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def scan_all(now: dt.datetime) -> int:
    from milepost.alerts.engine import reminders_scan

    total = 0
    while done := reminders_scan(now=now):
        total += done
    return total


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from milepost.testing import pgcluster

    started = time.perf_counter()
    try:
        start_postgres()
        import django
        from django.db import connection
        from django.utils import timezone

        from milepost.alerts.engine import tick
        from milepost.alerts.models import Notification

        now = timezone.now()
        today = now.date()
        with console.status(f"Loading {args.milestones:,} milestones and their plans…"):
            load(args.milestones, args.due, args.contracts, today)
            check_plans()
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]  # type: ignore[index]
        console.print(
            f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL "
            f"{version}, {os.cpu_count()} CPUs. Loaded {args.milestones:,} milestones and plans "
            f"in {time.perf_counter() - started:.0f} s; 200 sampled plans match the engine."
        )
        # One untimed scan first: the first message a process builds loads the URL patterns.
        reset(today, 10)
        scan_all(now)
        sizes = sorted({max(args.due // 10, 1), args.due})
        scans: dict[int, list[float]] = {n: [] for n in sizes}
        queued: dict[int, int] = {}
        with console.status("Timing scans…"):
            for _ in range(args.repeat):
                # Alternate the sizes so both see the same machine noise.
                for n in sizes:
                    reset(today, n)
                    scans[n].append(timed(lambda: scan_all(now)))
                    queued[n] = Notification.objects.count()
        # Steady state: nothing due, nothing to deliver, and the dead rows the scans left behind
        # vacuumed, as autovacuum does in a running system.
        Notification.objects.update(status="sent")
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE alerts_notification")
            cur.execute("VACUUM ANALYZE alerts_reminderplan")
        for _ in range(20):
            tick(now=now)
        idle = [timed(lambda: tick(now=now)) * 1000 for _ in range(args.ticks)]
        with connection.cursor() as cur:
            cur.execute(
                "EXPLAIN SELECT * FROM alerts_reminderplan WHERE next_at <= %s "
                "ORDER BY next_at LIMIT 2000 FOR UPDATE SKIP LOCKED",
                [now],
            )
            plan = "\n".join(r[0] for r in cur.fetchall())

        table = Table(title=f"Alerts worker, {args.milestones:,} milestones (PostgreSQL)")
        for column in ("work", "median", "min", "max", "target", "verdict"):
            table.add_column(column)
        for n in sizes:
            med = statistics.median(scans[n])
            target = f"≤ {SCAN_TARGET_S:.1f} s" if n == args.due else ""
            verdict = ("met" if med <= SCAN_TARGET_S else "MISSED") if target else ""
            table.add_row(
                f"scan, {n:,} plans due → {queued[n]:,} notifications",
                f"{med:.2f} s",
                f"{min(scans[n]):.2f} s",
                f"{max(scans[n]):.2f} s",
                target,
                verdict,
            )
        med_idle = statistics.median(idle)
        p95_idle = statistics.quantiles(idle, n=20)[-1]
        table.add_row(
            f"idle tick ({args.ticks} ticks; p95 {p95_idle:.2f} ms)",
            f"{med_idle:.2f} ms",
            f"{min(idle):.2f} ms",
            f"{max(idle):.2f} ms",
            f"≤ {IDLE_TARGET_MS:.0f} ms",
            "met" if med_idle <= IDLE_TARGET_MS else "MISSED",
        )
        console.print(table)
        if len(sizes) == 2:
            small, big = sizes
            ratio = statistics.median(scans[big]) / statistics.median(scans[small])
            console.print(
                f"Scan time for {big:,} due ÷ {small:,} due: {ratio:.1f}x for {big // small}x "
                "the work, at the same 1,000,000-row table: cost follows the work due."
                if args.milestones == 1_000_000
                else f"Scan time for {big:,} due ÷ {small:,} due: {ratio:.1f}x for "
                f"{big // small}x the work."
            )
        console.print(f"The scan's plan query:\n{plan}")
    finally:
        with contextlib.suppress(Exception):  # Django may not have started
            from django.db import connections

            connections.close_all()
        pgcluster.stop_cluster()
    return 0


if __name__ == "__main__":
    sys.exit(main())
