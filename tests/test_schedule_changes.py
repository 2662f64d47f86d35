"""Change requests: the impact preview, submission, the counterparty's decision, and the API."""

import datetime as dt
from decimal import Decimal

import pytest

from milepost.audit.models import Event
from milepost.core.errors import Forbidden
from milepost.payments.models import PaymentTerms
from milepost.payments.services import payment_milestone_create
from milepost.schedule.changes import (
    change_request_approve,
    change_request_can_decide,
    change_request_preview,
    change_request_reject,
    change_request_submit,
    change_request_withdraw,
)
from milepost.schedule.choices import ChangeStatus, Criticality
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import ChangeRequest, Milestone
from milepost.schedule.planning import milestone_pin

from .helpers import refused, signed_in

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
D = dt.date
API = "/api/v1"


pytestmark = pytest.mark.usefixtures("clock")


def ms(world, title: str, on: dt.date, **extra) -> Milestone:
    return world.deliverable(title, due_date=on, **extra)


@pytest.fixture
def plan(world):
    """Structure (critical) → Roof → pinned Handover; a 40% payment triggered by Structure."""
    structure = ms(world, "Structure", D(2027, 4, 1), criticality=Criticality.CRITICAL)
    roof = ms(world, "Roof", D(2027, 4, 10))
    handover = ms(world, "Handover", D(2027, 4, 20))
    milestone_pin(milestone=handover, pinned=True, actor=world.client_manager)
    for before, after, lag in ((structure, roof, 5), (roof, handover, 5)):
        dependency_add(predecessor=before, successor=after, lag=lag, actor=world.client_manager)
    payment = payment_milestone_create(
        contract=world.contract,
        title="Structure payment (40%)",
        owner=world.client_manager,
        due_date=D(2027, 4, 15),
        payer=world.client,
        payee=world.supplier,
        trigger=structure,
        percentage="40",
        actor=world.client_manager,
    )
    return {"structure": structure, "roof": roof, "handover": handover, "payment": payment}


def test_preview_shows_moves_breaches_payments_and_the_critical_path_and_saves_nothing(world, plan):
    events, rows = Event.objects.count(), ChangeRequest.objects.count()

    impact = change_request_preview(
        milestone=plan["structure"], new_due_date=D(2027, 4, 11), actor=world.supplier_manager
    )

    assert [(m["title"], m["new_due"], m["days"]) for m in impact["moves"]] == [
        ("Structure", "2027-04-11", 10),
        ("Roof", "2027-04-16", 6),
    ]
    assert impact["moves"][1]["driven_by"] == "Structure"
    assert impact["conflicts"] == [
        {
            "id": plan["handover"].pk,
            "title": "Handover",
            "message": "Pinned to 20 April 2027, but Roof would need it on 21 April 2027 "
            "(1 day later).",
        }
    ]
    [payment] = impact["payments"]
    assert (payment["title"], payment["amount"], payment["days"]) == (
        "Structure payment (40%)",
        "400000.00",
        10,
    )
    assert impact["critical_path"]["finish_before"] == "2027-04-20"
    assert Event.objects.count() == events and ChangeRequest.objects.count() == rows
    assert Milestone.objects.get(pk=plan["structure"].pk).due_date == D(2027, 4, 1)


def test_submit_keeps_the_old_and_new_values_and_the_impact(world, plan):
    change = change_request_submit(
        milestone=plan["structure"],
        new_due_date=D(2027, 4, 11),
        reason=" Steel late ",
        actor=world.supplier_manager,
    )

    assert (change.old_due_date, change.new_due_date, change.reason) == (
        D(2027, 4, 1),
        D(2027, 4, 11),
        "Steel late",
    )
    assert change.requesting_party == world.supplier
    assert len(change.impact["moves"]) == 2
    event = Event.objects.filter(action="change_request.submitted").get()
    assert event.after["moves"] == 2 and event.after["conflicts"] == 1
    assert Milestone.objects.get(pk=plan["structure"].pk).due_date == D(2027, 4, 1)


