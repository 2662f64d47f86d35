"""The dependency graph of a contract's milestones: rescheduling and the critical path.

Pure (no database): ``planning`` loads a contract's milestones and links into a ``Graph`` and
writes back what ``propagate`` moved; ``critical_path`` gives each milestone's total float.

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
from dataclasses import dataclass, field
from functools import cached_property
from typing import NoReturn

import numpy as np

from milepost.core.dates import DATE_MAX, DATE_MIN
from milepost.core.workdays import Calendar, WorkdayIndex

from .choices import AnchorEvent, DependencyType, MilestoneStatus

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


@dataclass(frozen=True)
class Move:
    """A milestone whose dates a change moves, and the milestone whose move caused it."""

    id: int
    old_due: dt.date
    new_due: dt.date
    old_start: dt.date | None
    new_start: dt.date | None
    cause: int | None
    basis: str = ""

    @property
    def days(self) -> int:
        return (self.new_due - self.old_due).days


@dataclass
class Propagation:
    """What a change does to the rest of the graph."""

    moves: dict[int, Move] = field(default_factory=dict)
    # Pinned milestones a push would carry past their date, and the date it would need.
    conflicts: dict[int, str] = field(default_factory=dict)
    # Relative dates recomputed, with how (whether or not they moved).
    bases: dict[int, str] = field(default_factory=dict)
    # Every milestone the change reached, so stale conflicts among them can be cleared.
    reached: set[int] = field(default_factory=set)


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


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _anchor_text(anchor: Anchor, title: str, base: dt.date, provisional: bool, skipped: int) -> str:
    """Say how a relative due date was worked out from its anchor's date ``base``."""
    count = abs(anchor.offset)
    unit = ("working day" if anchor.working else "day") + ("" if count == 1 else "s")
    if anchor.event == AnchorEvent.MET:
        event = (
            f"{title} is met (not yet: counted from its due date {_day(base)})"
            if provisional
            else f"{title} met on {_day(base)}"
        )
    else:
        event = f"{title}'s due date {_day(base)}"
    text = f"{count} {unit} {'before' if anchor.offset < 0 else 'after'} {event}"
    if skipped:
        text += f"; {skipped} holiday{'' if skipped == 1 else 's'} skipped"
    return text


def _anchor_base(anchor: Anchor, anchor_node: Node, anchor_due: dt.date) -> tuple[dt.date, bool]:
    """Return the date a relative date counts from, and whether it is provisional.

    A "met" anchor counts from the day it was met, or from its due date until then.
    """
    if anchor.event != AnchorEvent.MET:
        return anchor_due, False
    if anchor_node.status in MET and anchor_node.met_on:
        return anchor_node.met_on, False
    return anchor_due, True


def describe_anchor(
    node: Node, anchor_node: Node, calendar: Calendar, due: dt.date, provisional: bool
) -> str:
    """Say how a relative due date was worked out, naming how many holidays it skipped.

    The holidays counted are the weekday holidays and contract days off strictly between the
    anchor's date and ``due`` (and the anchor's date itself when the offset is zero and it
    fell on one): the days the count passed over.
    """
    assert node.anchor is not None
    anchor = node.anchor
    if anchor.event == AnchorEvent.MET and not provisional:
        base = anchor_node.finish
    else:
        base = anchor_node.due
    skipped = 0
    if anchor.working and base != due:
        low, high = min(base, due), max(base, due)
        if anchor.offset == 0:
            low -= dt.timedelta(days=1)
        skipped = len(calendar.skipped(low, high - dt.timedelta(days=1)))
    return _anchor_text(anchor, anchor_node.title, base, provisional, skipped)


