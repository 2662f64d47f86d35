"""Benchmark the schedule graph: the critical path over 10,000 milestones, and one propagation.

Run alone (pure Python and numpy, no database):

    .venv/bin/python bench/critical_path_bench.py

The graph is a layered plan, as a long programme is: ``--milestones`` spread over layers of
about a hundred, each milestone after one or two in the three layers before it (about 1.5
links each), with every link type, leads and lags in working and calendar days, a share of
milestones with start dates (durations), relative dates, pinned dates, met and cancelled ones,
on the England and Wales calendar. Its dates are made consistent first (one propagation from
the first layer, untimed), as the services keep them.

What is timed, median (and slowest) over ``--runs`` runs:
- build: the ``Node`` and ``Link`` objects from database-shaped rows, and the ``Graph``, by
  ``Graph.from_rows`` (what ``planning.contract_graph`` does after its queries), and beside it
  the same built with keyword arguments;
- critical path: ``critical_path`` on that graph (working-day index, passes, floats, chain);
- together, against DESIGN.md's 100 ms;
- propagation: a two-week slip of one milestone at the head of the plan, pushed through every
  milestone that follows it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from milepost.core.workdays import Calendar
from milepost.schedule.graph import Anchor, Graph, Link, LinkRow, Node, NodeRow
from milepost.schedule.graph.critical import critical_path
from milepost.schedule.graph.propagation import propagate

CRITICAL_PATH_TARGET_MS = 100.0  # DESIGN.md, "Performance envelope": 10,000 milestones

console = Console(width=None if sys.stdout.isatty() else 150)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=10_000)
    parser.add_argument("--width", type=int, default=100, help="milestones per layer")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def plan(size: int, width: int, seed: int) -> tuple[list[NodeRow], list[LinkRow]]:
    """Return a layered plan as the rows ``contract_graph`` reads from the database."""
    rng = random.Random(seed)
    start = dt.date(2026, 1, 5)
    nodes: list[NodeRow] = []
    links: list[LinkRow] = []
    layers: list[list[int]] = []
    for pk in range(1, size + 1):
        layer = (pk - 1) // width
        if layer == len(layers):
            layers.append([])
        due = start + dt.timedelta(days=7 * layer + rng.randint(0, 20))
        begin = due - dt.timedelta(days=rng.randint(3, 25)) if rng.random() < 0.4 else None
        # The first layers are done; met on the day they are due once the plan is consistent.
        status, met_on = "scheduled", None
        if layer < 5:
            status = "met"
        elif rng.random() < 0.01:
            status = "cancelled"
        elif layer < 12 and rng.random() < 0.3:
            status = "in_progress"
        anchor = event = None
        offset, working = 0, False
        # Pinned where the plan puts it (see ``consistent``), as a contract fixes its dates.
        pinned = False
        if layer and rng.random() < 0.03:
            anchor = rng.choice(layers[rng.randint(max(0, layer - 3), layer - 1)])
            event = rng.choice(["met", "due"])
            offset, working = rng.randint(-5, 30), rng.random() < 0.5
        elif status == "scheduled" and rng.random() < 0.01:
            pinned = True
        nodes.append(
            (pk, f"Milestone {pk}", due, begin, status, met_on, pinned, anchor, event or "",
             offset, working)
        )  # fmt: skip
        if layer:
            count = 1 if rng.random() < 0.5 else 2
            choices = {rng.choice(layers[rng.randint(max(0, layer - 3), layer - 1)])}
            while len(choices) < count:
                choices.add(rng.choice(layers[layer - 1]))
            for before in choices:
                kind = rng.choices(["FS", "SS", "FF", "SF"], [60, 15, 15, 10])[0]
                links.append((before, pk, kind, rng.randint(-5, 10), rng.random() < 0.5))
        layers[layer].append(pk)
    return nodes, links


def build(nodes: list[NodeRow], links: list[LinkRow]) -> Graph:
    """Turn database rows into a ``Graph`` (``Graph.from_rows``, for ``contract_graph``)."""
    return Graph.from_rows(nodes, links)


def build_by_keyword(nodes: list[NodeRow], links: list[LinkRow]) -> Graph:
    """The same with ``Node(id=…, title=…)`` keyword arguments, as ``contract_graph`` builds."""
    return Graph(
        [
            Node(
                id=pk,
                title=title,
                due=due,
                start=start,
                status=status,
                met_on=met_on,
                pinned=pinned,
                anchor=Anchor(anchor_id, event, offset, working) if anchor_id else None,
            )
            for pk, title, due, start, status, met_on, pinned, anchor_id, event, offset, working in (
                nodes
            )
        ],
        [Link(a, b, kind, lag, working) for a, b, kind, lag, working in links],
    )


def consistent(
    nodes: list[NodeRow], links: list[LinkRow], calendar: Calendar, width: int
) -> list[NodeRow]:
    """Push every date its links and anchors ask for, as the services would have.

    The push treats every milestone as open and unpinned; then the met ones are met on the
    day they are due and the pinned ones pinned there, so that the plan keeps every date.
    """
    open_ = [(*row[:4], "scheduled", None, False, *row[7:]) for row in nodes]
    result = propagate(build(open_, links), calendar, [row[0] for row in nodes[:width]])
    out = []
    for row in nodes:
        move = result.moves.get(row[0])
        due, start = (move.new_due, move.new_start) if move else (row[2], row[3])
        met_on = due if row[4] == "met" else None
        out.append((row[0], row[1], due, start, row[4], met_on, *row[6:]))
    return out


def timed(runs: int, work: Callable[[], Any]) -> tuple[list[float], Any]:
    """Run ``work`` once untimed, then ``runs`` times; return the milliseconds and a result."""
    result = work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    calendar = Calendar("GB", "ENG")
    started = time.perf_counter()
    nodes, links = plan(args.milestones, args.width, args.seed)
    nodes = consistent(nodes, links, calendar, args.width)
    console.print(
        f"Made a plan of {len(nodes):,} milestones and {len(links):,} links "
        f"({len(links) / len(nodes):.2f} a milestone) in {time.perf_counter() - started:.1f} s; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    graph = build(nodes, links)
    build_ms, _ = timed(args.runs, lambda: build(nodes, links))
    keyword_ms, _ = timed(args.runs, lambda: build_by_keyword(nodes, links))
    path_ms, path = timed(args.runs, lambda: critical_path(graph, calendar))
    both_ms, _ = timed(args.runs, lambda: critical_path(build(nodes, links), calendar))
    # The head of the plan: the open milestone of the first open layer with the most after it.
    first_open = next(i for i, row in enumerate(nodes) if row[4] != "met")
    head = max(
        (row[0] for row in nodes[first_open : first_open + args.width] if row[4] != "met"),
        key=lambda pk: len(graph.descendants([pk])),
    )
    slip = {head: graph.nodes[head].due + dt.timedelta(days=14)}
    push_ms, pushed = timed(args.runs, lambda: propagate(graph, calendar, [head], dues=slip))

    table = Table(title=f"Milliseconds over {args.runs} runs each")
    for column in ("work", "median", "slowest", "DESIGN target"):
        table.add_column(column, justify="left" if column == "work" else "right")

    def row(name: str, times: list[float], target: float | None = None) -> None:
        median = statistics.median(times)
        verdict = "" if target is None else (
            f"{'[green]✓' if median <= target else '[red]✗'} ≤ {target:.0f} ms[/]"
        )  # fmt: skip
        table.add_row(name, f"{median:.1f}", f"{max(times):.1f}", verdict)

    row("build the graph from rows (Graph.from_rows)", build_ms)
    row("  the same with keyword arguments", keyword_ms)
    row("critical path", path_ms)
    row(f"build + critical path ({len(nodes):,} milestones)", both_ms, CRITICAL_PATH_TARGET_MS)
    row(
        f"propagate a 14-day slip of one head milestone ({len(pushed.reached):,} reached, "
        f"{len(pushed.moves):,} moved)",
        push_ms,
    )
    console.print(table)
    console.print(
        f"Critical path: {len(path.chain):,} milestones with no float, finishing "
        f"{path.finish:%d %b %Y}; {sum(1 for f in path.floats.values() if f < 0):,} with "
        f"negative float (behind a pinned date)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
