"""The dependency graph of a contract's milestones, and the working days it counts in.

Pure (no database), like the rest of this package: ``planning`` loads a contract's milestones
and links into a ``Graph``; ``graph.propagation`` reschedules over it (``propagate``) and
``graph.critical`` works out each milestone's total float (``critical_path``).

How a link constrains its successor (``lag`` days after the named end of the predecessor):
- finish-to-start: the successor starts no earlier than the predecessor finishes;
- start-to-start: it starts no earlier than the predecessor starts;
- finish-to-finish: it finishes no earlier than the predecessor finishes;
- start-to-finish: it finishes no earlier than the predecessor starts.

A milestone without a start date is a point in time: it starts when it is due. A met
milestone finishes on the day it was met; waived and cancelled ones constrain nothing.
A relative due date ("N days after X is met") follows its anchor exactly, earlier or later;
links only ever push a milestone later, keeping its duration. A pinned milestone never moves:
a push past it is a conflict, reported rather than applied, and what follows it is worked out
from its unchanged date.

Counting working days: N > 0 working days after a day is the N-th working day after it; zero
working days after a day is that day if it is worked, else the next working day; N < 0 is the
N-th working day before it. ``WorkingDays`` does this by table look-up, so that a pass over
10,000 milestones adds integers instead of walking calendars day by day.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import NoReturn

import numpy as np

from milepost.core.dates import DATE_MAX, DATE_MIN
from milepost.core.workdays import Calendar

from ..choices import DependencyType, MilestoneStatus

FS, SS, FF, SF = (
    DependencyType.FINISH_TO_START,
    DependencyType.START_TO_START,
    DependencyType.FINISH_TO_FINISH,
    DependencyType.START_TO_FINISH,
)
# Which end of the predecessor a link counts from, and which end of the successor it holds.
FROM_START = frozenset({SS, SF})
TO_FINISH = frozenset({FF, SF})
MET = frozenset({MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET})
GONE = frozenset({MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED})
MOVABLE = frozenset({MilestoneStatus.SCHEDULED, MilestoneStatus.IN_PROGRESS})
# numpy's datetime64[D] counts days from 1970-01-01.
EPOCH = dt.date(1970, 1, 1).toordinal()
# The working-day table never grows past these years: no contract plans beyond them.
EARLIEST = dt.date(1900, 1, 1).toordinal()
LATEST = dt.date(2299, 12, 31).toordinal()


# The columns ``Graph.from_rows`` reads, in order, as ``values_list`` gives them.
NODE_COLUMNS = (
    "id",
    "title",
    "due_date",
    "start_date",
    "status",
    "met_on",
    "pinned",
    "anchor_id",
    "anchor_event",
    "anchor_offset",
    "anchor_working_days",
)
LINK_COLUMNS = ("predecessor_id", "successor_id", "type", "lag", "working_days")
NodeRow = tuple[
    int, str, dt.date, dt.date | None, str, dt.date | None, bool, int | None, str, int, bool
]
LinkRow = tuple[int, int, str, int, bool]


# Node, Link and Anchor are values, never changed once made. They are not frozen because a
# frozen dataclass sets each field through object.__setattr__, which made loading a
# 10,000-milestone graph three times slower; unsafe_hash keeps them hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Anchor:
    """A relative due date: ``offset`` (working) days after ``milestone`` is met or is due."""

    milestone: int
    event: str
    offset: int
    working: bool


@dataclass(slots=True, unsafe_hash=True)
class Node:
    """One milestone as the graph sees it."""

    id: int
    title: str
    due: dt.date
    start: dt.date | None = None
    status: str = MilestoneStatus.SCHEDULED
    met_on: dt.date | None = None
    pinned: bool = False
    anchor: Anchor | None = None

    @property
    def finish(self) -> dt.date:
        return self.met_on if self.status in MET and self.met_on else self.due

    @property
    def begin(self) -> dt.date:
        return min(self.start, self.finish) if self.start else self.finish


@dataclass(slots=True, unsafe_hash=True)
class Link:
    """A dependency: ``successor`` follows ``predecessor`` by ``type`` with ``lag`` days."""

    predecessor: int
    successor: int
    type: str = FS
    lag: int = 0
    working: bool = False


class GraphCycle(ValueError):
    """The links and anchors close a loop; ``cycle`` lists it, first milestone repeated last."""

    def __init__(self, cycle: list[int], names: list[str]) -> None:
        super().__init__(f"The graph has a cycle: {' → '.join(names)}.")
        self.cycle = cycle


def _in_range(node: Node) -> bool:
    return (
        DATE_MIN <= node.due <= DATE_MAX
        and (node.start is None or DATE_MIN <= node.start <= DATE_MAX)
        and (node.met_on is None or DATE_MIN <= node.met_on <= DATE_MAX)
    )


class Graph:
    """Milestones and the links between them, including each relative date's anchor.

    The look-up tables (``incoming``, ``outgoing``, ``anchored``) are built on first use:
    the critical path needs none of them.
    """

    def __init__(self, nodes: Iterable[Node], links: Iterable[Link]) -> None:
        self.nodes: dict[int, Node] = {node.id: node for node in nodes}
        self.links: list[Link] = list(links)
        # Milestones left out because a date is out of range (an old row saved before dates
        # were checked): no arithmetic can be done on them. Callers say so beside the result.
        self.left_out: list[Node] = []

    @classmethod
    def from_rows(cls, nodes: Iterable[NodeRow], links: Iterable[LinkRow]) -> "Graph":
        """Build a graph from database rows laid out as ``NODE_COLUMNS`` and ``LINK_COLUMNS``.

        Positional construction: keyword arguments made building 10,000 nodes half as fast.
        """
        built = [
            Node(pk, title, due, start, status, met_on, pinned,
                 Anchor(anchor_id, event, offset, working) if anchor_id else None)
            for pk, title, due, start, status, met_on, pinned, anchor_id, event, offset, working
            in nodes
        ]  # fmt: skip
        kept = [node for node in built if _in_range(node)]
        if len(kept) == len(built):
            return cls(built, [Link(*row) for row in links])
        ids = {node.id for node in kept}
        graph = cls(
            [
                node
                if node.anchor is None or node.anchor.milestone in ids
                else Node(node.id, node.title, node.due, node.start, node.status, node.met_on,
                          node.pinned, None)
                for node in kept
            ],
            [Link(*row) for row in links if row[0] in ids and row[1] in ids],
        )  # fmt: skip
        graph.left_out = [node for node in built if node.id not in ids]
        return graph

    @cached_property
    def incoming(self) -> dict[int, list[Link]]:
        found: dict[int, list[Link]] = defaultdict(list)
        for link in self.links:
            found[link.successor].append(link)
        return found

    @cached_property
    def outgoing(self) -> dict[int, list[Link]]:
        found: dict[int, list[Link]] = defaultdict(list)
        for link in self.links:
            found[link.predecessor].append(link)
        return found

    @cached_property
    def anchored(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for node in self.nodes.values():
            if node.anchor is not None:
                found[node.anchor.milestone].append(node.id)
        return found

    @cached_property
    def _next(self) -> dict[int, list[int]]:
        """What follows each milestone directly, by link or by anchor."""
        found: dict[int, list[int]] = defaultdict(list)
        for link in self.links:
            found[link.predecessor].append(link.successor)
        for node in self.nodes.values():
            if node.anchor is not None:
                found[node.anchor.milestone].append(node.id)
        return found

    def after(self, node_id: int) -> list[int]:
        """Return the milestones that follow ``node_id`` directly, by link or by anchor."""
        return list(self._next.get(node_id, ()))

    def path(self, start: int, goal: int) -> list[int] | None:
        """Return a path of links and anchors from ``start`` to ``goal``, or None."""
        following = self._next
        previous: dict[int, int | None] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            if current == goal:
                found = [current]
                while (parent := previous[found[-1]]) is not None:
                    found.append(parent)
                return found[::-1]
            for nxt in following.get(current, ()):
                if nxt not in previous:
                    previous[nxt] = current
                    queue.append(nxt)
        return None

    def descendants(self, seeds: Iterable[int]) -> set[int]:
        """Return every milestone reachable from ``seeds`` (the seeds included)."""
        following = self._next
        seen = set(seeds)
        stack = list(seen)
        while stack:
            for nxt in following.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def order(self, subset: set[int] | None = None) -> list[int]:
        """Return ``subset`` (default: all) in an order where each follows what it depends on.

        Raise ``GraphCycle`` (a ``ValueError``) naming a cycle if there is one.
        """
        members = set(self.nodes) if subset is None else subset
        following = self._next
        waiting = dict.fromkeys(members, 0)
        for node in members:
            for nxt in following.get(node, ()):
                if nxt in waiting:
                    waiting[nxt] += 1
        result = sorted(node for node, count in waiting.items() if count == 0)
        for node in result:  # the list grows as the loop runs
            for nxt in following.get(node, ()):
                if nxt in waiting:
                    waiting[nxt] -= 1
                    if waiting[nxt] == 0:
                        result.append(nxt)
        if len(result) != len(members):
            self._raise_cycle({node for node, count in waiting.items() if count > 0})
        return result

    def _raise_cycle(self, left: set[int]) -> NoReturn:
        """Raise ``GraphCycle`` for a cycle among ``left``, the milestones ``order`` could not place.

        Each of them waits on another of them, so walking back from any one repeats.
        """
        before: dict[int, int] = {}
        for node in left:
            for nxt in self._next.get(node, ()):
                if nxt in left:
                    before[nxt] = node
        walk = [min(left)]
        seen = {walk[0]: 0}
        while (parent := before[walk[-1]]) not in seen:
            seen[parent] = len(walk)
            walk.append(parent)
        cycle = [*walk[seen[parent] :], parent][::-1]
        names = [self.nodes[pk].title if pk in self.nodes else f"#{pk}" for pk in cycle]
        raise GraphCycle(cycle, names)

    def _downstream(self, seeds: set[int]) -> list[int]:
        """Return the seeds and what follows them, in dependency order (known milestones only)."""
        reached = self.descendants(seed for seed in seeds if seed in self.nodes)
        return self.order({pk for pk in reached if pk in self.nodes})


class WorkingDays:
    """Working-day arithmetic on date ordinals (``date.toordinal()``), by table look-up.

    ``add`` counts as the module docstring says; ``latest`` inverts it. The table covers a
    span of dates and doubles when asked about a day beyond it.
    """

    def __init__(self, calendar: Calendar, first: dt.date, last: dt.date) -> None:
        self.calendar = calendar
        self._build(first.toordinal(), last.toordinal())

    def _build(self, first: int, last: int) -> None:
        self.index = self.calendar.index(dt.date.fromordinal(first), dt.date.fromordinal(last))
        self.first, self.last = first, last
        # For each day of the span, the number of the working day on or after it.
        self._number: list[int] = self.index.by_day.tolist()
        # For each working-day number, its ordinal.
        self._ordinal: list[int] = (self.index.working_days.astype(np.int64) + EPOCH).tolist()
        self._off: list[int] | None = None

    def _grow(self, day: int, days: int = 0) -> None:
        reach = 2 * abs(days) + 60
        span = max(self.last - self.first, reach)
        first = max(min(self.first, day - reach) - span, EARLIEST)
        last = min(max(self.last, day + reach) + span, LATEST)
        if (first, last) == (self.first, self.last):
            raise ValueError(f"Working days beyond {dt.date.fromordinal(day)} are out of reach.")
        self._build(first, last)

    def cover(self, first: int, last: int) -> None:
        """Make the table reach from ordinal ``first`` to ``last``."""
        while first < self.first or last > self.last:
            self._grow(first if first < self.first else last)

    def _is_working(self, day: int, number: int) -> bool:
        return number < len(self._ordinal) and self._ordinal[number] == day

    def add(self, day: int, days: int, working: bool) -> int:
        """Return ``day`` moved ``days`` later (earlier if negative), working days if asked."""
        if not working:
            return day + days
        while True:
            offset = day - self.first
            if 0 <= offset < len(self._number):
                number = self._number[offset]
                # Counting forwards from a day off starts at the working day before it.
                if days > 0 and not self._is_working(day, number):
                    number -= 1
                number += days
                if 0 <= number < len(self._ordinal):
                    return self._ordinal[number]
            self._grow(day, days)

    def latest(self, day: int, days: int, working: bool) -> int:
        """Return the latest day that ``add(…, days, working)`` does not carry past ``day``."""
        if not working:
            return day - days
        while True:
            offset = day - self.first
            if 0 <= offset < len(self._number):
                number = self._number[offset]
                if not self._is_working(day, number):
                    number -= 1  # the last working day on or before ``day``
                # N > 0 days after any day up to the eve of working day (this - N + 1) lands
                # on or before ``day``; zero or fewer count from the working day itself.
                number -= days - 1 if days > 0 else days
                if 0 <= number < len(self._ordinal):
                    return self._ordinal[number] - (1 if days > 0 else 0)
            self._grow(day, days)

    def holidays_between(self, after: int, before: int) -> int:
        """Count the weekday holidays and days off strictly between two ordinals."""
        low, high = min(after, before), max(after, before)
        self.cover(low, high)
        if self._off is None:
            days_off = self.calendar.days_off(
                dt.date.fromordinal(self.first), dt.date.fromordinal(self.last)
            )
            self._off = [day.toordinal() for day in days_off]
        return max(0, bisect_left(self._off, high) - bisect_right(self._off, low))

    def counts(self, ordinals: list[int]) -> np.ndarray:
        """Number each day by the last working day on or before it (vectorised)."""
        self.cover(min(ordinals), max(ordinals))
        offsets = np.asarray(ordinals, dtype=np.int64) - self.first
        number = self.index.by_day[offsets]
        working = np.zeros(len(self.index.by_day), dtype=bool)
        working[np.asarray(self._ordinal, dtype=np.int64) - self.first] = True
        return np.asarray(number - ~working[offsets])