def propagate(
    graph: Graph,
    calendar: Calendar,
    seeds: Iterable[int],
    *,
    starts: dict[int, dt.date | None] | None = None,
    dues: dict[int, dt.date] | None = None,
) -> Propagation:
    """Recompute the milestones that follow ``seeds`` after the seeds changed.

    ``dues`` and ``starts`` give the seeds' new dates (a proposal not yet saved); the graph's
    own nodes hold the rest. Only the seeds' descendants are visited, in dependency order.
    """
    nodes = graph.nodes
    new_due: dict[int, dt.date] = dict(dues or {})
    new_start: dict[int, dt.date | None] = dict(starts or {})
    seeds = set(seeds)
    order = graph._downstream(seeds)
    result = Propagation(reached=set(order))
    incoming = graph.incoming if order else {}
    table: list[WorkingDays] = []

    def shift(day: dt.date, days: int, working: bool) -> dt.date:
        if not working:
            return day + dt.timedelta(days=days)
        if not table:
            table.append(WorkingDays(calendar, day - dt.timedelta(400), day + dt.timedelta(800)))
        return dt.date.fromordinal(table[0].add(day.toordinal(), days, True))

    def skipped(base: dt.date, due: dt.date, offset: int) -> int:
        shift(base, 0, True)  # makes the table
        low, high = min(base, due).toordinal(), max(base, due).toordinal()
        return table[0].holidays_between(low - (offset == 0), high)

    def due_of(pk: int) -> dt.date:
        return new_due.get(pk) or nodes[pk].due

    for node_id in order:
        node = nodes[node_id]
        if node_id in seeds or node.status not in MOVABLE:
            continue
        old_due = new_due.get(node_id) or node.due
        old_start = new_start.get(node_id, node.start)
        target_due, cause = old_due, None
        anchor = node.anchor
        if anchor is not None and anchor.milestone in nodes:
            anchor_node = nodes[anchor.milestone]
            base, provisional = _anchor_base(anchor, anchor_node, due_of(anchor.milestone))
            target_due = shift(base, anchor.offset, anchor.working)
            if target_due != old_due:
                cause = anchor.milestone
            holidays = skipped(base, target_due, anchor.offset) if anchor.working else 0
            result.bases[node_id] = _anchor_text(
                anchor, anchor_node.title, base, provisional, holidays
            )
        # Links push later only, and keep the duration: a start is held as the due date less it.
        span = dt.timedelta(days=(old_due - old_start).days if old_start else 0)
        for link in incoming.get(node_id, ()):
            pk = link.predecessor
            before = nodes.get(pk)
            if before is None or before.status in GONE:
                continue
            # The predecessor's finish (the day it was met, if it was), or its start.
            if before.met_on and before.status in MET:
                origin = before.met_on
            else:
                origin = new_due.get(pk) or before.due
            if link.type in FROM_START:
                own = new_start.get(pk, before.start)
                if own and own < origin:
                    origin = own
            if link.working:
                needed = shift(origin, link.lag, True)
            else:
                needed = origin + dt.timedelta(days=link.lag)
            if link.type not in TO_FINISH:
                needed += span
            if needed > target_due:
                target_due, cause = needed, pk
        if target_due == old_due:
            continue
        if node.pinned:
            if target_due > old_due:
                why = nodes[cause].title if cause is not None else "its predecessors"
                late = (target_due - old_due).days
                result.conflicts[node_id] = (
                    f"Pinned to {_day(old_due)}, but {why} would need it on {_day(target_due)} "
                    f"({late} day{'' if late == 1 else 's'} later)."
                )
            continue
        moved_start = old_start + (target_due - old_due) if old_start else None
        new_due[node_id], new_start[node_id] = target_due, moved_start
        result.moves[node_id] = Move(
            id=node_id,
            old_due=old_due,
            new_due=target_due,
            old_start=old_start,
            new_start=moved_start,
            cause=cause,
            basis=result.bases.get(node_id, ""),
        )
    return result


@dataclass(frozen=True)
class CriticalPath:
    """Each milestone's total float in working days, and the chain with none.

    ``chain`` holds the open milestones with no float (or less than none: already behind a
    pinned date), in date order; ``finish`` is the latest finish of all.
    """

    floats: dict[int, int]
    chain: list[int]
    finish: dt.date | None
    # The latest finish of each milestone in ``floats``, in the same order, as ordinals.
    late: list[int] = field(default_factory=list, repr=False, compare=False)

    def latest_finish(self, node_id: int) -> dt.date:
        """Return the latest day ``node_id`` could finish without moving the finish."""
        return dt.date.fromordinal(self.late[self._position[node_id]])

    @cached_property
    def _position(self) -> dict[int, int]:
        return {node_id: i for i, node_id in enumerate(self.floats)}


def workday_index(graph: Graph, calendar: Calendar, margin: int = 800) -> WorkdayIndex:
    """Number the working days over every date in the graph, with room for lags either side."""
    days = [node.due for node in graph.nodes.values()]
    days += [node.start for node in graph.nodes.values() if node.start]
    days += [node.met_on for node in graph.nodes.values() if node.met_on]
    lag = max((abs(link.lag) for link in graph.links), default=0)
    pad = dt.timedelta(days=margin + 2 * lag)
    return calendar.index(min(days) - pad, max(days) + pad)


# Link types as bits for the backward pass: 1 holds the successor's finish (else its start),
# 2 counts from the predecessor's start (else its finish); 4 marks working days.
_TO_FINISH, _FROM_START, _WORKING = 1, 2, 4
_KIND_BITS: dict[str, int] = {FS: 0, SS: _FROM_START, FF: _TO_FINISH, SF: _TO_FINISH | _FROM_START}


