"""What the contract timeline draws, read from the database: rows, links, zooms, pages of lanes.

``timeline_rows`` reads a contract's milestones (with health) and dependencies in two queries;
``drawable_rows`` leaves out a row whose dates no chart can place; ``timeline_critical`` works
out the critical path from the rows already read; ``baseline_shadow`` reads a named baseline's
frozen dates; ``timeline_deadlines`` reads the answers owed under the contract (its open reply
deadlines) in one query. ``timeline.svg`` draws these; the package's ``timeline_context`` puts
them on the contract page.

A long contract is drawn a page of ``LANES_PER_PAGE`` lanes at a time (``?lanes=2`` is the
second page): at 5,000 milestones a single drawing was 2 MB of SVG that took Chromium well over
a second to paint.
"""

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from milepost.communications.choices import CommunicationState
from milepost.communications.deadlines import share_left
from milepost.communications.models import Communication
from milepost.communications.selectors import communication_owed, deems_pending
from milepost.contracts.models import Contract
from milepost.core.dates import date_in_range, left_out_note
from milepost.core.workdays import Calendar
from milepost.schedule.graph import Graph
from milepost.schedule.graph.critical import CriticalPath, critical_path
from milepost.schedule.models import BaselineEntry, Dependency, Milestone
from milepost.schedule.selectors import with_health


class TimelineRow(TypedDict):
    """One milestone as the timeline needs it (a ``values()`` row)."""

    id: int
    title: str
    kind: str
    status: str
    progress: int
    baseline_due_date: dt.date
    due_date: dt.date
    forecast_date: dt.date | None
    health: str
    start_date: dt.date | None
    met_on: dt.date | None
    pinned: bool
    anchor_id: int | None
    anchor_event: str
    anchor_offset: int
    anchor_working_days: bool


# A dependency: predecessor, successor, type (FS, SS, FF, SF), lag, lag in working days.
TimelineLink = tuple[int, int, str, int, bool]


@dataclass(frozen=True)
class BaselineShadow:
    """A named baseline's dates for each milestone it froze: (due date, start date)."""

    name: str
    dates: dict[int, tuple[dt.date, dt.date | None]]


@dataclass(frozen=True)
class DeadlineMark:
    """An answer owed under the contract as the timeline draws it: a lane of its own, from the
    day the communication was sent to the flag on the answer's last day (and a hollow flag on
    the last day before silence is acceptance, once a failure to answer was notified).

    ``band`` is the share of the period for the answer left today
    (``communications.deadlines.share_left``): "more" than half, "less", or "overdue".
    ``label`` and ``detail`` are plain text.
    """

    pk: int
    label: str
    detail: str
    sent_on: dt.date
    due: dt.date
    deems_on: dt.date | None
    band: str


@dataclass(frozen=True)
class Zoom:
    """A horizontal scale: how wide a day is and which period the header ticks mark."""

    name: str
    label: str
    px_per_day: float
    months_per_tick: int


# Every zoom puts roughly 180 px between header ticks, so labels never collide.
ZOOMS: dict[str, Zoom] = {
    "month": Zoom("month", "Month", 6, 1),
    "quarter": Zoom("quarter", "Quarter", 2, 3),
    "year": Zoom("year", "Year", 0.5, 12),
}
DEFAULT_ZOOM = "quarter"
# Lanes drawn at once: a page paints quickly and still shows a good stretch of the plan.
LANES_PER_PAGE = 250
FIELDS = (
    "id",
    "title",
    "kind",
    "status",
    "progress",
    "baseline_due_date",
    "due_date",
    "forecast_date",
    "health",
    "start_date",
    "met_on",
    "pinned",
    "anchor_id",
    "anchor_event",
    "anchor_offset",
    "anchor_working_days",
)


def zoom_or_default(value: str | None) -> str:
    """Return ``value`` if it names a zoom, else the default one."""
    return value if value in ZOOMS else DEFAULT_ZOOM


@dataclass(frozen=True)
class LanePage:
    """Which lanes a page of the timeline draws: page ``number`` of ``count``, from 1."""

    number: int
    count: int
    total: int
    size: int

    @property
    def start(self) -> int:
        """Index of the first lane drawn."""
        return (self.number - 1) * self.size

    @property
    def stop(self) -> int:
        """Index after the last lane drawn."""
        return min(self.start + self.size, self.total)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


