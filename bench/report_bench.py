"""Benchmark the contract status report of a 5,000-milestone contract: HTML and PDF.

Run by ``make bench``, or alone:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/report_bench.py

It loads a portfolio like ``web_bench.py``'s (smaller by default: the report reads one
contract) into a throwaway SQLite database, grows one contract to 5,000 milestones with
dependencies and payment terms, and then times, signed in, through the whole Django stack:

- the report page (``/reports/?type=contract_status&contract=…``: figures, timeline, HTML),
  DESIGN.md's target 300 ms server time;
- the PDF download (``/reports/pdf/?…``: the same figures drawn by WeasyPrint), target 5 s;

each as the median (and p95) over the requests, after one cold and one warm request.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api_bench import console, migrate, setup_django
from milestone_data import load_dataset
from rich.table import Table
from web_bench import add_payment_terms, grow_contract

HTML_TARGET_MS = 300.0  # DESIGN.md: contract report at 5,000 milestones, HTML
PDF_TARGET_MS = 5000.0  # DESIGN.md: contract report at 5,000 milestones, PDF


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=20_000)
    parser.add_argument("--contracts", type=int, default=400)
    parser.add_argument(
        "--size", type=int, default=5_000, help="milestones on the report's contract"
    )
    parser.add_argument("--requests", type=int, default=15, help="timed HTML requests")
    parser.add_argument("--pdfs", type=int, default=5, help="timed PDF requests")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def timed(client: Any, url: str, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    response = client.get(url)
    cold = (time.perf_counter() - started) * 1000
    client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "times": times,
        "cold": cold,
        "status": response.status_code,
        "size": len(response.content),
    }


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-reportbench-"))
    try:
        setup_django(data_dir)
        from django.test import Client
        from django.urls import reverse

        migrate()
        started = time.perf_counter()
        user, _ = load_dataset(milestones=args.milestones, contracts=args.contracts, seed=args.seed)
        contract = grow_contract(user, args.size, args.seed)
        terms = add_payment_terms(args.seed)
        size = contract.milestones.count()
        console.print(
            f"Loaded {args.milestones:,} milestones over {args.contracts:,} contracts "
            f"({terms:,} with payment terms); {contract.reference} has {size:,} milestones "
            f"({time.perf_counter() - started:.1f} s)"
        )
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        query = f"?type=contract_status&contract={contract.pk}"
        html = timed(client, reverse("reporting:report-builder") + query, args.requests)
        pdf = timed(client, reverse("reporting:report-pdf") + query, args.pdfs)
        table = Table(title=f"Contract status report, {size:,} milestones (server time, ms)")
        for column in ("what", "median", "p95", "cold", "target", "status", "bytes"):
            table.add_column(column, justify="left" if column == "what" else "right")
        failed = False
        for name, result, target in (
            ("HTML page", html, HTML_TARGET_MS),
            ("PDF", pdf, PDF_TARGET_MS),
        ):
            median = statistics.median(result["times"])
            ok = median <= target and result["status"] == 200
            failed |= not ok
            table.add_row(
                name,
                f"[{'green' if ok else 'red'}]{median:,.0f}[/]",
                f"{p95(result['times']):,.0f}",
                f"{result['cold']:,.0f}",
                f"≤ {target:,.0f}",
                str(result["status"]),
                f"{result['size']:,}",
            )
        console.print(table)
        return 1 if failed else 0
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
