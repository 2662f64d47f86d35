"""Benchmark exporting the milestone list to XLSX and CSV, 10,000 and 100,000 rows.

Run (part of ``make bench``), or smaller for a quick check:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/export_bench.py \
        --milestones 20000 --contracts 400

Loads the portfolio of ``api_bench`` into a throwaway SQLite database, lets the benchmark user
see every contract, then drains the same generator the web page streams (query, rows, writer)
for the first 10,000 rows and for all of them. Each is timed once without tracing, then run
again under tracemalloc for its peak Python memory: the peak at 100,000 rows should be no
higher than at 10,000, since rows are fetched and written a chunk at a time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from api_bench import console, migrate, setup_django
from milestone_data import load_dataset
from rich.table import Table

TARGET_SECONDS = 5.0  # issue 16: 100,000 milestones exported in at most 5 s


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=100_000, help="rows to load")
    parser.add_argument("--contracts", type=int, default=2_000, help="contracts to spread them on")
    parser.add_argument("--small", type=int, default=10_000, help="rows of the small export")
    parser.add_argument("--seed", type=int, default=16)
    return parser.parse_args(argv)


def see_everything(user: object) -> None:
    """Make the benchmark user a member of every organisation, so every milestone is listed."""
    from milepost.accounts.models import Membership, Organisation

    mine = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    Membership.objects.bulk_create(
        Membership(user=user, organisation_id=pk)
        for pk in Organisation.objects.exclude(pk__in=mine).values_list("pk", flat=True)
    )


def milestone_rows(user: object):  # type: ignore[no-untyped-def]
    from milepost.interchange.exports.tables import milestone_list_table
    from milepost.reporting.selectors.milestones import MilestoneFilters

    return milestone_list_table(user=user, filters=MilestoneFilters()).rows  # type: ignore[arg-type]


def drain(user: object, fmt: str, limit: int | None) -> tuple[int, int]:
    """Write the export; return its rows and bytes."""
    from milepost.interchange.exports.tables import Table as Sheet
    from milepost.interchange.exports.tables import milestone_list_table
    from milepost.interchange.exports.writers import WRITERS
    from milepost.reporting.selectors.milestones import MilestoneFilters

    table = milestone_list_table(user=user, filters=MilestoneFilters())  # type: ignore[arg-type]
    counted = 0

    def rows():  # type: ignore[no-untyped-def]
        nonlocal counted
        for row in islice(table.rows, limit):
            counted += 1
            yield row

    writer, _ = WRITERS[fmt]
    size = sum(len(chunk) for chunk in writer(Sheet(table.title, "b", table.columns, rows())))
    return counted, size


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-exportbench-"))
    try:
        setup_django(data_dir)
        migrate()
        started = time.perf_counter()
        user, _ = load_dataset(milestones=args.milestones, contracts=args.contracts, seed=args.seed)
        see_everything(user)
        console.print(
            f"Loaded {args.milestones:,} milestones over {args.contracts:,} contracts "
            f"({time.perf_counter() - started:.1f} s)"
        )
        table = Table(title="Milestone list export (query, rows and writer; one run each)")
        for column in ("format", "rows", "seconds", "target", "peak MiB", "MB written"):
            table.add_column(column, justify="left" if column == "format" else "right")
        failed = False
        # The reading alone (query and rows, no file), to tell it apart from the writing.
        began = time.perf_counter()
        read = sum(1 for _ in milestone_rows(user))
        table.add_row("rows only", f"{read:,}", f"{time.perf_counter() - began:.2f}", "", "", "")
        for fmt in ("xlsx", "csv"):
            for limit in (args.small, None):
                began = time.perf_counter()
                rows, size = drain(user, fmt, limit)
                seconds = time.perf_counter() - began
                tracemalloc.start()
                drain(user, fmt, limit)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                full = limit is None
                ok = seconds <= TARGET_SECONDS or not full
                failed |= not ok
                table.add_row(
                    fmt.upper(),
                    f"{rows:,}",
                    f"[{'green' if ok else 'red'}]{seconds:.2f}[/]",
                    f"≤ {TARGET_SECONDS:.0f}" if full else "",
                    f"{peak / 2**20:.1f}",
                    f"{size / 1e6:.1f}",
                )
        console.print(table)
        return 1 if failed else 0
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
