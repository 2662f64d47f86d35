"""Monte Carlo forecasts over a contract's dependency graph: pure numpy, no database.

``forecasts`` loads a contract into a ``Problem`` and stores what ``simulate`` returns. The
model, in working-day numbers (``WorkdayIndex``), so that every pass is integer arithmetic:

- *Days.* A start, a met date or today on a day off counts as the next working day; a due or
  end date counts as the last working day on or before it. So a forecast finish (always a
  working day) is after the due date exactly when it is after that last working day.
- *Fixed and ignored.* A met (or partly met) milestone finishes on its met date; a waived or
  cancelled one constrains nothing. Scheduled, in-progress and not-met milestones are
  simulated; scheduled and in-progress ones get results.
- *Plan.* An open milestone's planned start is the latest of today, its start date, and what
  its predecessors' planned dates require through finish-to-start and start-to-start links
  (``graph`` semantics: a milestone without a start date begins when it finishes). Its planned
  remaining duration is ``R = max(0, due - planned start)``.
- *Remaining duration per run.* With a three-point estimate ``(o, m, p)``: PERT-beta over
  ``[o, p]`` with mode ``m`` (λ = 4), rounded to whole days; ``o = m = p`` gives ``m`` in every
  run. PERT rather than triangular because it weights the most likely value more and the
  tails less, as estimates are meant (a triangular's mean drifts towards a long tail).
  Without one: ``R + slip``, where the slip is bootstrapped from the organisation's own slips
  on closed milestones of that kind (met date less baseline due date, in working days) when
  there are at least ``MIN_HISTORY`` of them, or else drawn from the prior below. A slip is
  never below ``-R``, so no duration is negative.
- *Prior.* A two-piece triangular slip with its mode at 0: on or ahead of plan with
  probability ``PRIOR_ON_PLAN``, down to ``-max(2, 10% of H)`` days; otherwise late, up to
  ``+max(5, 30% of H)``, where ``H`` is the working days from today to the baseline due date.
  A plain triangular with mode 0 and a long late tail would give every milestone with nothing
  known against it about a one-in-four chance, flagging all of them; this one says a plan is
  kept four times in five, less so the further away its agreed date. ``H`` is measured to
  the baseline, not the current due date, so that more slack can never widen the prior and
  lower a milestone's chance.
- *Per run.* A milestone starts at the latest of today, its start date and its start-type
  constraints (finish-to-start: the predecessor's finish plus the lag; start-to-start: its
  start plus the lag); it finishes at its start plus its duration, or later if a finish-type
  constraint says so (finish-to-finish: the predecessor's finish plus the lag; start-to-finish:
  its start plus the lag). A relative date "N days after X is met" is a finish-to-finish link
  from X with lag N. One counted from X's *due date* is not a link: that date is fixed by X's
  plan, not by when X finishes. Working-day lags add to the number; calendar-day lags go
  through the index's tables, exactly (``np.take``).
- *Results.* For each open milestone: the P50 and P80 finish, the chance of finishing by the
  due date, and the finish at the contract's threshold quantile, which falls after the due
  date exactly when that chance is below the threshold. For the contract: P50 and P80 of the
  last finish and the chance that every milestone finishes by the contract's end date. With
  nothing left to simulate, the contract finishes on the day its last milestone was met (a
  day off included, not the next working day), on time when that is on or before the end date.
  Quantiles are the smallest day by which at least that share of runs has finished.

Reproducible: every random number comes from ``numpy.random.default_rng(seed)``'s raw bit
stream, 16 bits per run per simulated milestone in dependency order; each distribution is a
table of ``SLOTS`` equally likely values (its quantiles at the slot midpoints; a bootstrap table
gives each sample ⌊SLOTS/n⌋ or ⌈SLOTS/n⌉ slots), indexed by the top 12 of those bits. Every
simulated milestone takes the same share of the stream whatever its distribution, so changing
one milestone never changes the numbers drawn for another. Raw bits, not numpy's samplers,
keep the numbers identical across numpy versions.
"""

import datetime as dt
import hashlib
import heapq
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from milepost.core.workdays import Calendar, WorkdayIndex

