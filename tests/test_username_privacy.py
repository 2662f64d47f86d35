"""A manager cannot learn from owner errors whether a username exists on the server."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from milepost.accounts.services import api_token_create
from milepost.contracts.choices import PartyRole
from milepost.contracts.services import contract_create

API = "/api/v1"


def bearer(user) -> Client:
    _, raw = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def errors_for(client: Client, url: str, body: dict, usernames: list[str]) -> list[dict]:
    answers = []
    for name in usernames:
        response = client.post(url, {**body, "owner": name}, content_type="application/json")
        assert response.status_code == 422, response.content
        answers.append(response.json()["error"])
    return answers


def test_owner_error_is_the_same_for_a_stranger_elsewhere_and_a_name_that_does_not_exist(world):
    # Given a manager at another organisation, with a contract of its own
    contract = contract_create(
        organisation=world.outsider_org,
        party_role=PartyRole.CLIENT,
        reference="UH-1",
        title="Office move",
        value=Decimal("1000.00"),
        currency="GBP",
        start_date=world.today,
        end_date=world.today + dt.timedelta(days=90),
        actor=world.outsider,
    )
    party = contract.parties.get()
    body = {
        "title": "Crates packed",
        "responsible_party": party.pk,
        "accepting_party": party.pk,
        "due_date": (world.today + dt.timedelta(days=10)).isoformat(),
        "acceptance_criteria": "All crates labelled.",
    }

    # When it names as owner someone who exists (at the council) and someone who does not
    existing, missing = errors_for(
        bearer(world.outsider),
        f"{API}/contracts/{contract.pk}/deliverables",
        body,
        ["cora", "nosuchuser"],
    )

    # Then both answers are identical
    assert existing == missing
    assert existing["code"] == "user_not_found" and existing["field"] == "owner"
    assert "cora" not in existing["message"]


@pytest.mark.parametrize("kind", ["early-warning", "recovery-action"])
def test_risk_owner_error_does_not_tell_whether_a_username_exists(world, kind):
    milestone = world.deliverable()
    if kind == "early-warning":
        url = f"{API}/contracts/{world.contract.pk}/early-warnings"
        body = {"title": "Steel late", "likelihood": 3, "impact": 4, "milestones": [milestone.pk]}
    else:
        url = f"{API}/milestones/{milestone.pk}/recovery-actions"
        body = {"cause": "Steel late", "plan": "Second supplier", "new_target": str(world.today)}

    existing, missing = errors_for(
        bearer(world.supplier_manager), url, body, ["otto", "nosuchuser"]
    )

    assert existing == missing
    assert existing["code"] == "user_not_found"


def test_a_member_of_a_party_can_still_be_named_owner(world):
    milestone = world.deliverable(due_date=world.today + dt.timedelta(days=3))  # at risk
    response = bearer(world.supplier_manager).post(
        f"{API}/milestones/{milestone.pk}/recovery-actions",
        {
            "cause": "Steel late",
            "plan": "Second supplier",
            "new_target": str(world.today),
            "owner": "sid",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner"] == "sid"