def lane_page(value: str | None, total: int, size: int | None = None) -> LanePage:
    """Return the page of lanes ``value`` asks for, ``size`` (``LANES_PER_PAGE``) lanes a page.

    A number from 1 picks that page, past the end the last one; anything else is page 1.
    """
    size = size or LANES_PER_PAGE
    count = max(1, -(-total // size))
    number = int(value) if value and value.isdigit() and len(value) < 9 else 1
    return LanePage(number=min(max(number, 1), count), count=count, total=total, size=size)


def timeline_rows(
    *, contract: Contract, now: dt.datetime | None = None
) -> tuple[list[TimelineRow], list[TimelineLink]]:
    """Return a contract's milestones (with health) and its dependencies, in two queries.

    The caller checked access.
    """
    rows = list(
        with_health(Milestone.objects.filter(contract=contract), now=now)
        .order_by("due_date", "id")
        .values(*FIELDS)
    )
    links = list(
        # dependency_add keeps both ends in one contract, so the successor's side suffices.
        Dependency.objects.filter(successor__contract=contract).values_list(
            "predecessor_id", "successor_id", "type", "lag", "working_days"
        )
    )
    return rows, links


def drawable_rows(rows: list[TimelineRow]) -> tuple[list[TimelineRow], str]:
    """Leave out the rows with a date out of range (no chart can place them); say which."""
    bad = [
        row
        for row in rows
        if not (
            date_in_range(row["due_date"])
            and date_in_range(row["baseline_due_date"])
            and date_in_range(row["forecast_date"])
            and date_in_range(row["start_date"])
            and date_in_range(row["met_on"])
        )
    ]
    if not bad:
        return rows, ""
    gone = {row["id"] for row in bad}
    return [row for row in rows if row["id"] not in gone], left_out_note(
        [row["title"] for row in bad]
    )


def timeline_critical(
    rows: list[TimelineRow], links: list[TimelineLink], calendar: Calendar
) -> CriticalPath:
    """Return the critical path of the milestones drawn, from the rows already read."""
    graph = Graph.from_rows(
        (
            (
                row["id"],
                row["title"],
                row["due_date"],
                row["start_date"],
                row["status"],
                row["met_on"],
                row["pinned"],
                row["anchor_id"],
                row["anchor_event"],
                row["anchor_offset"],
                row["anchor_working_days"],
            )
            for row in rows
        ),
        links,
    )
    return critical_path(graph, calendar)


def baseline_shadow(*, baseline_id: int, name: str) -> BaselineShadow:
    """Return a baseline's frozen dates, in one query; the caller checked it is the contract's."""
    entries = BaselineEntry.objects.filter(baseline_id=baseline_id).values_list(
        "milestone_id", "due_date", "start_date"
    )
    return BaselineShadow(
        name=name,
        dates={
            pk: (due, start)
            for pk, due, start in entries
            if date_in_range(due) and date_in_range(start)
        },
    )


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _left(due: dt.date, today: dt.date) -> str:
    days = (due - today).days
    if days < 0:
        return f"overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} left"


# The soonest answers owed, each a lane of its own; the register lists them all.
MAX_DEADLINES = 20


def timeline_deadlines(*, contract: Contract, today: dt.date) -> list[DeadlineMark]:
    """Return the contract's open reply deadlines (the soonest 20), earliest first, in one query.

    Those are its communications sent and waiting for an answer; a draft, seen only by its
    sender's organisation, never has one, so every party sees the same marks. The caller
    checked access.
    """
    rows = (
        Communication.objects.filter(contract=contract, awaiting=True, reply_due__isnull=False)
        .exclude(state=CommunicationState.DRAFT)
        .select_related("owed_by__organisation")
        .defer("text")
        .order_by("reply_due", "number")[:MAX_DEADLINES]
    )
    marks = []
    for c in rows:
        due = c.reply_due
        if due is None:
            continue
        # Once deemed, the period that runs is the quotation's, from the day it was deemed.
        start = c.deemed_on if c.state == CommunicationState.DEEMED else c.sent_on
        sent = min(start or due, due)
        deems_on = c.deems_on if deems_pending(c) else None
        if not (date_in_range(sent) and date_in_range(due)):
            continue
        if not date_in_range(deems_on):
            deems_on = None
        owed = communication_owed(c, contract.form)
        owed_by = c.owed_by.organisation.name if c.owed_by else "the other party"
        cited = f" (cl. {owed.clause})" if owed.clause else ""
        detail = (
            f"{c.reference} {c.subject}: {owed.what.lower()} due from {owed_by} by {_day(due)}"
            f"{cited}, {_left(due, today)}"
        )
        if deems_on is not None:
            deemed = f" (cl. {owed.deemed_clause})" if owed.deemed_clause else ""
            detail += (
                f"; the failure to reply was notified: treated as accepted unless {owed_by} "
                f"replies by {_day(deems_on)}{deemed}"
            )
        marks.append(
            DeadlineMark(
                pk=c.pk,
                label=f"{owed.what} due: {c.reference} {c.subject}",
                detail=detail,
                sent_on=sent,
                due=due,
                deems_on=deems_on,
                band=share_left(start=sent, due=due, today=today),
            )
        )
    return marks