# Bump when the model changes, so that a digest never matches inputs simulated differently.
MODEL = "milepost-forecast-1"
FS, SS, FF, SF = "FS", "SS", "FF", "SF"
FROM_START = frozenset({SS, SF})
TO_FINISH = frozenset({FF, SF})
OPEN = frozenset({"scheduled", "in_progress"})
SIMULATED = OPEN | {"not_met"}
MET = frozenset({"met", "partially_met"})
ANCHOR_MET = "met"
ESTIMATE, HISTORY, PRIOR = "estimate", "history", "prior"

MIN_HISTORY = 5
PRIOR_ON_PLAN = 0.8
PRIOR_EARLY_SHARE, PRIOR_EARLY_FLOOR = 0.1, 2
PRIOR_LATE_SHARE, PRIOR_LATE_FLOOR = 0.3, 5
PERT_LAMBDA = 4.0
SLOT_BITS = 12
SLOTS = 1 << SLOT_BITS
# Simulated milestones whose random bits are drawn at once: one call instead of many, and a
# block of 64 x runs 16-bit numbers (1.3 MB at 10,000 runs) at a time.
BLOCK = 64
ONE_DAY = dt.timedelta(days=1)

Number = int | np.ndarray


@dataclass(frozen=True)
class Task:
    """One milestone as the simulation sees it."""

    id: int
    due: dt.date
    status: str = "scheduled"
    baseline: dt.date | None = None  # the due date as agreed; None: the due date
    start: dt.date | None = None
    met_on: dt.date | None = None
    estimate: tuple[int, int, int] | None = None  # optimistic, likely, pessimistic
    history: str = ""  # key of this milestone's slips in ``Problem.history``
    anchor: int | None = None
    anchor_event: str = ""
    anchor_offset: int = 0
    anchor_working: bool = False


@dataclass(frozen=True)
class Link:
    """A dependency: ``successor`` follows ``predecessor`` by ``type`` with ``lag`` days."""

    predecessor: int
    successor: int
    type: str = FS
    lag: int = 0
    working: bool = False


@dataclass(frozen=True)
class Problem:
    """Everything a forecast reads: milestones, links, calendar, today, history, threshold."""

    tasks: Sequence[Task]
    links: Sequence[Link]
    today: dt.date
    calendar: Calendar = field(default_factory=Calendar)
    end: dt.date | None = None
    threshold: int = 70
    history: Mapping[str, Sequence[int]] = field(default_factory=dict)

    def digest(self, runs: int) -> str:
        """Return the SHA-256 of the canonical inputs (and ``runs``), to show two runs share them."""
        canonical = {
            "model": MODEL,
            "runs": runs,
            "today": self.today.isoformat(),
            "end": _iso(self.end),
            "threshold": self.threshold,
            "calendar": [
                self.calendar.country,
                self.calendar.region,
                sorted(day.isoformat() for day in self.calendar.extra),
            ],
            "tasks": [
                [
                    t.id,
                    t.due.isoformat(),
                    t.status,
                    _iso(t.baseline),
                    _iso(t.start),
                    _iso(t.met_on),
                    list(t.estimate) if t.estimate else None,
                    t.history,
                    t.anchor,
                    t.anchor_event,
                    t.anchor_offset,
                    t.anchor_working,
                ]
                for t in sorted(self.tasks, key=lambda t: t.id)
            ],
            "links": sorted(
                [k.predecessor, k.successor, k.type, k.lag, k.working] for k in self.links
            ),
            "history": {key: sorted(slips) for key, slips in sorted(self.history.items())},
        }
        body = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class TaskForecast:
    """One open milestone's outcome: P50 and P80 finish, threshold-quantile finish, chance."""

    id: int
    p50: dt.date
    p80: dt.date
    at_threshold: dt.date
    on_time: float
    basis: str  # "estimate", "history" or "prior"


@dataclass(frozen=True)
class Forecast:
    """What a run found, per open milestone and for the contract as a whole."""

    runs: int
    seed: int
    tasks: dict[int, TaskForecast]
    finish_p50: dt.date | None
    finish_p80: dt.date | None
    on_time: float | None  # every milestone finished by the contract's end date


@dataclass(frozen=True)
class Edge:
    """A constraint on a step: ``lag`` after the predecessor's start or finish."""

    predecessor: int
    from_start: bool
    lag: int
    table: np.ndarray | None  # calendar-day lag: working-day number → number ``lag`` days on