def critical_path(graph: Graph, calendar: Calendar) -> CriticalPath:
    """Return each live milestone's total float against the latest finish, in working days.

    A forward pass is not needed: every milestone already has its dates. The backward pass
    finds, for each, the latest day it could finish without moving the last finish or breaking
    a pinned date, inverting exactly the rules ``propagate`` pushes by (calendar-day spans,
    working or calendar lags); the float is the working days from its finish to that day.
    Pinned, met and not-met milestones cannot move: their latest finish is their finish. Met
    and not-met ones are history, so links to and from them constrain nothing here.

    Why it is written this way: at 10,000 milestones every Python operation per link counts.
    Dates become ordinals, links become flat integer lists sorted by predecessor (built with
    numpy), and the two passes over them (ordering, then latest finishes) touch only ints.
    """
    live = [node for node in graph.nodes.values() if node.status not in GONE]
    if not live:
        return CriticalPath({}, [], None)
    count = len(live)
    ids = [node.id for node in live]
    get = dict(zip(ids, range(count), strict=True)).get
    early = [
        (node.met_on if node.met_on and node.status in MET else node.due).toordinal()
        for node in live
    ]
    # Calendar days from start to finish: a push moves both ends alike.
    span = [
        max(end - node.start.toordinal(), 0) if node.start else 0
        for end, node in zip(early, live, strict=True)
    ]
    movable = [node.status in MOVABLE for node in live]
    project = max(early)
    # The latest finish each milestone is allowed so far; final once all its successors are.
    late = [
        project if can_move and not node.pinned else end
        for end, can_move, node in zip(early, movable, live, strict=True)
    ]

    links = graph.links
    heads = [get(link.predecessor, -1) for link in links]
    tails = [get(link.successor, -1) for link in links]
    bits = [_KIND_BITS.get(link.type, 0) | (_WORKING if link.working else 0) for link in links]
    lags = [link.lag for link in links]
    # An anchor holds its milestone's finish to the anchor's date plus the offset.
    for i, node in enumerate(live):
        if node.anchor is not None:
            heads.append(get(node.anchor.milestone, -1))
            tails.append(i)
            bits.append(_TO_FINISH | (_WORKING if node.anchor.working else 0))
            lags.append(node.anchor.offset)
    # The links into each milestone, as flat lists sliced by successor (CSR, built by numpy).
    head, tail = np.array(heads, dtype=np.int64), np.array(tails, dtype=np.int64)
    # A met or not-met milestone is history: nothing pulls its finish earlier, and it holds
    # back nothing that comes before it. Only links between open milestones count.
    open_ = np.asarray(movable, dtype=bool)
    keep = np.flatnonzero((head >= 0) & (tail >= 0))
    keep = keep[open_[head[keep]] & open_[tail[keep]]]
    by_tail = keep[np.argsort(tail[keep], kind="stable")]
    first_in = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail[keep], minlength=count), out=first_in[1:])
    edge_first: list[int] = first_in.tolist()
    edge_head: list[int] = head[by_tail].tolist()
    edge_bits: list[int] = np.asarray(bits, dtype=np.int64)[by_tail].tolist()
    edge_lag: list[int] = np.asarray(lags, dtype=np.int64)[by_tail].tolist()
    waiting: list[int] = np.bincount(head[keep], minlength=count).tolist()

    # One backward pass, last milestones first: a milestone is settled once every milestone
    # after it is, and each link is visited once, pulling its predecessor's latest finish in.
    days = WorkingDays(
        calendar, dt.date.fromordinal(min(early) - 400), dt.date.fromordinal(project + 60)
    )
    latest_day = days.latest
    settled = [i for i in range(count) if not waiting[i]]
    for i in settled:  # the list grows as the loop runs
        finish, start = late[i], late[i] - span[i]
        for edge in range(edge_first[i], edge_first[i + 1]):
            before, kind = edge_head[edge], edge_bits[edge]
            held = finish if kind & _TO_FINISH else start
            if kind & _WORKING:
                held = latest_day(held, edge_lag[edge], True)
            else:
                held -= edge_lag[edge]
            if kind & _FROM_START:
                held += span[before]
            if held < late[before]:
                late[before] = held
            waiting[before] -= 1
            if not waiting[before]:
                settled.append(before)
    if len(settled) < count:
        # Each milestone left waits on another one left: there is a cycle among them.
        graph._raise_cycle({ids[i] for i in range(count) if waiting[i]})

    numbers = days.counts(late + early)  # one call: the table may grow to take them all
    floats = numbers[:count] - numbers[count:]
    # Ties in date go in dependency order: the reverse of the order settled.
    rank = np.empty(count, dtype=np.int64)
    rank[np.asarray(settled, dtype=np.int64)] = np.arange(count, 0, -1)
    critical = np.flatnonzero((floats <= 0) & open_)
    critical = critical[np.lexsort((rank[critical], np.asarray(early)[critical]))]
    return CriticalPath(
        floats=dict(zip(ids, floats.tolist(), strict=True)),
        chain=[ids[i] for i in critical.tolist()],
        finish=dt.date.fromordinal(project),
        late=late,
    )
