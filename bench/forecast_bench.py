"""Benchmark the Monte Carlo forecast kernel against the bare numpy kernel, in memory.

Run ``make bench``, or on its own (no database, no Django):

    .venv/bin/python bench/forecast_bench.py [--runs 10000] [--sizes 200 10000]

Each size is a synthetic contract: a layered graph of milestones, about 1.5 links per
milestone with mixed types (mostly finish-to-start) and lags in working and calendar days,
a tenth already met, a third with three-point estimates, a third drawing slips from a history
and the rest from the prior, on the England and Wales calendar.

What is timed, side by side in one run (repetitions alternate, medians shown):
- the full kernel, ``montecarlo.simulate``: numbering dates, ordering, building the sampling
  tables (``prepare``), then the runs with every result (quantiles, on-time chances, the
  contract's finish);
- the bare numpy kernel on the same prepared plan: only the sampling and the longest-path pass
  (draw, look up, add, maximum), with no quantiles and no results, as the floor that any
  vectorised kernel has to pay.
Peak memory is measured apart, with tracemalloc, on one more full run (numpy reports its
arrays to tracemalloc), and the process's peak resident size is shown at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from milepost.core.workdays import Calendar
from milepost.schedule.montecarlo import (
    BLOCK,
    FF,
    FS,
    SF,
    SLOT_BITS,
    SS,
    Link,
    Plan,
    Problem,
    Task,
    prepare,
    simulate,
)

# DESIGN.md, "Performance envelope": 10,000 runs over 200 and over 10,000 milestones.
TARGETS_S = {200: 0.5, 10_000: 5.0}

console = Console(width=None if sys.stdout.isatty() else 150)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="Monte Carlo runs")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[200, 10_000], help="milestones per contract"
    )
    parser.add_argument("--seed", type=int, default=20270301, help="seed of the simulations")
    return parser.parse_args(argv)


def synthetic(size: int, rng: random.Random) -> Problem:
    """Build a layered contract of ``size`` milestones with about 1.5 links each."""
    today = dt.date(2027, 3, 1)
    width = max(4, round(size**0.5))
    tasks: list[Task] = []
    links: list[Link] = []
    history = {f"org{k}:deliverable": [rng.randint(-5, 25) for _ in range(40)] for k in range(3)}
    for n in range(size):
        layer = n // width
        due = today + dt.timedelta(days=7 * layer + rng.randint(5, 20))
        status = "met" if layer == 0 and rng.random() < 0.5 else "scheduled"
        met_on = today - dt.timedelta(days=rng.randint(1, 20)) if status == "met" else None
        estimate = None
        key = ""
        draw = rng.random()
        if draw < 1 / 3:
            likely = rng.randint(3, 15)
            estimate = (max(1, likely - rng.randint(0, 4)), likely, likely + rng.randint(0, 12))
        elif draw < 2 / 3:
            key = f"org{rng.randrange(3)}:deliverable"
        start = due - dt.timedelta(days=rng.randint(5, 30)) if rng.random() < 0.3 else None
        tasks.append(
            Task(
                id=n + 1,
                due=due,
                status=status,
                baseline=due - dt.timedelta(days=rng.choice([0, 0, 7])),
                start=start,
                met_on=met_on,
                estimate=estimate,
                history=key,
            )
        )
        if layer == 0:
            continue
        below = range((layer - 1) * width, min(layer * width, size))
        count = 1 if rng.random() < 0.5 else 2
        for pred in rng.sample(list(below), k=min(count, len(below))):
            kind = rng.choices([FS, SS, FF, SF], weights=[70, 10, 15, 5])[0]
            working = rng.random() < 0.6
            lag = rng.choice([0, 0, 0, 2, 5, -2, 10])
            links.append(Link(pred + 1, n + 1, kind, lag, working))
    return Problem(
        tasks=tasks,
        links=links,
        today=today,
        calendar=Calendar("GB", "ENG"),
        end=today + dt.timedelta(days=7 * (size // width) + 60),
        threshold=70,
        history=history,
    )


def bare(plan: Plan, runs: int, seed: int) -> None:
    """Sample every duration and take the longest path: the kernel without its results."""
    bits = np.random.default_rng(seed).bit_generator
    words = -(-runs // 4)
    finish: dict[int, Any] = dict(plan.fixed_finish)
    begin: dict[int, Any] = dict(plan.fixed_begin)
    remaining = dict(plan.uses)
    for first in range(0, len(plan.steps), BLOCK):
        block = plan.steps[first : first + BLOCK]
        raw = bits.random_raw(len(block) * words)
        slots = raw.view(np.uint16).reshape(len(block), 4 * words)[:, :runs] >> (16 - SLOT_BITS)
        for step, slot in zip(block, slots, strict=True):
            start: Any = step.floor
            for edge in step.starts:
                origin = begin[edge.predecessor] if edge.from_start else finish[edge.predecessor]
                value = np.take(edge.table, origin) if edge.table is not None else origin + edge.lag
                start = np.maximum(start, value)
                remaining[edge.predecessor] -= 1
            end = np.take(step.table, slot)
            if step.slips:
                end += step.shift
                np.maximum(end, 0, out=end)
            end += start
            for edge in step.finishes:
                origin = begin[edge.predecessor] if edge.from_start else finish[edge.predecessor]
                value = np.take(edge.table, origin) if edge.table is not None else origin + edge.lag
                np.maximum(end, value, out=end)
                remaining[edge.predecessor] -= 1
            for edge in (*step.starts, *step.finishes):
                if remaining[edge.predecessor] == 0:
                    finish.pop(edge.predecessor, None)
                    begin.pop(edge.predecessor, None)
            if remaining.get(step.id):
                finish[step.id] = end
                begin[step.id] = start if step.has_start else end


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def peak_mib(work: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console.print(
        f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs; "
        f"{args.runs:,} runs per forecast."
    )
    table = Table(title=f"Monte Carlo forecast, {args.runs:,} runs (medians, seconds)")
    for column in (
        "milestones",
        "links",
        "reps",
        "full kernel",
        "of which prepare",
        "bare kernel",
        "full ÷ bare",
        "peak memory",
        "target",
        "verdict",
    ):
        table.add_column(column, justify="left" if column == "verdict" else "right")
    for size in args.sizes:
        problem = synthetic(size, random.Random(size))
        repeat = 5 if size <= 1_000 else 3
        # One untimed run of each: the tables' caches and numpy's first calls warm up.
        plan = prepare(problem)
        simulate(problem, runs=args.runs, seed=args.seed)
        bare(plan, args.runs, args.seed)
        full_s, prepare_s, bare_s = [], [], []
        for rep in range(repeat):
            seed = args.seed + rep
            full_s.append(timed(partial(simulate, problem, runs=args.runs, seed=seed)))
            prepare_s.append(timed(partial(prepare, problem)))
            bare_s.append(timed(partial(bare, plan, args.runs, seed)))
        peak = peak_mib(partial(simulate, problem, runs=args.runs, seed=args.seed))
        full, bare_med = statistics.median(full_s), statistics.median(bare_s)
        target = TARGETS_S.get(size)
        table.add_row(
            f"{size:,}",
            f"{len(problem.links):,}",
            str(repeat),
            f"{full:.3f}",
            f"{statistics.median(prepare_s):.3f}",
            f"{bare_med:.3f}",
            f"{full / bare_med:.2f}x",
            f"{peak:.0f} MiB",
            f"≤ {target:g} s" if target else "",
            ("met" if full <= target else "MISSED") if target else "",
        )
    console.print(table)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"Peak resident size of this process: {rss:.0f} MiB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