def test_approval_by_the_counterparty_moves_the_milestone_and_what_follows(world, plan):
    change = change_request_submit(
        milestone=plan["structure"],
        new_due_date=D(2027, 4, 11),
        reason="Steel late",
        actor=world.supplier_manager,
    )
    assert change_request_can_decide(change=change, user=world.client_manager)
    assert not change_request_can_decide(change=change, user=world.supplier_manager)

    change_request_approve(change=change, note="Agreed", actor=world.client_manager)

    change.refresh_from_db()
    assert (change.status, change.decided_by, change.decision_note) == (
        ChangeStatus.APPROVED,
        world.client_manager,
        "Agreed",
    )
    dues = dict(Milestone.objects.values_list("title", "due_date"))
    assert (dues["Structure"], dues["Roof"], dues["Handover"]) == (
        D(2027, 4, 11),
        D(2027, 4, 16),
        D(2027, 4, 20),
    )
    assert Milestone.objects.get(pk=plan["handover"].pk).schedule_conflict
    moved = Event.objects.filter(action="milestone.rescheduled").values_list("after", flat=True)
    assert any(
        "change request #" in after.get("cause", "") and after.get("driven_by") == "Structure"
        for after in moved
    )
    assert Event.objects.filter(action="change_request.approved").exists()


def test_the_requesting_party_cannot_approve_its_own_change(world, plan):
    change = change_request_submit(
        milestone=plan["structure"],
        new_due_date=D(2027, 4, 11),
        reason="Steel late",
        actor=world.supplier_manager,
    )

    with refused("not_counterparty", error=Forbidden):
        change_request_approve(change=change, actor=world.supplier_manager)

    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING


def test_rejection_needs_a_reason_and_moves_nothing(world, plan):
    change = change_request_submit(
        milestone=plan["structure"],
        new_due_date=D(2027, 4, 11),
        reason="Steel late",
        actor=world.supplier_manager,
    )
    with refused("reason_required", "note"):
        change_request_reject(change=change, note=" ", actor=world.client_manager)

    change_request_reject(
        change=change, note="Use the second fabricator", actor=world.client_manager
    )

    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    assert Milestone.objects.get(pk=plan["structure"].pk).due_date == D(2027, 4, 1)
    with refused("change_decided", "status"):
        change_request_approve(change=change, actor=world.client_manager)


def test_the_requester_withdraws_and_the_counterparty_may_not(world, plan):
    change = change_request_submit(
        milestone=plan["structure"],
        new_due_date=D(2027, 4, 11),
        reason="Steel late",
        actor=world.supplier_manager,
    )
    with refused("not_requester", error=Forbidden):
        change_request_withdraw(change=change, actor=world.client_manager)

    change_request_withdraw(change=change, actor=world.supplier_manager)

    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    assert Event.objects.filter(action="change_request.withdrawn").exists()


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({}, "nothing_to_change", "new_due_date"),
        ({"new_due_date": D(2027, 4, 1)}, "unchanged", "new_due_date"),
        ({"new_due_date": D(2020, 1, 1)}, "due_before_start", "new_due_date"),
        ({"new_amount": "100"}, "amount_not_applicable", "new_amount"),
        ({"new_amount": "abc"}, "invalid_amount", "new_amount"),
        ({"new_due_date": D(2027, 4, 11), "reason": ""}, "reason_required", "reason"),
    ],
)
def test_refuses_a_bad_change_request(world, plan, values, code, field):
    args = {"reason": "Because", **values}

    with refused(code, field):
        change_request_submit(milestone=plan["structure"], actor=world.supplier_manager, **args)


def test_one_pending_change_per_milestone(world, plan):
    change_request_submit(
        milestone=plan["roof"],
        new_due_date=D(2027, 4, 12),
        reason="x",
        actor=world.supplier_manager,
    )

    with refused("change_pending", "milestone"):
        change_request_submit(
            milestone=plan["roof"],
            new_due_date=D(2027, 4, 13),
            reason="y",
            actor=world.client_manager,
        )


@pytest.mark.parametrize("who", ["supplier_member", "client_viewer"])
def test_only_managers_propose_changes(world, plan, who):
    with refused("forbidden", error=Forbidden):
        change_request_submit(
            milestone=plan["roof"],
            new_due_date=D(2027, 4, 12),
            reason="x",
            actor=getattr(world, who),
        )


def test_a_pinned_date_moves_only_by_an_approved_change(world, plan):
    change = change_request_submit(
        milestone=plan["handover"],
        new_due_date=D(2027, 4, 27),
        reason="Opening moved by the council",
        actor=world.supplier_manager,
    )

    change_request_approve(change=change, actor=world.client_manager)

    handover = Milestone.objects.get(pk=plan["handover"].pk)
    assert (handover.due_date, handover.pinned) == (D(2027, 4, 27), True)


