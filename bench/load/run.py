"""Load-test Milepost over real HTTP: locust's mix against `milepost serve` with 1, 2 and 4 workers.

Run ``make load`` (PostgreSQL with 1,000,000 milestones, then SQLite with 100,000), or smaller:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/load/run.py \
        --database postgres --milestones 20000 --duration 20 --workers 1,2

For each database it builds a throwaway installation (PostgreSQL: a cluster from the machine's
binaries on 127.0.0.1, fsync off, as the test suite and ``bench/worker_bench.py`` do; SQLite: a
temporary data directory), loads the portfolio with the benchmarks' bulk loader
(``bench/load/world.py``), then for each number of gunicorn workers: writes the fixture
(sessions, tokens, feeds, and the gates and periods still open), starts ``milepost serve
--workers N`` (4 threads each; on PostgreSQL each process pools 4 connections, as production
settings do), runs locust headless for a warm-up and then for the measured run
(``bench/load/locustfile.py``), and stops the server. On PostgreSQL it then starts a streaming
standby (``pg_basebackup -R``, ``milepost.testing.pgcluster.start_standby``) and runs each
worker count again with ``DATABASE_REPLICA_URL`` naming it, so the heavy reads go to the
replica.

It prints, per run and per request kind, requests a second, p50/p95/p99 and the failures (which
must be 0), and what used the machine's cores while it ran: the web workers, the PostgreSQL
primary and replica, locust itself and everything else on the machine (the cores are shared;
read the ratios). The people do not pause for long between requests (``--think``), so each run
keeps the server busy: requests a second is what it can take, and p50/p95 include the wait in
its queue.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil  # locust's own dependency
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
console = Console(width=None if sys.stdout.isatty() else 160)

# The kinds of request, in the order the tables list them.
KINDS = [
    "dashboard",
    "milestone list, filtered",
    "contract page with timeline",
    "milestone page",
    "post a status update",
    "record a measurement",
    "approve a gate",
    "calendar feed",
    "API milestone list page",
]


@dataclass
class Run:
    """One measured run: a database, a number of workers, with or without the replica."""

    database: str
    milestones: int
    workers: int
    replica: bool
    users: int
    seconds: int
    rows: dict[str, dict[str, float]] = field(default_factory=dict)
    cores: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        where = (
            "PostgreSQL + replica"
            if self.replica
            else ("PostgreSQL" if self.database == "postgres" else "SQLite")
        )
        workers = f"{self.workers} worker{'s' if self.workers > 1 else ''}"
        return f"{where}, {self.milestones:,} milestones, {workers}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument(
        "--milestones",
        type=int,
        default=None,
        help="rows to load (default 1,000,000 on PostgreSQL, 100,000 on SQLite)",
    )
    parser.add_argument(
        "--contracts",
        type=int,
        default=None,
        help="contracts (default one per 50 milestones, at most 10,000)",
    )
    parser.add_argument(
        "--workers", default="1,2,4", help="gunicorn worker counts, comma-separated"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--replica",
        choices=["auto", "off", "only"],
        default="auto",
        help="PostgreSQL: also (auto), never (off) or only (only) with a replica",
    )
    parser.add_argument("--users", type=int, default=16, help="simulated people at once")
    parser.add_argument("--duration", type=int, default=60, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=10, help="seconds run first, not measured")
    parser.add_argument("--think", default="0,0.2", help="pause between requests, min,max seconds")
    parser.add_argument(
        "--start-at",
        help="HH:MM (UTC): load now, but start the measured runs no earlier than this",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


# --- The installation -------------------------------------------------------------------------


def start_database(kind: str, data_dir: Path) -> str | None:
    """Point Django at a new, empty database of ``kind``; return the PostgreSQL URL, if any."""
    os.environ["MILEPOST_DATA_DIR"] = str(data_dir)
    os.environ["MILEPOST_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.pop("DATABASE_REPLICA_URL", None)
    (data_dir / "static").mkdir(parents=True, exist_ok=True)
    url = None
    if kind == "postgres":
        import psycopg

        from milepost.testing import pgcluster

        url, data, user, bindir = pgcluster.start_cluster()
        pgcluster._cluster.update(data=data, user=user, bindir=bindir)
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE milepost")
        os.environ["DATABASE_URL"] = url
    elif os.environ.pop("DATABASE_URL", None):
        console.print("[yellow]DATABASE_URL is ignored: this run is on SQLite.[/]")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return url


def start_replica(primary_url: str) -> str | None:
    """Start a streaming standby of the primary; return its URL, or None when it can't be had."""
    from milepost.testing import pgcluster

    starter = getattr(pgcluster, "start_standby", None)
    if starter is None:
        console.print(
            "[yellow]No standby helper (pgcluster.start_standby): replica runs skipped.[/]"
        )
        return None
    port = int(primary_url.rsplit(":", 1)[1].split("/")[0])
    try:
        standby = starter(host="127.0.0.1", port=port)
    except Exception as exc:
        console.print(f"[yellow]The standby did not start ({exc}): replica runs skipped.[/]")
        return None
    STANDBYS.append(standby)
    return f"postgres://milepost@127.0.0.1:{standby.port}/milepost"


