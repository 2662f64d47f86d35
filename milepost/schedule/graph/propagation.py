"""Rescheduling over the graph: what a moved date pushes, and how a relative date is worked out.

Pure (no database): ``planning`` saves what ``propagate`` moved and records each move's cause.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from milepost.core.workdays import Calendar

from ..choices import AnchorEvent
from . import (
    FROM_START,
    GONE,
    MET,
    MOVABLE,
    TO_FINISH,
    Anchor,
    Graph,
    Node,
    WorkingDays,
)


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
