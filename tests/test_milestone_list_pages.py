"""The milestone list page's pages: each order pages through the same rows the plain sort gives."""

import datetime as dt
from typing import Any

import pytest

from milepost.reporting.selectors import MilestoneFilters, milestones_filtered
from milepost.reporting.selectors.milestones import milestone_paginator
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone

# A Wednesday morning in London, so that every contract is on the same day whatever the clock.
START = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


def varied(world: Any) -> None:
    """Milestones of every health: overdue, not met, at risk, on track and done, ties on a day."""
    days = [-30, -12, -12, -3, 2, 5, 5, 9, 20, 45, 60, 60, 90, -40, -8]
    made = [
        world.deliverable(f"Deliverable {n:02d}", due_date=world.today + dt.timedelta(days=d))
        for n, d in enumerate(days)
    ]
    Milestone.objects.filter(pk__in=[made[0].pk, made[13].pk, made[10].pk]).update(
        status=MilestoneStatus.MET, progress=100, met_on=world.today
    )
    Milestone.objects.filter(pk=made[11].pk).update(status=MilestoneStatus.NOT_MET)
    Milestone.objects.filter(pk__in=[made[9].pk, made[12].pk]).update(progress=50)
    Milestone.objects.filter(pk=made[12].pk).update(risk_note="Steel delivery late.")


def pages(qs: Any, order: str, size: int) -> list[int]:
    paginator = milestone_paginator(qs, size, order)
    return [m.pk for n in paginator.page_range for m in paginator.page(n).object_list]


@pytest.mark.parametrize("order", ["health", "due_date", "-due_date", "title", "progress"])
def test_every_page_holds_the_rows_the_plain_sort_puts_there(w, order):
    varied(w)
    qs = milestones_filtered(user=w.client_manager, filters=MilestoneFilters(order=order))
    expected = [m.pk for m in qs]
    assert len(expected) == 15
    for size in (1, 2, 4, 50):
        assert pages(qs, order, size) == expected, size


def test_the_health_order_puts_the_overdue_first_then_at_risk_on_track_and_done(w):
    varied(w)
    qs = milestones_filtered(user=w.client_manager, filters=MilestoneFilters(order="health"))
    healths = [m.health for m in milestone_paginator(qs, 50, "health").page(1).object_list]
    rank = {"overdue": 0, "at_risk": 1, "on_track": 2, "done": 3}
    assert healths == sorted(healths, key=rank.__getitem__)
    assert set(healths) == set(rank)


def test_the_first_health_page_reads_no_health_of_the_rows_past_it(
    w, django_assert_max_num_queries
):
    # The total, the page's ids from the overdue group, and those rows: no count per health.
    varied(w)
    qs = milestones_filtered(user=w.client_manager, filters=MilestoneFilters(order="health"))
    with django_assert_max_num_queries(3):
        assert len(milestone_paginator(qs, 2, "health").page(1).object_list) == 2
