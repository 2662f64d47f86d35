"""The demo reads as a real job's history: nothing is met before what it follows, or in future."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from milepost.approvals.models import GateDecision
from milepost.approvals.services import gate_create, gate_decide
from milepost.core.dates import local_today
from milepost.operations.demo import demo_load
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Dependency, Milestone
from tests.helpers import refused

pytestmark = pytest.mark.django_db

MET = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)


@time_machine.travel(dt.datetime(2026, 12, 6, 11, tzinfo=dt.UTC), tick=False)
def test_every_demo_milestone_is_met_after_what_it_follows_and_never_in_the_future():
    # Given the demo, loaded on Sunday 6 December 2026
    demo_load()
    today = local_today("Europe/London")
    met = {m.pk: m for m in Milestone.objects.filter(status__in=MET)}
    assert met, "the demo has met milestones"
    # Then each met milestone was met on or before today, and after every milestone it follows
    for milestone in met.values():
        assert milestone.met_on is not None and milestone.met_on <= today, milestone.title
    for link in Dependency.objects.filter(successor__in=met).select_related(
        "predecessor", "successor"
    ):
        before, after = link.predecessor, link.successor
        assert before.status in MET, f"{after.title} is met but {before.title} is not"
        assert before.met_on <= after.met_on, f"{after.title} met before {before.title}"


@time_machine.travel(dt.datetime(2026, 12, 6, 11, tzinfo=dt.UTC), tick=False)
def test_the_demo_site_access_gate_was_approved_before_it_was_due_and_the_foundations_met():
    demo_load()
    site = Milestone.objects.get(title="Site access approved")
    foundations = Milestone.objects.get(title="Foundations complete")
    assert site.met_on <= site.due_date < foundations.met_on
    decided = [d.decided_at.date() for d in GateDecision.objects.filter(milestone=site)]
    assert max(decided) == site.met_on


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
