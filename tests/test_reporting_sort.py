"""The milestone list's "Sort by": each order, its validation, and pages that keep it."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from milepost.schedule.models import Milestone

from .conftest import PASSWORD

DAY = dt.timedelta(days=1)
ROW = re.compile(r'<th scope="row"><a href="/milestones/\d+/">([^<]+)</a>')
URL = "/milestones/"


@pytest.fixture
def client_for(client, world):
    assert client.login(username=world.supplier_member.username, password=PASSWORD)
    return client


def order_of(response) -> list[str]:
    assert response.status_code == 200
    return [html.unescape(t) for t in ROW.findall(response.content.decode())]


@pytest.fixture
def three(world):
    """Three milestones whose orders by due date, title, progress and health all differ."""
    late = world.deliverable("Cladding", due_date=world.today - 2 * DAY)  # overdue
    world.deliverable("Annex", due_date=world.today + 40 * DAY)  # on track
    soon = world.deliverable("Boiler", due_date=world.today + 5 * DAY)  # at risk: no progress
    Milestone.objects.filter(pk=late.pk).update(progress=70)
    Milestone.objects.filter(pk=soon.pk).update(progress=10)
    return world


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("", ["Cladding", "Boiler", "Annex"]),
        ("due_date", ["Cladding", "Boiler", "Annex"]),
        ("-due_date", ["Annex", "Boiler", "Cladding"]),
        ("title", ["Annex", "Boiler", "Cladding"]),
        ("health", ["Cladding", "Boiler", "Annex"]),
        ("progress", ["Annex", "Boiler", "Cladding"]),
    ],
)
def test_sort_by_changes_the_order(three, client_for, order, expected):
    assert order_of(client_for.get(URL, {"order": order})) == expected


def test_sort_by_contract_reference_then_due_date(three, client_for):
    from tests.test_reporting_dashboard import second_contract

    other = second_contract(three, "AAA-1")
    three.deliverable(
        "First by reference",
        contract=other,
        responsible_party=other.parties.get(organisation=three.supplier_org),
        accepting_party=other.parties.get(organisation=three.client_org),
        due_date=three.today + 90 * DAY,
    )
    assert order_of(client_for.get(URL, {"order": "contract"})) == [
        "First by reference",
        "Cladding",
        "Boiler",
        "Annex",
    ]


def test_sort_by_is_a_choice_on_the_form_and_names_the_order(three, client_for):
    page = client_for.get(URL, {"order": "title"}).content.decode()
    assert '<label for="id_order">Sort by</label>' in page
    assert '<option value="title" selected>Title, A to Z</option>' in page
    assert "sorted by title, a to z</caption>" in page
    assert '<th scope="col" aria-sort="ascending"><a href="?order=title">Milestone</a>' in page


def test_a_bad_sort_is_refused_with_the_field_named(three, client_for):
    response = client_for.get(URL, {"order": "password"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_order_error"' in page and "Select a valid choice" in page
    assert ROW.findall(page) == []


def test_pages_keep_the_sort_and_do_not_repeat_or_skip_ties(world, client_for):
    # 55 milestones with one title and due date: only the id breaks the tie.
    for _ in range(55):
        world.deliverable("Same", due_date=world.today + 9 * DAY)
    first = client_for.get(URL, {"order": "title"})
    body = first.content.decode()
    assert "?order=title&amp;page=2" in body

    second = client_for.get(URL, {"order": "title", "page": 2})
    ids = [
        re.findall(r'<th scope="row"><a href="/milestones/(\d+)/"', r.content.decode())
        for r in (first, second)
    ]
    assert len(ids[0]) == 50 and len(ids[1]) == 5
    assert len(set(ids[0]) | set(ids[1])) == 55
    assert ids[0] + ids[1] == sorted(ids[0] + ids[1], key=int)


def test_column_headings_link_to_their_order_from_the_first_page(three, client_for):
    page = client_for.get(URL, {"q": "a", "page": 1}).content.decode()
    assert '<a href="?q=a&amp;order=title">Milestone</a>' in page
    assert '<a href="?q=a&amp;order=-due_date">Due</a>' in page  # due date is the current order
    assert '<a href="?q=a&amp;order=health">Health</a>' in page


def test_htmx_answer_keeps_the_sort(three, client_for):
    partial = client_for.get(
        reverse("reporting:milestone-list"), {"order": "-due_date"}, headers={"HX-Request": "true"}
    )
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert order_of(partial) == ["Annex", "Boiler", "Cladding"]