@dataclass
class Step:
    """One simulated milestone, in dependency order, ready for the vectorised pass."""

    id: int
    floor: int  # the earliest start: today or its start date
    due: int
    has_start: bool
    table: np.ndarray  # SLOTS equally likely durations (estimate) or slips (otherwise)
    shift: int  # added to a slip: the planned remaining duration R
    slips: bool  # the table holds slips: add R and keep the duration at 0 or more
    starts: list[Edge]
    finishes: list[Edge]
    report: bool  # open (results are kept), not merely not met
    basis: str


@dataclass
class Plan:
    """A problem turned into working-day numbers, sampling tables and the order to visit."""

    index: WorkdayIndex
    today: int
    end: int | None
    threshold: int
    steps: list[Step]
    fixed_finish: dict[int, int]
    fixed_begin: dict[int, int]
    # How many step edges read each milestone, so its arrays are freed after the last one.
    uses: dict[int, int]
    needs_begin: set[int]
    # The day the last met milestone was met and the contract's end date, as dates: with
    # nothing simulated, the finish is that day itself, not the working day it counts as.
    last_met: dt.date | None = None
    end_date: dt.date | None = None

    def run(self, *, runs: int, seed: int) -> Forecast:
        """Simulate ``runs`` runs with ``seed``; see the module docstring for the model."""
        bits = np.random.default_rng(seed).bit_generator
        words = -(-runs // 4)
        finish: dict[int, Number] = dict(self.fixed_finish)
        begin: dict[int, Number] = dict(self.fixed_begin)
        remaining = dict(self.uses)
        latest_fixed = max(self.fixed_finish.values(), default=None)
        latest: np.ndarray | None = None
        # Per open milestone: its step, then P50, P80 and threshold quantile as numbers, and
        # how many runs finished by the due date; dates are looked up once at the end.
        found: list[tuple[Step, np.ndarray, int]] = []
        needs = np.array([-(-runs * pct // 100) for pct in (50, 80, self.threshold)])

        def read(edge: Edge) -> Number:
            origin = begin[edge.predecessor] if edge.from_start else finish[edge.predecessor]
            remaining[edge.predecessor] -= 1
            if remaining[edge.predecessor] == 0:
                finish.pop(edge.predecessor, None)
                begin.pop(edge.predecessor, None)
            return _shifted(origin, edge)

        for first in range(0, len(self.steps), BLOCK):
            block = self.steps[first : first + BLOCK]
            raw = bits.random_raw(len(block) * words).astype("<u8", copy=False)
            slots = raw.view("<u2").reshape(len(block), 4 * words)[:, :runs] >> (16 - SLOT_BITS)
            for step, slot in zip(block, slots, strict=True):
                start: Number = step.floor
                for edge in step.starts:
                    start = _later(start, read(edge))
                end = np.take(step.table, slot)
                if step.slips:
                    end += step.shift
                    np.maximum(end, 0, out=end)
                end += start
                for edge in step.finishes:
                    np.maximum(end, read(edge), out=end)
                if remaining.get(step.id):
                    finish[step.id] = end
                    if step.id in self.needs_begin:
                        begin[step.id] = start if step.has_start else end
                if latest is None:
                    latest = end.copy()
                else:
                    np.maximum(latest, end, out=latest)
                if step.report:
                    # A histogram over the days the runs span replaces a sort per milestone.
                    lo, cdf = _cdf(end)
                    found.append(
                        (step, lo + np.searchsorted(cdf, needs), _count_by(lo, cdf, step.due, runs))
                    )
        dates = self._dates(np.array([q for _, q, _ in found]).reshape(-1, 3))
        results = {
            step.id: TaskForecast(
                step.id, dates[row][0], dates[row][1], dates[row][2], count / runs, step.basis
            )
            for row, (step, _, count) in enumerate(found)
        }
        finish_p50 = finish_p80 = None
        on_time = None
        if latest is not None:
            if latest_fixed is not None:
                np.maximum(latest, latest_fixed, out=latest)
            lo, cdf = _cdf(latest)
            finish_p50, finish_p80, _ = self._dates((lo + np.searchsorted(cdf, needs))[None])[0]
            if self.end is not None:
                on_time = _count_by(lo, cdf, self.end, runs) / runs
        elif self.last_met is not None:
            finish_p50 = finish_p80 = self.last_met
            if self.end_date is not None:
                on_time = 1.0 if self.last_met <= self.end_date else 0.0
        return Forecast(runs, seed, results, finish_p50, finish_p80, on_time)

    def _dates(self, numbers: np.ndarray) -> list[list[dt.date]]:
        """Turn rows of working-day numbers into rows of dates."""
        ordinals = self.index.ordinals(numbers.astype(np.int64)).tolist()
        return [[dt.date.fromordinal(o) for o in row] for row in ordinals]


def _cdf(values: np.ndarray) -> tuple[int, np.ndarray]:
    lo = int(values.min())
    return lo, np.cumsum(np.bincount(values - lo))


def _count_by(lo: int, cdf: np.ndarray, day: int, runs: int) -> int:
    """Return how many runs finished on or before working day ``day``."""
    if day < lo:
        return 0
    if day - lo >= len(cdf):
        return runs
    return int(cdf[day - lo])


def _shifted(origin: Number, edge: Edge) -> Number:
    if edge.table is not None:
        return int(edge.table[origin]) if isinstance(origin, int) else np.take(edge.table, origin)
    return origin + edge.lag if edge.lag else origin


def _later(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    return np.maximum(a, b)


def simulate(problem: Problem, *, runs: int, seed: int) -> Forecast:
    """Forecast every open milestone of ``problem`` over ``runs`` runs from ``seed``."""
    return prepare(problem).run(runs=runs, seed=seed)


def prepare(problem: Problem) -> Plan:
    """Number the dates, order the milestones and build each one's sampling table."""
    tasks = {task.id: task for task in problem.tasks}
    links = [k for k in problem.links if k.predecessor in tasks and k.successor in tasks]
    # A relative date counted from its anchor being met holds its finish like a FF link.
    links += [
        Link(t.anchor, t.id, FF, t.anchor_offset, t.anchor_working)
        for t in tasks.values()
        if t.anchor is not None and t.anchor_event == ANCHOR_MET and t.anchor in tasks
    ]
    live = {i for i, t in tasks.items() if t.status in SIMULATED or t.status in MET}
    links = [k for k in links if k.predecessor in live and tasks[k.successor].status in SIMULATED]
    incoming: dict[int, list[Link]] = {}
    for link in sorted(links, key=lambda k: (k.successor, k.predecessor, k.type)):
        incoming.setdefault(link.successor, []).append(link)
    index = _index(problem, links)
    today = _begin_number(index, problem.today)

    fixed_finish: dict[int, int] = {}
    fixed_begin: dict[int, int] = {}
    planned_finish: dict[int, int] = {}
    planned_begin: dict[int, int] = {}
    met_days: list[dt.date] = []
    for task in tasks.values():
        if task.status in MET:
            met_days.append(task.met_on or task.due)
            done = _begin_number(index, met_days[-1])
            fixed_finish[task.id] = planned_finish[task.id] = done
            first = _begin_number(index, task.start) if task.start else done
            fixed_begin[task.id] = planned_begin[task.id] = min(first, done)
        elif task.status in SIMULATED:
            planned_finish[task.id] = _due_number(index, task.due)
            first = _begin_number(index, task.start) if task.start else planned_finish[task.id]
            planned_begin[task.id] = min(first, planned_finish[task.id])

    def planned(link: Link) -> int:
        origin = (planned_begin if link.type in FROM_START else planned_finish)[link.predecessor]
        return _lag(index, origin, link.lag, link.working)

    drafts: list[tuple[Task, int, int, np.ndarray, int, str]] = []
    bootstraps: dict[str, np.ndarray] = {}
    for task_id in _order(tasks, links):
        task = tasks[task_id]
        if task.status not in SIMULATED:
            continue
        floor = max(today, _begin_number(index, task.start)) if task.start else today
        ahead = [planned(k) for k in incoming.get(task_id, ()) if k.type not in TO_FINISH]
        due = _due_number(index, task.due)
        remaining = max(0, due - max([floor, *ahead]))
        table, shift, basis = _distribution(problem, index, task, today, remaining, bootstraps)
        drafts.append((task, floor, due, table, shift, basis))

    index = _fit(index, problem.calendar, drafts, incoming, fixed_finish, fixed_begin)
    lag_tables: dict[int, np.ndarray] = {}

    def edge(link: Link) -> Edge:
        table = None
        if not link.working and link.lag:
            if link.lag not in lag_tables:
                lag_tables[link.lag] = _lag_table(index, link.lag)
            table = lag_tables[link.lag]
        return Edge(link.predecessor, link.type in FROM_START, link.lag, table)

    steps: list[Step] = []
    uses: dict[int, int] = {}
    needs_begin: set[int] = set()
    for task, floor, due, table, shift, basis in drafts:
        mine = incoming.get(task.id, [])
        for link in mine:
            uses[link.predecessor] = uses.get(link.predecessor, 0) + 1
            if link.type in FROM_START:
                needs_begin.add(link.predecessor)
        steps.append(
            Step(
                id=task.id,
                floor=floor,
                due=due,
                has_start=task.start is not None,
                table=table,
                shift=shift,
                slips=basis != ESTIMATE,
                starts=[edge(k) for k in mine if k.type not in TO_FINISH],
                finishes=[edge(k) for k in mine if k.type in TO_FINISH],
                report=task.status in OPEN,
                basis=basis,
            )
        )
    end = _due_number(index, problem.end) if problem.end else None
    return Plan(
        index,
        today,
        end,
        problem.threshold,
        steps,
        fixed_finish,
        fixed_begin,
        uses,
        needs_begin,
        last_met=max(met_days, default=None),
        end_date=problem.end,
    )


def _lag_table(index: WorkdayIndex, days: int) -> np.ndarray:
    """Map each working-day number to the number of the day ``days`` calendar days later."""
    ordinals = index.ordinals(np.arange(len(index))) + days
    # Only numbers no run reaches are clipped: ``_fit`` leaves room for every lag.
    ordinals = np.clip(ordinals, index.first.toordinal(), index.last.toordinal())
    return index.numbers(ordinals).astype(np.int32)


def _order(tasks: Mapping[int, Task], links: Iterable[Link]) -> list[int]:
    """Return the task ids so that each follows its predecessors; ties go by id."""
    after: dict[int, list[int]] = {}
    waiting = dict.fromkeys(tasks, 0)
    for link in links:
        after.setdefault(link.predecessor, []).append(link.successor)
        waiting[link.successor] += 1
    ready = [task_id for task_id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    result = []
    while ready:
        task_id = heapq.heappop(ready)
        result.append(task_id)
        for nxt in after.get(task_id, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(result) != len(waiting):
        raise ValueError("The dependency graph has a cycle.")
    return result


def _begin_number(index: WorkdayIndex, day: dt.date) -> int:
    """A start or finish on a day off counts as the next working day."""
    return index.number(day)


def _due_number(index: WorkdayIndex, day: dt.date) -> int:
    """A due date on a day off counts as the last working day before it."""
    return index.number(day + ONE_DAY) - 1


def _lag(index: WorkdayIndex, origin: int, lag: int, working: bool) -> int:
    if working or lag == 0:
        return origin + lag
    return index.number(index.date(origin) + dt.timedelta(days=lag))


def _index(problem: Problem, links: Sequence[Link]) -> WorkdayIndex:
    """Index every date the problem names, with room either side for lags."""
    days = [problem.today]
    if problem.end:
        days.append(problem.end)
    for task in problem.tasks:
        days += [d for d in (task.due, task.baseline, task.start, task.met_on) if d]
    # A working day is at most a couple of calendar days on average, holidays included.
    pad = dt.timedelta(days=2 * max([abs(k.lag) for k in links] + [0]) + 30)
    return problem.calendar.index(min(days) - pad, max(days) + pad)


def _fit(
    index: WorkdayIndex,
    calendar: Calendar,
    drafts: Sequence[tuple[Task, int, int, np.ndarray, int, str]],
    incoming: Mapping[int, list[Link]],
    fixed_finish: Mapping[int, int],
    fixed_begin: Mapping[int, int],
) -> WorkdayIndex:
    """Extend the index past the latest finish any run could reach, plus the longest lag.

    The bound is the longest path with every duration at its table's maximum; n calendar days
    on is at most n working days on.
    """
    finish: dict[int, int] = dict(fixed_finish)
    begin: dict[int, int] = dict(fixed_begin)
    longest = 0

    def bound(link: Link) -> int:
        origin = (begin if link.type in FROM_START else finish)[link.predecessor]
        return origin + max(link.lag, 0)

    for task, floor, _, table, shift, _ in drafts:
        mine = incoming.get(task.id, ())
        start = max([floor, *(bound(k) for k in mine if k.type not in TO_FINISH)])
        end = start + max(0, int(table.max()) + shift)
        finish[task.id] = max([end, *(bound(k) for k in mine if k.type in TO_FINISH)])
        begin[task.id] = start if task.start else finish[task.id]
        longest = max([longest, *(abs(k.lag) for k in mine if not k.working)])
    reach = max([*finish.values(), 0]) + longest + 2
    while len(index) <= reach:
        index = calendar.index(index.first, index.last + dt.timedelta(days=2 * reach + 60))
    return index


def _distribution(
    problem: Problem,
    index: WorkdayIndex,
    task: Task,
    today: int,
    remaining: int,
    bootstraps: dict[str, np.ndarray],
) -> tuple[np.ndarray, int, str]:
    """Return the sampling table, the shift added to it, and what it rests on."""
    if task.estimate is not None:
        return _pert_table(*task.estimate), 0, ESTIMATE
    slips = problem.history.get(task.history, ()) if task.history else ()
    if len(slips) >= MIN_HISTORY:
        if task.history not in bootstraps:
            bootstraps[task.history] = _bootstrap_table(slips)
        return bootstraps[task.history], remaining, HISTORY
    horizon = max(0, _due_number(index, task.baseline or task.due) - today)
    early = max(PRIOR_EARLY_FLOOR, round(PRIOR_EARLY_SHARE * horizon))
    late = max(PRIOR_LATE_FLOOR, round(PRIOR_LATE_SHARE * horizon))
    return _prior_table(early, late), remaining, PRIOR


def _levels() -> np.ndarray:
    return (np.arange(SLOTS) + 0.5) / SLOTS


@lru_cache(maxsize=1024)
def _pert_table(optimistic: int, likely: int, pessimistic: int) -> np.ndarray:
    """Quantiles of PERT-beta(o, m, p) at the slot midpoints, rounded to whole days."""
    if pessimistic <= optimistic:
        return _frozen(np.full(SLOTS, likely, dtype=np.int32))
    span = pessimistic - optimistic
    alpha = 1 + PERT_LAMBDA * (likely - optimistic) / span
    beta = 1 + PERT_LAMBDA * (pessimistic - likely) / span
    # Both shapes are 1 to 5, so the density is bounded and a fine trapezoid rule is exact
    # to well under one slot.
    grid = np.linspace(0.0, 1.0, 8193)
    density = grid ** (alpha - 1) * (1 - grid) ** (beta - 1)
    cdf = np.concatenate(([0.0], np.cumsum((density[1:] + density[:-1]) / 2)))
    cdf /= cdf[-1]
    share = np.interp(_levels(), cdf, grid)
    return _frozen(np.rint(optimistic + span * share).astype(np.int32))


@lru_cache(maxsize=1024)
def _prior_table(early: int, late: int) -> np.ndarray:
    """Quantiles of the prior slip at the slot midpoints (see the module docstring)."""
    level = _levels()
    on_plan = PRIOR_ON_PLAN
    ahead = -early * (1 - np.sqrt(np.minimum(level / on_plan, 1.0)))
    behind = late * (1 - np.sqrt(np.maximum((1 - level) / (1 - on_plan), 0.0)))
    return _frozen(np.rint(np.where(level < on_plan, ahead, behind)).astype(np.int32))


def _bootstrap_table(slips: Sequence[int]) -> np.ndarray:
    """Spread sorted samples over the slots, each taking an equal share (to one slot)."""
    samples = np.sort(np.asarray(slips, dtype=np.int32))
    return _frozen(samples[(np.arange(SLOTS) * len(samples)) // SLOTS])


def _frozen(table: np.ndarray) -> np.ndarray:
    table.setflags(write=False)
    return table


def history_slips(calendar: Calendar, closed: Sequence[tuple[dt.date, dt.date]]) -> list[int]:
    """Return each (met on, baseline due) pair's slip in working days (positive is late)."""
    if not closed:
        return []
    days = [day for pair in closed for day in pair]
    index = calendar.index(min(days) - ONE_DAY, max(days) + 8 * ONE_DAY)
    met = np.array([m.toordinal() for m, _ in closed]) + 1
    due = np.array([d.toordinal() for _, d in closed]) + 1
    # Both as the last working day on or before the date, so met on the due date is 0.
    return [int(v) for v in index.numbers(met) - index.numbers(due)]


def new_seed() -> int:
    """Return a random seed that fits a signed 64-bit column."""
    return secrets.randbits(63)
