"""A refused form comes back with the reason and with everything that was typed in it."""

import datetime as dt

import pytest
from django.test.utils import override_script_prefix
from django.urls import reverse

from milepost.approvals.services import gate_create
from milepost.contracts.services import contract_set_status
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
)
from milepost.performance.services import performance_milestone_create
from milepost.schedule.acceptance import deliverable_accept

from .conftest import World
from .helpers import signed_in


def invoiced_payment(world: World):
    trigger = world.deliverable("Foundations", due_date=world.today - dt.timedelta(days=20))
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    payment = payment_milestone_create(
        contract=world.contract,
        title="Foundation payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=10),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        amount="300000",
        actor=world.client_manager,
    )
    payment_record_invoice(
        milestone=payment, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
    )
    return payment


def test_a_refused_payment_keeps_the_paid_on_date_and_the_amount(world):
    # Given an invoiced payment of £300,000
    payment = invoiced_payment(world)
    # When the client records more than is owed, paid today
    paid_on = world.today.isoformat()
    response = signed_in(world.client_manager).post(
        reverse("payments:payment-paid", args=[payment.pk]),
        {"paid_on": paid_on, "amount": "£999,999.00"},
    )
    # Then the page says why and the form still holds the date and the amount typed
    text = response.content.decode()
    assert response.status_code == 422
    assert "outstanding on this invoice" in text
    assert f'name="paid_on" value="{paid_on}"' in text
    assert 'name="amount" inputmode="decimal" value="£999,999.00"' in text


def test_a_refused_payment_is_drawn_again_under_a_script_prefix(world):
    # Given Milepost served below /milepost/ (a reverse proxy passes SCRIPT_NAME, and every
    # link Milepost draws starts with it)
    payment = invoiced_payment(world)
    client = signed_in(world.client_manager)
    with override_script_prefix("/milepost/"):
        url = reverse("payments:payment-paid", args=[payment.pk])
        assert url == f"/milepost/milestones/{payment.pk}/paid/"
        # When the client records more than is owed (the proxy strips the prefix)
        response = client.post(
            url.removeprefix("/milepost"),
            {"paid_on": world.today.isoformat(), "amount": "£999,999.00"},
        )
    # Then the milestone page comes back with the reason and what was typed, not a 404
    text = response.content.decode()
    assert response.status_code == 422
    assert "outstanding on this invoice" in text
    assert 'value="£999,999.00"' in text
    assert f'action="/milepost/milestones/{payment.pk}/paid/"' in text


def test_a_refused_gate_decision_keeps_its_comment(world):
    # Given a gate the client approves, on a contract since suspended
    gate = gate_create(
        contract=world.contract,
        title="Fit-out stage gate",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=30),
        required_parties=[world.client],
        acceptance_criteria="Envelope weathertight.",
        actor=world.client_manager,
    )
    client = signed_in(world.client_manager)
    contract_set_status(contract=world.contract, status="suspended", actor=world.client_manager)
    # When the client approves it with a comment
    response = client.post(
        reverse("approvals:gate-decision", args=[gate.pk]),
        {"party": world.client.pk, "decision": "approve", "comment": "M&E first fix inspected."},
    )
    # Then it is refused (the contract is suspended), and the comment is still there, but the
    # page offers no decision while suspended; the comment comes back on the page drawn
    assert response.status_code == 422
    assert "Gates are decided while the contract is active." in response.content.decode()
    assert response.context["posted"] == {
        "gate": {
            "party": str(world.client.pk),
            "decision": "approve",
            "comment": "M&E first fix inspected.",
        }
    }


