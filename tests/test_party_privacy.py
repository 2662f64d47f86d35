"""Adding a party never shows a manager the server's other tenants."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from milepost.accounts.services import api_token_create, organisation_create
from milepost.audit.models import Event

from .helpers import signed_in


@pytest.fixture
def second_contract(world):
    """A new draft of the council's, with only the council on it so far."""
    return world.other_contract(
        with_supplier=False,
        title="Harbour lighting",
        value=Decimal("5000.00"),
        start_date=world.today,
        end_date=world.today + dt.timedelta(days=90),
    )


def test_add_party_lists_only_organisations_you_already_work_with(world, second_contract):
    # Given a tenant the council has never worked with
    organisation_create(name="Elsewhere Estates", actor=None)

    # When the council's manager opens the new contract's edit page
    page = signed_in(world.client_manager).get(
        reverse("milestones:contract-edit", args=[second_contract.pk])
    )

    # Then its partners on the other contract are offered, and no stranger is named
    body = page.content.decode()
    assert page.status_code == 200
    assert "Northgate Construction" in body and "Arden Project Management" in body
    assert "Elsewhere Estates" not in body
    assert "Unrelated Holdings" not in body


def test_a_new_counterparty_is_added_by_its_exact_identifier(world, second_contract):
    client = signed_in(world.client_manager)
    add = reverse("contracts:party-new", args=[second_contract.pk])

    response = client.post(add, {"identifier": "unrelated-holdings", "role": "observer"})

    assert response.status_code == 302
    party = second_contract.parties.get(organisation=world.outsider_org)
    assert party.role == "observer"
    assert Event.objects.filter(action="party.added", object_id=party.pk).exists()


def test_an_organisation_is_found_by_its_identifier_through_one_selector(world, second_contract):
    from milepost.accounts import selectors

    # The party form and the API both use organisation_get_by_slug; no second look-up remains
    assert not hasattr(selectors, "organisation_with_slug")
    client = signed_in(world.client_manager)
    add = reverse("contracts:party-new", args=[second_contract.pk])

    client.post(add, {"identifier": "unrelated-holdings", "role": "observer"})

    assert second_contract.parties.filter(organisation=world.outsider_org).exists()


def test_an_unknown_identifier_is_refused_naming_the_field(world, second_contract):
    client = signed_in(world.client_manager)
    add = reverse("contracts:party-new", args=[second_contract.pk])

    page = client.post(add, {"identifier": "no-such-org", "role": "observer"}, follow=True)

    assert "No organisation has the identifier &#x27;no-such-org&#x27;" in page.content.decode()
    assert second_contract.parties.count() == 1


def test_a_stranger_cannot_be_picked_from_the_list_by_its_id(world, second_contract):
    client = signed_in(world.client_manager)
    add = reverse("contracts:party-new", args=[second_contract.pk])

    page = client.post(
        add, {"organisation": world.outsider_org.pk, "role": "observer"}, follow=True
    )

    assert "Select a valid choice" in page.content.decode()
    assert not second_contract.parties.filter(organisation=world.outsider_org).exists()


def test_the_form_asks_for_one_way_of_naming_the_organisation(world, second_contract):
    client = signed_in(world.client_manager)
    add = reverse("contracts:party-new", args=[second_contract.pk])

    neither = client.post(add, {"role": "observer"}, follow=True).content.decode()
    both = client.post(
        add,
        {
            "organisation": world.supplier_org.pk,
            "identifier": "unrelated-holdings",
            "role": "observer",
        },
        follow=True,
    ).content.decode()

    assert "Choose an organisation you work with, or give another organisation" in neither
    assert "not both" in both
    assert second_contract.parties.count() == 1


def test_the_api_adds_a_party_by_exact_identifier_and_lists_no_organisations(
    world, second_contract
):
    _, raw = api_token_create(user=world.client_manager, name="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/contracts/{second_contract.pk}/parties"

    by_name = api.post(
        url,
        {"organisation": "Unrelated Holdings", "role": "observer"},
        content_type="application/json",
    )
    by_slug = api.post(
        url,
        {"organisation": "unrelated-holdings", "role": "observer"},
        content_type="application/json",
    )

    assert by_name.status_code == 404
    assert by_slug.status_code == 201
    assert api.get("/api/v1/organisations").status_code == 404
