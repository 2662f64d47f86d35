"""The critical path over the graph: each milestone's total float, the chain with none, the finish.

Pure (no database): ``schedule.critical`` runs it on a contract's graph and adds what people
read beside the numbers; the timeline and the benchmark run it on graphs of their own.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from milepost.core.workdays import Calendar, WorkdayIndex

from . import (
    FF,
    FS,
    GONE,
    MET,
    MOVABLE,
    SF,
    SS,
    Graph,
    WorkingDays,
)

# Link types as bits for the backward pass: 1 holds the successor's finish (else its start),
# 2 counts from the predecessor's start (else its finish); 4 marks working days.
_TO_FINISH, _FROM_START, _WORKING = 1, 2, 4


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
