"""The demo reads as a real job's history: nothing is met before what it follows, or in future."""

import datetime as dt

import pytest
from django.test import Client

from milepost.approvals.services import gate_create, gate_decide
from milepost.schedule.choices import MilestoneStatus
from tests.helpers import refused

pytestmark = pytest.mark.django_db

MET = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)


def test_a_gate_decision_given_earlier_keeps_its_day_and_a_future_one_is_refused(world):
    gate = gate_create(
        contract=world.contract,
        title="Site access approved",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today - dt.timedelta(days=20),
        required_parties=[world.client],
        acceptance_criteria="Hoarding in place.",
        actor=world.client_manager,
    )
    with refused("decided_in_future", "decided_on"):
        gate_decide(
            milestone=gate,
            party=world.client,
            decision="approve",
            actor=world.client_manager,
            decided_on=world.today + dt.timedelta(days=1),
        )
    earlier = world.today - dt.timedelta(days=21)
    decision = gate_decide(
        milestone=gate,
        party=world.client,
        decision="approve",
        actor=world.client_manager,
        decided_on=earlier,
    )
    gate.refresh_from_db()
    assert decision.decided_at.date() == earlier
    assert (gate.status, gate.met_on) == (MilestoneStatus.MET, earlier)


def test_api_records_a_gate_decision_given_earlier_and_refuses_a_future_one(world):
    gate = gate_create(
        contract=world.contract,
        title="Site access approved",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today - dt.timedelta(days=20),
        required_parties=[world.client],
        acceptance_criteria="Hoarding in place.",
        actor=world.client_manager,
    )
    client = Client()
    client.force_login(world.client_manager)
    url = f"/api/v1/milestones/{gate.pk}/gate/decisions"
    future = (world.today + dt.timedelta(days=1)).isoformat()
    refused = client.post(
        url,
        {"party_id": world.client.pk, "decision": "approve", "decided_on": future},
        content_type="application/json",
    )
    assert refused.status_code in (400, 422)
    assert "future" in refused.content.decode()
    earlier = world.today - dt.timedelta(days=21)
    done = client.post(
        url,
        {"party_id": world.client.pk, "decision": "approve", "decided_on": earlier.isoformat()},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "met"
    assert done.json()["lines"][0]["decided_at"].startswith(earlier.isoformat())