def test_an_amount_change_needs_the_other_side_of_the_payment(world, plan):
    payment = plan["payment"]
    change = change_request_submit(
        milestone=payment,
        new_amount="450000",
        reason="Additional steelwork instructed",
        actor=world.supplier_manager,
    )
    assert (change.old_amount, change.new_amount) == (Decimal("400000.00"), Decimal("450000.00"))
    assert change.impact["amount"] == {"old": "400000.00", "new": "450000.00", "currency": "GBP"}
    with refused("not_counterparty", error=Forbidden):
        change_request_approve(change=change, actor=world.consultant_manager)

    change_request_approve(change=change, actor=world.client_manager)

    terms = PaymentTerms.objects.get(milestone=payment)
    assert terms.amount == Decimal("450000.00")
    assert Event.objects.filter(action="payment.terms_changed").exists()


def test_an_amount_beyond_the_contract_value_is_refused_at_approval_and_the_request_waits(
    world, plan
):
    change = change_request_submit(
        milestone=plan["payment"],
        new_amount="2000000",
        reason="Everything",
        actor=world.supplier_manager,
    )

    with refused("payment_total_exceeds_value", "amount"):
        change_request_approve(change=change, actor=world.client_manager)

    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING
    assert PaymentTerms.objects.get(milestone=plan["payment"]).amount == Decimal("400000.00")


# ---------------------------------------------------------------------------------------------
# the API


def test_api_previews_submits_and_approves_a_change(world, plan):
    structure = plan["structure"]
    supplier, client = signed_in(world.supplier_manager), signed_in(world.client_manager)

    preview = supplier.post(
        f"{API}/milestones/{structure.pk}/change-requests/preview",
        {"new_due_date": "2027-04-11"},
        content_type="application/json",
    )
    assert preview.status_code == 200, preview.content
    assert [m["title"] for m in preview.json()["moves"]] == ["Structure", "Roof"]

    submitted = supplier.post(
        f"{API}/milestones/{structure.pk}/change-requests",
        {"new_due_date": "2027-04-11", "reason": "Steel late"},
        content_type="application/json",
    )
    assert submitted.status_code == 201, submitted.content
    change_id = submitted.json()["id"]

    listed = client.get(f"{API}/contracts/{world.contract.pk}/change-requests?status=pending")
    assert [c["id"] for c in listed.json()] == [change_id]

    approved = client.post(
        f"{API}/change-requests/{change_id}/approve",
        {"note": "OK"},
        content_type="application/json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert Milestone.objects.get(pk=structure.pk).due_date == D(2027, 4, 11)


def test_api_refuses_a_viewer_and_hides_changes_from_outsiders(world, plan):
    change = change_request_submit(
        milestone=plan["roof"],
        new_due_date=D(2027, 4, 12),
        reason="x",
        actor=world.supplier_manager,
    )

    viewer = signed_in(world.client_viewer).post(
        f"{API}/change-requests/{change.pk}/approve", {}, content_type="application/json"
    )
    outsider = signed_in(world.outsider).get(f"{API}/change-requests/{change.pk}")

    assert viewer.status_code == 403
    assert outsider.status_code == 404


def test_api_sets_link_terms_anchor_pin_and_plan(world, plan):
    client = signed_in(world.client_manager)
    roof = plan["roof"]
    link = roof.predecessor_links.get()

    patched = client.patch(
        f"{API}/milestones/{roof.pk}/dependencies/{link.pk}",
        {"type": "SS", "lag": -2},
        content_type="application/json",
    )
    anchored = client.put(
        f"{API}/milestones/{plan['payment'].pk}/anchor",
        {"anchor_id": plan["structure"].pk, "event": "met", "offset": 14},
        content_type="application/json",
    )
    pinned = client.put(
        f"{API}/milestones/{roof.pk}/pin", {"pinned": True}, content_type="application/json"
    )
    planned = client.patch(
        f"{API}/milestones/{roof.pk}/plan",
        {"estimate": [3, 5, 9]},
        content_type="application/json",
    )

    assert patched.status_code == 200 and patched.json()["type"] == "SS"
    assert anchored.status_code == 200, anchored.content
    assert anchored.json()["due_date"] == "2027-04-15"
    assert anchored.json()["date_basis"].startswith("14 days after Structure is met")
    assert pinned.json()["pinned"] is True
    assert planned.json()["estimate_likely"] == 5


def test_api_refuses_planning_changes_to_a_member(world, plan):
    response = signed_in(world.supplier_member).put(
        f"{API}/milestones/{plan['roof'].pk}/pin", {"pinned": True}, content_type="application/json"
    )

    assert response.status_code == 403