STANDBYS: list[object] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(
    workers: int, threads: int, log: Path, replica_url: str | None
) -> Iterator[tuple[str, int]]:
    """Run ``milepost serve --workers N`` until the block ends; yield its address and pid."""
    port = _free_port()
    env = dict(os.environ)
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    if env.get("DATABASE_URL"):
        # Each process pools as many connections as it has threads, as production settings do.
        env.setdefault("MILEPOST_DB_POOL_MAX", str(threads))
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "milepost.cli",
                "serve",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        address = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{address}/login/", timeout=5) as answer:  # noqa: S310
                        if answer.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the server did not start; see {log}") from None
                    time.sleep(0.5)
            yield address, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- Measuring -------------------------------------------------------------------------------


def _cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds each process has used so far (those that have ended are left out)."""
    spent: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            spent[pid] = t.user + t.system
    return spent


def _spent(before: dict[int, float], pids: set[int]) -> float:
    """CPU seconds used since ``before`` by ``pids``; a process that started since counts whole."""
    return sum(v - before.get(pid, 0.0) for pid, v in _cpu(pids | set(before)).items())


def _listening(port: int) -> int | None:
    """The process listening on ``port`` on loopback (a gunicorn master, a postmaster)."""
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return int(conn.pid)
    return None


def _tree(pid: int | None) -> set[int]:
    if pid is None:
        return set()
    with contextlib.suppress(psutil.Error):
        return {pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))}
    return set()


def _database_pids(url: str | None) -> set[int]:
    """The PostgreSQL server at ``url`` (this run's primary or standby) and its backends."""
    if not url:
        return set()
    return _tree(_listening(int(url.rsplit(":", 1)[1].split("/")[0])))


REPLICA_URL: list[str] = []  # the standby's URL, once started


def locust(
    address: str,
    server_pid: int,
    args: argparse.Namespace,
    fixture: Path,
    seconds: int,
    csv_prefix: Path | None,
    work: Path,
) -> dict[str, float]:
    """Run locust headless for ``seconds``; return the cores each part used meanwhile."""
    low, high = args.think.split(",")
    env = dict(
        os.environ,
        MILEPOST_LOAD_FIXTURE=str(fixture),
        MILEPOST_LOAD_THINK_MIN=low,
        MILEPOST_LOAD_THINK_MAX=high,
    )
    argv = [
        shutil.which("locust") or str(Path(sys.executable).parent / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "-H",
        address,
        "-u",
        str(args.users),
        "-r",
        str(args.users),
        "-t",
        f"{seconds}s",
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    if csv_prefix is not None:
        argv += ["--csv", str(csv_prefix)]
    # The gunicorn master runs in the serve command's own process; its workers are its children.
    web = _tree(server_pid)
    servers = {"primary": os.environ.get("DATABASE_URL"), "replica": next(iter(REPLICA_URL), None)}
    pids = {name: _database_pids(url) for name, url in servers.items()}
    before = {name: _cpu(p) for name, p in pids.items()}
    web_before = _cpu(web)
    busy_before = psutil.cpu_times()
    started = time.monotonic()
    log = work / "locust.err"
    with log.open("w") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # The backends PostgreSQL forks for new connections during the run count too.
        time.sleep(min(3.0, seconds / 3))
        for name, url in servers.items():
            pids[name] |= _database_pids(url)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    busy_after = psutil.cpu_times()
    cores = {
        "web": max(0.0, _spent(web_before, web) / wall),
        **{
            name: max(0.0, _spent(before[name], pids[name] | _database_pids(servers[name])) / wall)
            for name in servers
        },
        "locust": (usage.ru_utime + usage.ru_stime) / wall,
    }
    idle = busy_after.idle - busy_before.idle
    idle += getattr(busy_after, "iowait", 0.0) - getattr(busy_before, "iowait", 0.0)
    cores["machine"] = max(0.0, (sum(busy_after) - sum(busy_before) - idle) / wall)
    cores["available"] = float(psutil.cpu_count() or 1)
    ours = cores["web"] + cores["primary"] + cores["replica"] + cores["locust"]
    cores["other"] = max(0.0, cores["machine"] - ours)
    if proc.returncode not in (0, 1):  # 1: some requests failed, which the figures show
        raise RuntimeError(f"locust failed:\n{log.read_text()[-3000:]}")
    return cores


def read_stats(prefix: Path) -> dict[str, dict[str, float]]:
    """Per request kind (and in all): requests, failures, req/s, p50/p95/p99 in ms."""
    rows: dict[str, dict[str, float]] = {}
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            if not row["Request Count"] or row["Request Count"] == "0":
                continue
            name = "all" if row["Name"] == "Aggregated" else row["Name"]
            rows[name] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    return rows


def last_traceback(log: Path) -> str:
    """The server's last logged error, to say why a request failed."""
    text = log.read_text(errors="replace")
    at = text.rfind("Traceback (most recent call last)")
    if at < 0:
        return "(the server logged no traceback)"
    return "The server's last error:\n" + "\n".join(text[at:].splitlines()[:60])


def failures(prefix: Path) -> list[str]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [f"{r['Occurrences']} times {r['Name']}: {r['Error']}" for r in csv.DictReader(f)]


# --- Printing --------------------------------------------------------------------------------


def print_run(run: Run, errors: list[str]) -> None:
    table = Table(title=f"{run.label}: {run.users} people for {run.seconds} s")
    for column in ("request", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failures"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for name in [*KINDS, *sorted(set(run.rows) - {*KINDS, "all"}), "all"]:
        row = run.rows.get(name)
        if row is None:
            continue
        table.add_row(
            "all requests" if name == "all" else name,
            f"{row['requests']:,.0f}",
            f"{row['rps']:.1f}",
            f"{row['p50']:,.0f}",
            f"{row['p95']:,.0f}",
            f"{row['p99']:,.0f}",
            f"{row['failures']:,.0f}" if row["failures"] else "0",
        )
    console.print(table)
    c = run.cores
    database = (
        f" PostgreSQL primary {c['primary']:.2f}, replica {c['replica']:.2f},"
        if run.database == "postgres"
        else ""
    )
    console.print(
        f"Cores used (of {c['available']:.0f}): web {c['web']:.2f},{database}"
        f" locust {c['locust']:.2f}, everything else on the machine {c['other']:.2f};"
        f" busy {c['machine']:.2f}."
    )
    if c["machine"] >= 0.9 * c["available"]:
        console.print(
            f"All {c['available']:.0f} cores were busy: this run found the machine's limit,"
            " not the code's."
        )
    for line in errors[:10]:
        console.print(f"[red]{line}[/]")


def _cpu_per_request(run: Run) -> str:
    """CPU time one request cost the web processes and the database servers, on average.

    What a larger machine can take follows from it: cores ÷ CPU a request = requests a second.
    """
    rps = run.rows.get("all", {}).get("rps", 0)
    if not rps:
        return ""
    c = run.cores
    database = c.get("primary", 0) + c.get("replica", 0)
    return f"{c.get('web', 0) / rps * 1000:,.0f} / {database / rps * 1000:,.0f}"


def print_summary(runs: list[Run]) -> None:
    """One line per run, and the same as a Markdown table for the README."""
    if not runs:
        return
    table = Table(title="Load test: all requests")
    heads = (
        "run",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "failures",
        "cores: web / primary / replica / locust / other",
        "CPU ms a request: web / database",
    )
    for column in heads:
        table.add_column(column, justify="left" if column == "run" else "right")
    lines = [
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    for run in runs:
        a = run.rows.get("all", {})
        c = run.cores
        cells = (
            run.label,
            f"{a.get('rps', 0):.1f}",
            f"{a.get('p50', 0):,.0f}",
            f"{a.get('p95', 0):,.0f}",
            f"{a.get('p99', 0):,.0f}",
            f"{a.get('failures', 0):,.0f}",
            f"{c.get('web', 0):.2f} / {c.get('primary', 0):.2f} / {c.get('replica', 0):.2f}"
            f" / {c.get('locust', 0):.2f}"
            f" / {c.get('other', 0):.2f}",
            _cpu_per_request(run),
        )
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    console.print("\nAs Markdown, all requests:\n" + "\n".join(lines), markup=False)
    kinds = [k for k in KINDS if any(k in r.rows for r in runs)]
    per_kind = [
        "| request | " + " | ".join(r.label for r in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for kind in kinds:
        cells = []
        for run in runs:
            row = run.rows.get(kind)
            cells.append(
                f"{row['p50']:,.0f} / {row['p95']:,.0f} / {row['p99']:,.0f}" if row else ""
            )
        per_kind.append(f"| {kind} | " + " | ".join(cells) + " |")
    console.print(
        "\nAs Markdown, p50 / p95 / p99 ms per request:\n" + "\n".join(per_kind), markup=False
    )


# --- One database ----------------------------------------------------------------------------


def run_database(kind: str, args: argparse.Namespace) -> list[Run]:
    from milepost.testing import pgcluster

    milestones = args.milestones or (1_000_000 if kind == "postgres" else 100_000)
    contracts = args.contracts or min(10_000, max(10, milestones // 50))
    work = Path(tempfile.mkdtemp(prefix=f"milepost-load-{kind}-"))
    runs: list[Run] = []
    try:
        url = start_database(kind, work / "data")
        import django
        from django.db import connection, connections
        from world import build_fixture, load_world, refresh_pools

        started = time.perf_counter()
        with console.status(f"Loading {milestones:,} milestones over {contracts:,} contracts…"):
            counts = load_world(milestones=milestones, contracts=contracts, seed=args.seed)
        if url:
            with connection.cursor() as cur:
                cur.execute("SHOW server_version")
                database = f"PostgreSQL {cur.fetchone()[0]}"
        else:
            import sqlite3

            database = f"SQLite {sqlite3.sqlite_version}"
        console.print(
            f"Python {platform.python_version()}, Django {django.get_version()}, {database}, "
            f"{os.cpu_count()} CPUs (shared with whatever else runs). "
            f"Loaded in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
        )
        replica_url = None
        if kind == "postgres" and url and args.replica != "off":
            with console.status("Starting the streaming standby…"):
                replica_url = start_replica(url)
            if replica_url:
                REPLICA_URL.append(replica_url)
        with console.status("Signing the load's people in…"):
            people = build_fixture(seed=args.seed)
        wait_until(args.start_at)
        plans = [(w, False) for w in _workers(args)] if args.replica != "only" else []
        if replica_url:
            plans += [(w, True) for w in _workers(args)]
        for n, (workers, replica) in enumerate(plans):
            fixture = work / f"fixture-{n}.json"
            connections.close_all()
            with console.status("Handing out the gates and periods still open…"):
                pools = refresh_pools(people, seed=args.seed + n)
            fixture.write_text(json.dumps(people))
            connections.close_all()
            run = Run(kind, milestones, workers, replica, args.users, args.duration)
            with (
                console.status(f"{run.label}: warming up, then {args.duration} s measured…"),
                server(
                    workers,
                    args.threads,
                    work / f"server-{n}.log",
                    replica_url if replica else None,
                ) as (address, pid),
            ):
                if args.warmup:
                    # The warm-up reads and posts updates but leaves the gates and periods,
                    # each of which can be acted on once, to the measured run.
                    warm = json.loads(fixture.read_text())
                    for person in warm["people"].values():
                        person["gates"], person["periods"] = [], []
                    (work / "warmup.json").write_text(json.dumps(warm))
                    locust(address, pid, args, work / "warmup.json", args.warmup, None, work)
                prefix = work / f"run-{n}"
                run.cores = locust(address, pid, args, fixture, args.duration, prefix, work)
            run.rows = read_stats(prefix)
            print_run(run, failures(prefix))
            if run.rows.get("all", {}).get("failures"):
                console.print(last_traceback(work / f"server-{n}.log"), markup=False)
            console.print(
                f"(Pools at the start: {pools['gates']} gates, {pools['periods']} periods, "
                f"{pools['updatable']} milestones to update, for {pools['people']} people.)"
            )
            runs.append(run)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        for standby in STANDBYS:
            with contextlib.suppress(Exception):
                pgcluster.remove_standby(standby)  # type: ignore[arg-type]
        pgcluster.stop_cluster()
        shutil.rmtree(work, ignore_errors=True)
    return runs


def wait_until(hh_mm: str | None) -> None:
    """Sleep until ``hh_mm`` UTC today, if it is still ahead (a loaded machine can quieten)."""
    if not hh_mm:
        return
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    hour, minute = (int(x) for x in hh_mm.split(":"))
    start = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if start > now:
        with console.status(f"Loaded; waiting until {hh_mm} UTC to measure…"):
            time.sleep((start - now).total_seconds())


def _workers(args: argparse.Namespace) -> list[int]:
    return [int(w) for w in args.workers.split(",") if w.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.database == "both":
        # Each database in its own process: Django is set up once per process.
        runs: list[Run] = []
        failed = False
        for kind in ("postgres", "sqlite"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                rest = list(argv if argv is not None else sys.argv[1:])
                done = subprocess.run(
                    [sys.executable, __file__, *rest, "--database", kind, "--json", out.name],
                    cwd=ROOT,
                )
                failed = failed or done.returncode != 0
                runs += [Run(**r) for r in json.loads(Path(out.name).read_text() or "[]")]
        print_summary(runs)
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
        return 1 if failed else 0
    runs = run_database(args.database, args)
    print_summary(runs)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    bad = sum(int(r.rows.get("all", {}).get("failures", 0)) for r in runs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
