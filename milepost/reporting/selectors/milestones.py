"""Reads behind the milestone list page, and the date conditions the dashboard shares."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from milepost.accounts.models import User
from milepost.approvals.selectors import gates_awaiting as _gates_awaiting
from milepost.contracts.models import Contract
from milepost.core.dates import today_groups
from milepost.schedule.choices import (
    OPEN_STATUSES,
    Health,
)
from milepost.schedule.models import NOT_DONE, Milestone
from milepost.schedule.selectors import (
    milestone_filter,
    milestones_for_user,
    milestones_listed,
    overdue_q,
)

# Windows a count on the dashboard stands for, each measured from the contract's own today.
WINDOWS = ("next7", "next30", "this_month")
# How bad a health is, so that a contract shows the worst of its milestones'.
HEALTH_RANK = {Health.ON_TRACK: 1, Health.AT_RISK: 2, Health.OVERDUE: 3}


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    return _add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    """Return the first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


Dates = list[tuple[dt.date, Q]]


def _local_dates(now: dt.datetime | None) -> Dates:
    """Each local date that contracts are on now, with the condition that picks their milestones.

    Only the time zones some contract uses are named (one small query), so that the usual case,
    every contract on the same date, needs no condition at all. The condition is a subquery
    that the database runs once per statement.
    """
    common, others = today_groups(now)
    used = set(Contract.objects.order_by().values_list("time_zone", flat=True).distinct())
    elsewhere = {day: [name for name in zones if name in used] for day, zones in others.items()}
    elsewhere = {day: zones for day, zones in elsewhere.items() if zones}
    if not elsewhere:
        return [(common, Q())]

    def in_zones(zones: list[str]) -> Q:
        return Q(contract_id__in=Contract.objects.filter(time_zone__in=zones).values("id"))

    everywhere_else = [name for zones in elsewhere.values() for name in zones]
    return [(common, ~in_zones(everywhere_else))] + [
        (day, in_zones(zones)) for day, zones in elsewhere.items()
    ]


def _due_before(shift: Callable[[dt.date], dt.date], dates: Dates) -> Q:
    """Whether a milestone is due before ``shift`` of its contract's local today.

    A milestone due before the earliest shifted date is, whatever its contract's time zone;
    the zone is consulted only for the few due in between, so that a pass over every open
    milestone joins no contract (SQL's OR stops at its first true operand).
    """
    bounds = [(shift(day), on) for day, on in dates]
    lowest = min(bound for bound, _ in bounds)
    condition = Q(due_date__lt=lowest)
    for bound, on in bounds:
        if bound > lowest:
            condition |= Q(due_date__lt=bound) & on
    return condition


def _due_within(
    first: Callable[[dt.date], dt.date], last: Callable[[dt.date], dt.date], dates: Dates
) -> Q:
    """Whether a milestone is due from ``first`` to ``last`` (inclusive) of its contract's today.

    The outer bounds are repeated as plain range terms, so that an index on the due date can
    serve them.
    """
    days = [day for day, _ in dates]
    after = lambda day: last(day) + dt.timedelta(days=1)  # noqa: E731
    return (
        Q(due_date__gte=min(map(first, days)), due_date__lt=max(map(after, days)))
        & ~_due_before(first, dates)
        & _due_before(after, dates)
    )


def _window_q(window: str, dates: Dates) -> Q:
    """Whether a milestone is in ``window`` of its contract's local calendar.

    The day windows (next 7 and 30 days) hold open milestones only; the month holds all.
    """
    if window == "this_month":
        return _due_within(_month_start, _month_end, dates)
    days = {"next7": 7, "next30": 30}[window]
    return Q(status__in=OPEN_STATUSES) & _due_within(
        lambda day: day, lambda day: day + dt.timedelta(days=days), dates
    )


# The milestone list page

