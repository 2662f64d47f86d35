"""The milestone list's rules over HTTP: unknown parameters refused, the overdue list, both orders."""

import datetime as dt
from typing import Any

from django.test import Client

from milepost.accounts.services import api_token_create
from milepost.schedule.choices import Health, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestones_for_user

API = "/api/v1"
# A Wednesday morning in London, so that every contract is on the same day whatever the clock.
START = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


def bearer(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="lists", read_only=True)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def every_page(client: Client, query: str) -> list[int]:
    """Follow the cursors of ``query`` two at a time; return every id in the order given."""
    seen: list[int] = []
    cursor = None
    while True:
        page = client.get(
            f"{API}/milestones?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")
        )
        assert page.status_code == 200, page.content
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def mixed(world: Any) -> list[Milestone]:
    """Milestones past and future, open, not met and met, some on the same day."""
    days = [-20, -20, -5, -1, 0, 3, 3, 12, 40]
    made = [
        world.deliverable(f"Deliverable {n}", due_date=world.today + dt.timedelta(days=d))
        for n, d in enumerate(days)
    ]
    Milestone.objects.filter(pk=made[1].pk).update(
        status=MilestoneStatus.MET, progress=100, met_on=world.today
    )
    Milestone.objects.filter(pk__in=[made[5].pk, made[8].pk]).update(status=MilestoneStatus.NOT_MET)
    return made


def test_an_unknown_query_parameter_is_refused_naming_it_and_the_real_ones(world):
    client = bearer(world.client_manager)
    response = client.get(f"{API}/milestones?sort=-due_date")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "sort"
    assert error["message"].startswith("sort: This request takes no such parameter; it takes ")
    assert "order" in error["message"] and "cursor" in error["message"]


def test_the_declared_parameters_are_still_taken(world):
    client = bearer(world.client_manager)
    assert client.get(f"{API}/milestones?order=-due_date&limit=5&overdue=false").status_code == 200


def test_an_unknown_parameter_is_refused_on_another_list_too(world):
    # Not a rule of one endpoint: every operation that declares its query parameters keeps it.
    response = bearer(world.client_manager).get(f"{API}/notifications?unred=true")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "unred"


def test_an_operation_that_takes_no_query_parameters_refuses_one_and_changes_nothing(world):
    made = world.deliverable()
    client = bearer(world.client_manager)
    response = client.get(f"{API}/milestones/{made.pk}?fields=title")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "fields"
    assert error["message"].endswith("it takes no query parameters.")
    # a write with a stray parameter is refused before it changes anything
    _, raw = api_token_create(user=made.owner, name="writes")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"{API}/milestones/{made.pk}/comments?notify=all",
        data={"text": "Scaffold inspected."},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "notify"
    assert not made.comments.exists()
    assert client.get(f"{API}/milestones/{made.pk}").status_code == 200


def test_credentials_are_checked_before_the_parameters(world):
    assert Client().get(f"{API}/milestones?sort=-due_date").status_code == 401


def test_the_overdue_list_holds_exactly_the_milestones_whose_health_is_overdue(w):
    world = w
    made = mixed(world)
    client = bearer(world.client_manager)
    visible = milestones_for_user(user=world.client_manager)
    overdue = list(visible.filter(health=Health.OVERDUE).values_list("id", flat=True))
    others = list(visible.exclude(health=Health.OVERDUE).values_list("id", flat=True))
    assert every_page(client, "overdue=true&order=due_date") == overdue
    assert every_page(client, "health=overdue") == overdue
    assert every_page(client, "overdue=false") == others
    assert {made[0].pk, made[2].pk, made[3].pk, made[5].pk, made[8].pk} == set(overdue)


def test_both_orders_page_through_every_milestone_once_with_ties_on_a_day(w):
    world = w
    mixed(world)
    client = bearer(world.client_manager)
    ascending = every_page(client, "order=due_date")
    expected = list(Milestone.objects.order_by("due_date", "id").values_list("id", flat=True))
    assert ascending == expected
    assert every_page(client, "order=-due_date") == expected[::-1]
