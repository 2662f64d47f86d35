"""The global search: contracts, milestones and parties found by reference, title or name."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from milepost.accounts.services import api_token_create
from milepost.contracts.choices import PartyRole
from milepost.contracts.services import contract_create
from milepost.reporting.search import LIMIT, QUERY_MAX, search_for_user

from .helpers import refused, signed_in

API = "/api/v1/search"


def outsiders_contract(world):
    """A contract of the outsider's organisation, which no one in the world is party to."""
    return contract_create(
        organisation=world.outsider_org,
        party_role=PartyRole.CLIENT,
        reference="UH-HARBOUR-9",
        title="Harbour warehouse fit-out",
        value=Decimal("50000.00"),
        currency="GBP",
        start_date=world.today,
        end_date=world.today + dt.timedelta(days=90),
        actor=world.outsider,
    )


def test_finds_a_contract_by_its_reference(world):
    found = search_for_user(user=world.supplier_viewer, query="hcc-2026-001")

    assert found.contracts == [world.contract]


def test_finds_contracts_and_milestones_by_title(world):
    roof = world.deliverable("Library roof inspection")
    world.deliverable("Piling report")

    found = search_for_user(user=world.client_viewer, query="  library  ")

    assert found.query == "library"
    assert found.contracts == [world.contract]  # "Harbour library extension"
    assert found.milestones == [roof]


def test_finds_parties_by_their_organisations_name(world):
    found = search_for_user(user=world.client_member, query="northgate")

    assert found.parties == [world.supplier]
    assert found.contracts == [] and found.milestones == []


def test_never_finds_what_the_person_cannot_see(world):
    hidden = outsiders_contract(world)

    mine = search_for_user(user=world.client_manager, query="harbour")
    theirs = search_for_user(user=world.outsider, query="harbour")

    assert hidden not in mine.contracts and world.contract in mine.contracts
    assert theirs.contracts == [hidden]
    assert theirs.milestones == [] and world.supplier not in theirs.parties


def test_refuses_a_query_of_one_character(world):
    with refused("search_query_short", "q"):
        search_for_user(user=world.client_manager, query=" h ")


def test_refuses_a_query_longer_than_the_limit(world):
    with refused("search_query_long", "q"):
        search_for_user(user=world.client_manager, query="x" * (QUERY_MAX + 1))


def test_cuts_each_group_at_the_limit_and_says_so(world):
    for number in range(LIMIT + 1):
        world.deliverable(f"Survey {number}")

    found = search_for_user(user=world.client_manager, query="survey")

    assert len(found.milestones) == LIMIT and found.more_milestones
    assert not found.more_contracts


def test_runs_the_same_queries_however_many_rows_match(world, django_assert_num_queries):
    world.deliverable("Survey 1")
    with django_assert_num_queries(3):  # one query per group
        search_for_user(user=world.client_manager, query="survey")
    for number in range(2, 12):
        world.deliverable(f"Survey {number}")
    world.other_contract(title="Survey of the harbour wall")

    with django_assert_num_queries(3):
        search_for_user(user=world.client_manager, query="survey")


def test_search_page_shows_results_grouped_without_javascript(world):
    world.deliverable("Harbour crane hire")
    client = signed_in(world.client_viewer)

    response = client.get(reverse("reporting:search"), {"q": "harbour"})

    body = response.content.decode()
    assert response.status_code == 200
    for heading in ("Contracts", "Milestones", "Parties"):
        assert f">{heading}</h2>" in body
    assert "HCC-2026-001" in body and "Harbour crane hire" in body
    assert "Harbour City Council, client on" in body


def test_search_page_never_lists_another_organisations_contract(world):
    hidden = outsiders_contract(world)

    body = signed_in(world.client_manager).get(reverse("reporting:search"), {"q": "harbour"})

    assert hidden.reference not in body.content.decode()


def test_search_page_names_the_field_when_the_query_is_too_short(world):
    response = signed_in(world.client_manager).get(reverse("reporting:search"), {"q": "h"})

    assert response.status_code == 400
    assert "Type at least 2 characters to search." in response.content.decode()


def test_search_page_answers_htmx_with_the_results_alone(world):
    client = signed_in(world.client_manager)

    response = client.get(reverse("reporting:search"), {"q": "library"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert 'id="search-results"' in body
    assert "<html" not in body and "HCC-2026-001" in body


def test_every_page_has_the_search_box_in_its_header(world):
    body = signed_in(world.client_viewer).get(reverse("reporting:dashboard")).content.decode()

    assert 'role="search" aria-label="Search Milepost"' in body
    assert f'action="{reverse("reporting:search")}"' in body


def test_api_search_lists_what_the_caller_can_see(world):
    milestone = world.deliverable("Harbour crane hire")
    _, raw = api_token_create(user=world.supplier_member, name="search")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(API, {"q": "harbour"})

    assert response.status_code == 200
    data = response.json()
    assert [c["reference"] for c in data["contracts"]] == ["HCC-2026-001"]
    assert [m["id"] for m in data["milestones"]] == [milestone.pk]
    assert [p["organisation"] for p in data["parties"]] == ["Harbour City Council"]
    assert data["more"] == [] and data["limit"] == LIMIT


def test_api_search_shows_an_outsider_nothing_of_the_contract(world):
    _, raw = api_token_create(user=world.outsider, name="search")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(API, {"q": "harbour"})

    assert response.status_code == 200
    assert response.json()["contracts"] == response.json()["parties"] == []


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [("h", 422, "search_query_short"), ("x" * (QUERY_MAX + 1), 400, "invalid")],
)
def test_api_search_refuses_a_query_out_of_bounds_naming_q(world, query, status, code):
    _, raw = api_token_create(user=world.client_manager, name="search")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(API, {"q": query})

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == "q"