# What the list page sorts by: each order ends in the id, so that pages never overlap or skip.
_HEALTH_RANK = Case(
    When(health=Health.OVERDUE, then=Value(3)),
    When(health=Health.AT_RISK, then=Value(2)),
    When(health=Health.ON_TRACK, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
SORTS: dict[str, tuple[Any, ...]] = {
    "due_date": ("due_date", "id"),
    "-due_date": ("-due_date", "-id"),
    "health": (_HEALTH_RANK.desc(), "due_date", "id"),
    "progress": ("progress", "due_date", "id"),
    "title": ("title", "due_date", "id"),
    "contract": ("contract__reference", "due_date", "id"),
}


@dataclass(frozen=True)
class MilestoneFilters:
    """What the milestone list page filters by: the REST list's filters plus the dashboard's."""

    contract: int | None = None
    kind: str | None = None
    status: str | None = None
    health: str | None = None
    owner: str | None = None
    responsible_party: int | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool | None = None
    critical: bool | None = None
    q: str = ""
    window: str | None = None
    open: bool | None = None
    awaiting: bool | None = None
    order: str = "due_date"


def milestones_filtered(
    *, user: User, filters: MilestoneFilters, now: dt.datetime | None = None
) -> QuerySet[Milestone]:
    """Return the user's milestones that match ``filters``, in the order ``filters.order`` names.

    The filters mean what they mean on GET /api/v1/milestones (``milestone_filter``), plus the
    list page's own: open or not, a due window and gates awaiting the user's decision.
    """
    f = filters
    # In due-date order, and health order (``HealthFirstPaginator``: due-date order within each
    # health), a page is read from a due-date index and stops there; any other order sorts
    # every match, best done from the visible contracts' covering index.
    in_index_order = f.order in ("due_date", "-due_date", "health")
    listed = milestones_listed if in_index_order else milestones_for_user
    qs = listed(user=user, now=now)
    conditions = milestone_filter(
        user=user,
        contract=f.contract,
        kind=f.kind,
        status=f.status,
        health=f.health,
        owner=f.owner,
        responsible_party=f.responsible_party,
        due_from=f.due_from,
        due_to=f.due_to,
        overdue=f.overdue,
        critical=f.critical,
        q=f.q,
    )
    if f.open is not None:
        still_open = Q(status__in=OPEN_STATUSES)
        conditions &= still_open if f.open else ~still_open
    qs = qs.filter(conditions)
    if f.window:
        qs = qs.filter(_window_q(f.window, _local_dates(now)))
    if f.awaiting:
        qs = _gates_awaiting(qs, user)
    return qs.order_by(*SORTS.get(f.order, SORTS["due_date"]))


class SortKeysFirstPaginator(Paginator):
    """Pages of a milestone list that find a page's milestones by their sort keys alone.

    An order no index serves (health, progress, title) sorts every matching milestone; reading
    only the ids and the keys for that (from the covering index, no joins) and then the page's
    own rows in full keeps the sort narrow, where sorting whole rows with their contract, owner
    and parties read for each cost the list sorted by health most of its time.
    """

    def bounds(self, number: Any) -> tuple[int, int, int]:
        """The page's number once checked, and where it starts and ends in the whole list."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return number, bottom, top

    def page(self, number: Any) -> Page:
        number, bottom, top = self.bounds(number)
        qs = cast(QuerySet[Milestone], self.object_list)
        return Page(list(qs.filter(pk__in=qs.values("pk")[bottom:top])), number, self)


# The health order's groups, worst first, each read in due-date order: the overdue from the
# partial index of unfinished milestones, at risk and on track from it too (they are unfinished),
# done from the due-date index.
HEALTH_GROUPS: tuple[tuple[str, Q], ...] = (
    ("overdue", overdue_q()),
    ("at_risk", NOT_DONE & Q(health=Health.AT_RISK)),
    ("on_track", NOT_DONE & Q(health=Health.ON_TRACK)),
    ("done", Q(health=Health.DONE)),
)


class HealthFirstPaginator(SortKeysFirstPaginator):
    """Pages of a milestone list in health order (worst first, then due date) without a sort.

    A page takes its slice of each health group it spans, each group read in due-date order
    from an index and stopped at the slice. A group's size is counted only when the page starts
    past its beginning, so that the first page (the overdue, usually) costs the total count and
    one read of 50 rows, as the overdue list does. The list's queryset keeps the health order
    (``SORTS``) for a page past the overdue, which sorts the keys instead.
    """

    def page(self, number: Any) -> Page:
        number, bottom, top = self.bounds(number)
        qs = cast(QuerySet[Milestone], self.object_list)
        ids: list[int] = []
        start = 0  # where the group begins in the whole list
        for name, condition in HEALTH_GROUPS:
            if start >= top:
                break
            group = qs.filter(condition).order_by("due_date", "id")
            low = max(bottom - start, 0)
            if low > 0 and name != "overdue":
                # Counting the other groups means working out every milestone's health: on a
                # page that deep, sorting the sort keys (the list's own order) costs less.
                return SortKeysFirstPaginator.page(self, number)
            if low > 0:
                # The page starts past this group's beginning: how far does the group reach?
                size = group.count()
                if size > low:
                    ids += group.values_list("pk", flat=True)[low : top - start]
                start += size
                continue
            taken = list(group.values_list("pk", flat=True)[: top - start])
            ids += taken
            start += len(taken)  # the whole group when it ran short, else the page is full
        rows = {row.pk: row for row in qs.filter(pk__in=ids).order_by()}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)


def milestone_paginator(qs: QuerySet[Milestone], per_page: int, order: str) -> Paginator:
    """Return the paginator for a milestone list in ``order`` (``SORTS``)."""
    if order == "health":
        return HealthFirstPaginator(qs, per_page)
    return SortKeysFirstPaginator(qs, per_page)
