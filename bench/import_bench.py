"""Benchmark importing 10,000 milestone rows from XLSX: preview, then apply.

Run (part of ``make bench``), or smaller for a quick check:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/import_bench.py \
        --rows 2000

Builds one contract with its parties and people in a throwaway SQLite database, writes a sheet
of deliverables (every tenth following the row before it by five days) and payments triggered by
them, then times the preview (reading the workbook, checking every row and running the import
in a transaction it rolls back) and the apply (reading it again and writing every milestone,
link and event through the services). Peak memory is the process's peak resident size after
each step, and the growth of Python's own allocations measured once more under tracemalloc.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from api_bench import console, migrate, setup_django
from rich.table import Table

TARGET_SECONDS = 10.0  # issue 16: 10,000 rows previewed and applied in at most 10 s


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="milestone rows in the sheet")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    parser.add_argument(
        "--format", choices=["xlsx", "csv"], default="xlsx", help="the sheet's format"
    )
    return parser.parse_args(argv)


def build_contract(tag: str) -> tuple[Any, Any]:
    from milepost.accounts.choices import Role
    from milepost.accounts.services import membership_set, organisation_create, user_create
    from milepost.contracts.choices import ContractStatus, PartyRole
    from milepost.contracts.services import contract_create, contract_set_status, party_add

    client = organisation_create(name=f"Harbour City Council {tag}", actor=None)
    supplier = organisation_create(name=f"Northgate Construction {tag}", actor=None)
    manager = user_create(username=f"cora{tag}", password="x" * 12, email="", actor=None)
    member = user_create(username=f"sid{tag}", password="x" * 12, email="", actor=None)
    membership_set(user=manager, organisation=client, role=Role.MANAGER, actor=None)
    membership_set(user=member, organisation=supplier, role=Role.MEMBER, actor=None)
    contract = contract_create(
        organisation=client,
        party_role=PartyRole.CLIENT,
        reference=f"BENCH-{tag}",
        title="Import benchmark",
        value=Decimal("1000000000"),
        currency="GBP",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2030, 12, 31),
        actor=manager,
    )
    party_add(contract=contract, organisation=supplier, role=PartyRole.SUPPLIER, actor=manager)
    contract_set_status(contract=contract, status=ContractStatus.ACTIVE, actor=manager)
    return contract, manager


def as_csv(data: bytes) -> bytes:
    """The same sheet saved as CSV."""
    import csv

    from openpyxl import load_workbook

    out = io.StringIO()
    writer = csv.writer(out)
    book = load_workbook(io.BytesIO(data), read_only=True)
    for row in book.worksheets[0].iter_rows(values_only=True):
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue().encode()


def workbook(rows: int, tag: str) -> bytes:
    from openpyxl import Workbook

    from milepost.interchange.columns import MILESTONE_COLUMN_NAMES

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Milestones")
    sheet.append(list(MILESTONE_COLUMN_NAMES))
    client, supplier = f"Harbour City Council {tag}", f"Northgate Construction {tag}"
    start = dt.date(2026, 2, 1)
    for i in range(rows):
        cells = dict.fromkeys(MILESTONE_COLUMN_NAMES)
        cells.update(
            reference=f"M{i}", title=f"Milestone {i}", due_date=start + dt.timedelta(i % 1400)
        )
        if i % 5 == 4:
            cells.update(
                kind="payment", owner=f"cora{tag}", payer=client, payee=supplier,
                trigger=f"M{i - 1}", amount=1000 + i, retention_percent=5,
            )  # fmt: skip
        else:
            cells.update(
                kind="deliverable", owner=f"sid{tag}", responsible_party=supplier,
                accepting_party=client, acceptance_criteria="Inspected and signed off.",
                depends_on=f"M{i - 1}+5" if i % 10 == 1 else None,
            )  # fmt: skip
        sheet.append([cells[name] for name in MILESTONE_COLUMN_NAMES])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int, tag: str, fmt: str = "xlsx") -> dict[str, Any]:
    from milepost.interchange.sheets.milestones import (
        milestone_sheet_apply,
        milestone_sheet_preview,
    )
    from milepost.interchange.uploads import Upload

    contract, manager = build_contract(tag)
    data = workbook(rows, tag)
    if fmt == "csv":
        data = as_csv(data)
    upload = Upload(name=f"bench.{fmt}", data=data)
    started = time.perf_counter()
    batch = milestone_sheet_preview(contract=contract, upload=upload, actor=manager)
    previewed = time.perf_counter()
    preview_peak = peak_mb()
    if batch.error_count:
        raise SystemExit(f"The benchmark sheet has errors: {batch.preview['errors'][:3]}")
    batch = milestone_sheet_apply(batch=batch, actor=manager)
    applied = time.perf_counter()
    return {
        "rows": rows,
        "bytes": len(data),
        "preview": previewed - started,
        "apply": applied - previewed,
        "preview_peak": preview_peak,
        "apply_peak": peak_mb(),
        "counts": batch.counts,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-importbench-"))
    try:
        setup_django(data_dir)
        migrate()
        result = run(args.rows, "a", args.format)
        traced = None
        if not args.no_trace:
            tracemalloc.start()
            run(args.rows, "b", args.format)
            traced = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    total = result["preview"] + result["apply"]
    table = Table(
        title=f"Milestone sheet import: {result['rows']:,} rows, {result['bytes']:,} bytes "
        f"{args.format.upper()}"
    )
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("peak RSS MB", justify="right")
    table.add_row("preview", f"{result['preview']:.2f}", f"{result['preview_peak']:.0f}")
    table.add_row("apply", f"{result['apply']:.2f}", f"{result['apply_peak']:.0f}")
    table.add_row("total", f"{total:.2f}", "")
    console.print(table)
    console.print(f"counts: {result['counts']}")
    if traced is not None:
        console.print(f"peak Python allocations (tracemalloc, second run): {traced:.0f} MB")
    verdict = "met" if total <= TARGET_SECONDS else "NOT met"
    console.print(f"target ≤ {TARGET_SECONDS:.0f} s for preview and apply: {verdict}")
    return 0 if total <= TARGET_SECONDS or args.rows < 10_000 else 1


if __name__ == "__main__":
    sys.exit(main())