def test_a_gate_decision_refused_for_a_missing_reason_draws_the_comment_in_its_box(world):
    gate = gate_create(
        contract=world.contract,
        title="Fit-out stage gate",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=30),
        required_parties=[world.client],
        acceptance_criteria="Envelope weathertight.",
        actor=world.client_manager,
    )
    # A rejection needs a reason; whitespace alone is refused and the box keeps what was typed
    response = signed_in(world.client_manager).post(
        reverse("approvals:gate-decision", args=[gate.pk]),
        {"party": world.client.pk, "decision": "reject", "comment": "  "},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Say why the gate is rejected." in text
    assert 'name="comment" rows="2">  </textarea>' in text


@pytest.mark.parametrize(
    ("url_name", "data", "kept"),
    [
        # A progress out of range: the update's text stays.
        (
            "milestones:milestone-update",
            {"text": "Level 2 slab poured.", "progress": "150"},
            ['rows="3" required>Level 2 slab poured.</textarea>', 'value="150"'],
        ),
        # A date before the contract starts: the reason stays, and the date typed.
        (
            "milestones:milestone-reschedule",
            {"due_date": "2001-01-01", "reason": "Steel delayed"},
            ['value="2001-01-01"', 'name="reason" value="Steel delayed"'],
        ),
        # The supplier may not give up what it owes: the reason stays, and the choice.
        (
            "milestones:milestone-status",
            {"status": "cancelled", "reason": "Out of scope"},
            ['name="reason" value="Out of scope"', '<option value="cancelled" selected>'],
        ),
    ],
)
def test_a_refused_milestone_form_keeps_what_was_typed(world, url_name, data, kept):
    milestone = world.deliverable("Drainage survey report")
    response = signed_in(world.supplier_manager).post(reverse(url_name, args=[milestone.pk]), data)
    text = response.content.decode()
    assert response.status_code == 422
    for snippet in kept:
        assert snippet in text


def test_a_refused_acceptance_keeps_its_comment(world):
    milestone = world.deliverable("Drainage survey report")
    contract_set_status(contract=world.contract, status="suspended", actor=world.client_manager)
    response = signed_in(world.client_manager).post(
        reverse("milestones:milestone-acceptance", args=[milestone.pk]),
        {"outcome": "partial", "comment": "CCTV of run 4 missing"},
    )
    assert response.status_code == 422
    assert 'rows="2">CCTV of run 4 missing</textarea>' in response.content.decode()


def test_a_refused_measurement_keeps_its_period_value_and_note(world):
    target = performance_milestone_create(
        contract=world.contract,
        title="Availability",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=world.today + dt.timedelta(days=90),
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction="at_least",
        period="month",
        measurement_start=world.today.replace(day=1),
        actor=world.supplier_manager,
    )
    response = signed_in(world.supplier_manager).post(
        reverse("performance:measurement", args=[target.pk]),
        {"period_start": "2001-01-01", "value": "99.9", "note": "From the NOC report"},
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert 'name="period_start" value="2001-01-01"' in text
    assert 'name="value" inputmode="decimal" value="99.9"' in text
    assert 'name="note" value="From the NOC report"' in text


def test_a_refused_party_keeps_the_role_chosen(world):
    # The organisation named is unknown: the identifier and the role come back as typed
    response = signed_in(world.client_manager).post(
        reverse("contracts:party-new", args=[world.contract.pk]),
        {"identifier": "no-such-organisation", "role": "consultant"},
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="no-such-organisation"' in text
    assert '<option value="consultant" selected>' in text


def test_refused_planning_risk_and_edit_pages_keep_what_was_typed(world):
    """The pages with a full form of their own draw it again, bound to what was posted."""
    # Overdue, so that it takes recovery actions
    milestone = world.deliverable(
        "Drainage survey report", due_date=world.today - dt.timedelta(days=5)
    )
    other = world.deliverable("Structure topped out")
    manager = signed_in(world.supplier_manager)
    past = (world.today - dt.timedelta(days=3)).isoformat()
    posts = [
        # A change to the same date is refused; the reason stays.
        (
            reverse("change-request-new", args=[milestone.pk]),
            {"new_due_date": milestone.due_date.isoformat(), "reason": "Rain", "submit": "1"},
            ['value="' + milestone.due_date.isoformat() + '"', "Rain</textarea>"],
        ),
        # A new target in the past is refused; the cause, plan and date stay.
        (
            reverse("milestone-recovery", args=[milestone.pk]),
            {
                "op": "add",
                "cause": "Survey firm backlog",
                "plan": "Review in-house",
                "owner": world.supplier_member.pk,
                "new_target": past,
            },
            ["Survey firm backlog</textarea>", "Review in-house</textarea>", f'value="{past}"'],
        ),
        # An early warning with no milestone is refused; its title and mitigation stay.
        (
            reverse("contract-early-warnings", args=[world.contract.pk]),
            {
                "title": "Steel capacity",
                "likelihood": "3",
                "impact": "4",
                "owner": world.supplier_manager.pk,
                "mitigation": "Second fabricator",
            },
            ['value="Steel capacity"', "Second fabricator</textarea>"],
        ),
        # A lag out of range is refused; the choice of milestone and the lag stay.
        (
            reverse("milestone-dependencies", args=[milestone.pk]),
            {"predecessor": other.pk, "type": "FS", "lag": "5000"},
            ['value="5000"', f'<option value="{other.pk}" selected>'],
        ),
    ]
    for url, data, kept in posts:
        response = manager.post(url, data)
        text = response.content.decode()
        assert response.status_code == 422, url
        for snippet in kept:
            assert snippet in text, (url, snippet)


def test_a_refused_contract_edit_keeps_the_value_typed(world):
    response = signed_in(world.client_manager).post(
        reverse("milestones:contract-edit", args=[world.contract.pk]),
        {
            "reference": world.contract.reference,
            "title": "Harbour library extension, phase 2",
            "value": "2.000,00",
            "start_date": world.contract.start_date.isoformat(),
            "end_date": world.contract.end_date.isoformat(),
            "time_zone": world.contract.time_zone,
            "holiday_country": "GB",
        },
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="2.000,00"' in text
    assert 'value="Harbour library extension, phase 2"' in text
