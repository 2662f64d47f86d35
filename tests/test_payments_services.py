"""Service tests for payment milestones: terms, the 100% rule, invoices, payments and revaluing."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_set_status
from milepost.core.errors import Forbidden
from milepost.payments.choices import PaymentBasis, PaymentState
from milepost.payments.models import PaymentTerms
from milepost.payments.selectors import payment_totals
from milepost.payments.services import (
    contract_revalue,
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
    payment_release,
    payment_terms_change,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.services import milestone_create, milestone_set_status
from tests.helpers import refused

DAY = dt.timedelta(days=1)


def payment(world, trigger, **overrides):
    """Create a payment from the client to the supplier on ``trigger``; 30% unless told."""
    fields = {
        "contract": world.contract,
        "title": f"Payment on {trigger.title}",
        "owner": world.client_member,
        "due_date": trigger.due_date + 30 * DAY,
        "payer": world.client,
        "payee": world.supplier,
        "trigger": trigger,
        "actor": world.client_manager,
    }
    if "amount" not in overrides and "percentage" not in overrides:
        fields["percentage"] = "30"
    fields.update(overrides)
    return payment_milestone_create(**fields)


def seed(world):
    """Return the seed case's three payments: 30% at foundation, 40% at structure, 30% at completion."""
    foundation = world.deliverable("Foundation complete", due_date=world.today + 30 * DAY)
    structure = world.deliverable("Structure complete", due_date=world.today + 120 * DAY)
    completion = world.deliverable("Practical completion", due_date=world.today + 240 * DAY)
    return (
        payment(world, foundation, title="Foundation payment", percentage="30"),
        payment(world, structure, title="Structure payment", percentage="40"),
        payment(world, completion, title="Completion payment", percentage="30"),
    )


def triggered(world, **overrides):
    """Return a payment whose trigger the client has accepted, so it can be invoiced."""
    trigger = world.deliverable("Foundation complete")
    milestone = payment(world, trigger, **overrides)
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    return milestone


def invoiced(world, amount="300000", **overrides):
    """Return a triggered payment that the supplier has invoiced today."""
    milestone = triggered(world, **overrides)
    payment_record_invoice(
        milestone=milestone, invoiced_on=world.today, amount=amount, actor=world.supplier_manager
    )
    return milestone


def release(world, milestone, status, reason="Descoped"):
    """Give a payment up as the supplier, the payee to whom it is owed."""
    return payment_release(
        milestone=milestone, status=status, reason=reason, actor=world.supplier_manager
    )


def terms_of(milestone):
    return PaymentTerms.objects.select_related("milestone", "trigger").get(milestone=milestone)


def other_contract(world):
    """Return a second, draft contract of the client's with a deliverable of its own."""
    other = world.other_contract(
        value=Decimal("50000.00"), start_date=world.today, end_date=world.today + 100 * DAY
    )
    client = other.parties.get(role=PartyRole.CLIENT)
    deliverable = milestone_create(
        contract=other,
        kind=MilestoneKind.DELIVERABLE,
        title="Car park resurfaced",
        owner=world.supplier_member,
        responsible_party=other.parties.get(role=PartyRole.SUPPLIER),
        accepting_party=client,
        due_date=world.today + 20 * DAY,
        acceptance_criteria="Surface inspected.",
        actor=world.supplier_manager,
    )
    return other, client, deliverable


def travel_to(day):
    """Freeze time at noon in London on ``day``."""
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("Europe/London")), tick=False
    )


# payment_milestone_create


def test_seed_case_pays_thirty_forty_thirty_percent_of_a_million(world):
    foundation, structure, completion = seed(world)

    amounts = [terms_of(m).amount for m in (foundation, structure, completion)]
    assert amounts == [Decimal("300000.00"), Decimal("400000.00"), Decimal("300000.00")]
    assert [terms_of(m).percentage for m in (foundation, structure, completion)] == [
        Decimal("30.0000"),
        Decimal("40.0000"),
        Decimal("30.0000"),
    ]
    assert {terms_of(m).basis for m in (foundation, structure, completion)} == {
        PaymentBasis.PERCENTAGE
    }
    assert foundation.kind == MilestoneKind.PAYMENT
    assert foundation.responsible_party == world.client
    assert foundation.status == MilestoneStatus.SCHEDULED


def test_payment_terms_are_recorded_as_an_event(world):
    trigger = world.deliverable("Foundation complete")

    milestone = payment(world, trigger, percentage="30")

    event = Event.objects.get(action="payment.terms_set", milestone_id=milestone.pk)
    assert event.after["amount"] == "300000.00"
    assert event.after["payer"] == world.client_org.name
    assert event.after["payee"] == world.supplier_org.name


def test_rejects_fourth_payment_that_takes_total_above_contract_value(world):
    seed(world)
    fourth_trigger = world.deliverable("Handover documents")

    with refused("payment_total_exceeds_value", "amount"):
        payment(world, fourth_trigger, percentage=None, amount="0.01")


def test_accepts_payments_that_total_exactly_the_contract_value(world):
    trigger = world.deliverable("Foundation complete")
    payment(world, trigger, title="First half", percentage=None, amount="500000")

    second = payment(world, trigger, title="Second half", percentage=None, amount="500000.00")

    assert terms_of(second).amount == Decimal("500000.00")


def test_amount_basis_derives_the_percentage(world):
    trigger = world.deliverable("Foundation complete")

    milestone = payment(world, trigger, percentage=None, amount="250000")

    terms = terms_of(milestone)
    assert terms.basis == PaymentBasis.AMOUNT
    assert terms.amount == Decimal("250000.00")
    assert terms.percentage == Decimal("25.0000")


def test_percentage_keeps_four_places_and_its_amount_follows_what_is_kept(world):
    trigger = world.deliverable("Foundation complete")

    milestone = payment(world, trigger, percentage="33.33333")

    terms = terms_of(milestone)
    assert terms.percentage == Decimal("33.3333")
    assert terms.amount == Decimal("333333.00")


def test_rejects_both_amount_and_percentage(world):
    trigger = world.deliverable("Foundation complete")

    with refused("amount_or_percentage", "amount"):
        payment(world, trigger, amount="100000", percentage="10")


def test_rejects_neither_amount_nor_percentage(world):
    trigger = world.deliverable("Foundation complete")

    with refused("amount_or_percentage", "amount"):
        payment(world, trigger, amount=None, percentage=None)


def test_rejects_percentage_above_one_hundred(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_percentage", "percentage"):
        payment(world, trigger, percentage="100.01")


def test_rejects_zero_percentage(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_percentage", "percentage"):
        payment(world, trigger, percentage="0")


def test_rejects_percentage_that_rounds_to_zero(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_percentage", "percentage"):
        payment(world, trigger, percentage="0.00001")


def test_rejects_negative_percentage_as_invalid_percentage(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_percentage", "percentage"):
        payment(world, trigger, percentage="-10")


def test_rejects_percentage_that_is_not_a_number(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_percentage", "percentage"):
        payment(world, trigger, percentage="thirty")


def test_rejects_zero_amount(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_amount", "amount"):
        payment(world, trigger, percentage=None, amount="0.00")


def test_rejects_negative_amount(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_amount", "amount"):
        payment(world, trigger, percentage=None, amount="-5000")


def test_rejects_retention_above_one_hundred_percent(world):
    trigger = world.deliverable("Foundation complete")

    with refused("invalid_retention", "retention_percent"):
        payment(world, trigger, retention_percent="101")


def test_rejects_payer_who_is_also_payee(world):
    trigger = world.deliverable("Foundation complete")

    with refused("payer_is_payee", "payee"):
        payment(world, trigger, payee=world.client)


def test_rejects_payer_from_another_contract(world):
    _other, other_client, _deliverable = other_contract(world)
    trigger = world.deliverable("Foundation complete")

    with refused("party_not_on_contract", "payer"):
        payment(world, trigger, payer=other_client)


def test_rejects_payee_from_another_contract(world):
    _other, other_client, _deliverable = other_contract(world)
    trigger = world.deliverable("Foundation complete")

    with refused("party_not_on_contract", "payee"):
        payment(world, trigger, payee=other_client)


def test_rejects_trigger_from_another_contract(world):
    _other, _client, foreign_deliverable = other_contract(world)

    with refused("invalid_trigger", "trigger"):
        payment(world, foreign_deliverable, due_date=world.today + 60 * DAY)


def test_rejects_payment_as_trigger_of_another_payment(world):
    first = payment(world, world.deliverable("Foundation complete"))

    with refused("invalid_trigger", "trigger"):
        payment(world, first, title="Payment on a payment", percentage="10")


def test_refuses_payment_created_by_a_member_who_is_not_a_manager(world):
    trigger = world.deliverable("Foundation complete")

    with refused("forbidden", error=Forbidden):
        payment(world, trigger, actor=world.supplier_member)


@pytest.mark.parametrize("who", ["supplier_manager", "consultant_manager"])
def test_refuses_payment_created_by_a_manager_who_does_not_manage_the_payer(world, who):
    trigger = world.deliverable("Foundation complete")

    with refused("not_payer_manager", error=Forbidden) as excinfo:
        payment(world, trigger, actor=getattr(world, who))

    assert world.client_org.name in excinfo.value.message


def test_payee_manager_cannot_commit_the_payer_even_for_a_small_amount(world):
    trigger = world.deliverable("Foundation complete")

    with refused("not_payer_manager", error=Forbidden):
        payment(world, trigger, percentage=None, amount="1.00", actor=world.supplier_manager)


def test_manager_of_the_payer_creates_a_payment_the_other_way(world):
    # Say the supplier owes the client a rebate: the supplier's manager commits it.
    trigger = world.deliverable("Foundation complete")

    milestone = payment(
        world,
        trigger,
        title="Late completion rebate",
        payer=world.supplier,
        payee=world.client,
        owner=world.supplier_member,
        percentage=None,
        amount="5000",
        actor=world.supplier_manager,
    )

    terms = terms_of(milestone)
    assert (terms.payer, terms.payee, terms.amount) == (
        world.supplier,
        world.client,
        Decimal("5000.00"),
    )
    assert milestone.responsible_party == world.supplier


def test_client_manager_cannot_commit_the_supplier_to_pay(world):
    trigger = world.deliverable("Foundation complete")

    with refused("not_payer_manager", error=Forbidden):
        payment(
            world,
            trigger,
            payer=world.supplier,
            payee=world.client,
            owner=world.supplier_member,
            actor=world.client_manager,
        )


def test_cancelled_payment_frees_its_share_of_the_contract_value(world):
    _foundation, _structure, completion = seed(world)
    release(world, completion, MilestoneStatus.CANCELLED)

    replacement = payment(world, world.deliverable("Landscaping complete"), percentage="30")

    assert terms_of(replacement).amount == Decimal("300000.00")


def test_waived_payment_frees_its_share_of_the_contract_value(world):
    _foundation, structure, _completion = seed(world)
    release(world, structure, MilestoneStatus.WAIVED, reason="Settled")

    replacement = payment(world, world.deliverable("Frame complete"), percentage="40")

    assert terms_of(replacement).amount == Decimal("400000.00")


def test_trigger_becomes_a_predecessor_of_the_payment(world):
    trigger = world.deliverable("Foundation complete")

    milestone = payment(world, trigger)

    assert list(Dependency.objects.values_list("predecessor_id", "successor_id")) == [
        (trigger.pk, milestone.pk)
    ]


# payment_terms_change


def test_terms_change_rederives_the_amount_from_a_new_percentage(world):
    milestone = payment(world, world.deliverable("Foundation complete"), percentage="30")

    payment_terms_change(milestone=milestone, percentage="25", actor=world.client_manager)

    terms = terms_of(milestone)
    assert (terms.basis, terms.amount, terms.percentage) == (
        PaymentBasis.PERCENTAGE,
        Decimal("250000.00"),
        Decimal("25.0000"),
    )
    event = Event.objects.get(action="payment.terms_changed", object_id=terms.pk)
    assert event.before["amount"] == "300000.00"
    assert event.after["amount"] == "250000.00"


def test_terms_change_checks_the_total_without_counting_the_old_terms(world):
    _foundation, structure, _completion = seed(world)

    payment_terms_change(milestone=structure, amount="400000.00", actor=world.client_manager)

    terms = terms_of(structure)
    assert (terms.basis, terms.amount) == (PaymentBasis.AMOUNT, Decimal("400000.00"))


def test_rejects_terms_change_that_takes_total_above_contract_value(world):
    _foundation, structure, _completion = seed(world)

    with refused("payment_total_exceeds_value", "amount"):
        payment_terms_change(milestone=structure, percentage="40.01", actor=world.client_manager)

    terms = terms_of(structure)
    assert (terms.amount, terms.percentage) == (Decimal("400000.00"), Decimal("40.0000"))


def test_terms_change_sets_retention_alone(world):
    milestone = payment(world, world.deliverable("Foundation complete"))

    payment_terms_change(milestone=milestone, retention_percent="5", actor=world.client_manager)

    terms = terms_of(milestone)
    assert terms.retention_percent == Decimal("5.00")
    assert terms.amount == Decimal("300000.00")


def test_rejects_terms_change_after_invoice(world):
    milestone = invoiced(world)

    with refused("already_invoiced", "amount"):
        payment_terms_change(milestone=milestone, percentage="20", actor=world.client_manager)

    assert terms_of(milestone).amount == Decimal("300000.00")


def test_rejects_terms_change_on_a_cancelled_payment(world):
    _foundation, _structure, completion = seed(world)
    release(world, completion, MilestoneStatus.CANCELLED)

    with refused("milestone_closed", "status"):
        payment_terms_change(milestone=completion, percentage="10", actor=world.client_manager)

    assert terms_of(completion).amount == Decimal("300000.00")


def test_rejects_terms_change_on_a_milestone_that_is_not_a_payment(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_a_payment", "kind"):
        payment_terms_change(milestone=deliverable, percentage="20", actor=world.client_manager)


def test_refuses_terms_change_by_a_member_who_is_not_a_manager(world):
    milestone = payment(world, world.deliverable("Foundation complete"))

    with refused("forbidden", error=Forbidden):
        payment_terms_change(milestone=milestone, percentage="20", actor=world.client_member)

    assert terms_of(milestone).amount == Decimal("300000.00")


@pytest.mark.parametrize("who", ["supplier_manager", "consultant_manager"])
def test_refuses_terms_change_by_a_manager_who_does_not_manage_the_payer(world, who):
    milestone = payment(world, world.deliverable("Foundation complete"))

    with refused("not_payer_manager", error=Forbidden):
        payment_terms_change(milestone=milestone, percentage="40", actor=getattr(world, who))

    assert terms_of(milestone).amount == Decimal("300000.00")


# payment_record_invoice


def test_rejects_invoice_until_the_trigger_is_met(world):
    milestone = payment(world, world.deliverable("Foundation complete"))

    with refused("trigger_not_met", "invoiced_on"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today,
            amount="300000",
            actor=world.supplier_manager,
        )

    assert terms_of(milestone).invoiced_on is None


def test_invoice_is_accepted_once_the_client_accepts_the_trigger(world):
    milestone = triggered(world)

    terms = payment_record_invoice(
        milestone=milestone, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
    )

    stored = terms_of(milestone)
    assert (stored.invoiced_on, stored.invoiced_amount) == (world.today, Decimal("300000.00"))
    assert terms.invoiced_amount == Decimal("300000.00")
    assert Event.objects.filter(action="payment.invoiced", object_id=terms.pk).exists()


def test_invoice_moves_a_scheduled_payment_to_in_progress(world):
    milestone = triggered(world)
    assert milestone.status == MilestoneStatus.SCHEDULED

    payment_record_invoice(
        milestone=milestone, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
    )

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS


def test_invoice_is_accepted_when_the_trigger_is_waived(world):
    trigger = world.deliverable("Foundation complete")
    milestone = payment(world, trigger)
    milestone_set_status(
        milestone=trigger,
        status=MilestoneStatus.WAIVED,
        reason="Done by others",
        actor=world.client_manager,
    )

    payment_record_invoice(
        milestone=milestone, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
    )

    assert terms_of(milestone).invoiced_on == world.today


def test_payer_manager_may_record_the_invoice(world):
    milestone = triggered(world)

    payment_record_invoice(
        milestone=milestone, invoiced_on=world.today, amount="300000", actor=world.client_manager
    )

    assert terms_of(milestone).invoiced_amount == Decimal("300000.00")


def test_refuses_invoice_from_a_manager_of_neither_payer_nor_payee(world):
    milestone = triggered(world)

    with refused("not_payment_party", error=Forbidden):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today,
            amount="300000",
            actor=world.consultant_manager,
        )


def test_refuses_invoice_from_a_member_of_the_payee_who_is_not_a_manager(world):
    milestone = triggered(world)

    with refused("not_payment_party", error=Forbidden):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today,
            amount="300000",
            actor=world.supplier_member,
        )

    assert terms_of(milestone).invoiced_on is None


def test_rejects_invoice_above_the_payment_amount(world):
    milestone = triggered(world)

    with refused("invoice_exceeds_amount", "amount"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today,
            amount="300000.01",
            actor=world.supplier_manager,
        )


def test_rejects_invoice_of_zero(world):
    milestone = triggered(world)

    with refused("invoice_exceeds_amount", "amount"):
        payment_record_invoice(
            milestone=milestone, invoiced_on=world.today, amount="0", actor=world.supplier_manager
        )

    assert terms_of(milestone).invoiced_on is None


def test_rejects_a_second_invoice(world):
    milestone = invoiced(world, amount="100000")

    with refused("already_invoiced", "invoiced_on"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today,
            amount="200000",
            actor=world.supplier_manager,
        )

    assert terms_of(milestone).invoiced_amount == Decimal("100000.00")


def test_rejects_invoice_dated_in_the_future(world):
    milestone = triggered(world)

    with refused("date_in_future", "invoiced_on"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today + DAY,
            amount="300000",
            actor=world.supplier_manager,
        )


def test_rejects_invoice_on_a_cancelled_payment(world):
    milestone = triggered(world)
    release(world, milestone, MilestoneStatus.CANCELLED)

    with refused("milestone_closed", "status"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=world.today,
            amount="300000",
            actor=world.supplier_manager,
        )

    assert terms_of(milestone).invoiced_on is None


def test_rejects_invoice_on_a_stale_copy_of_a_cancelled_payment(world):
    milestone = triggered(world)
    stale = Milestone.objects.get(pk=milestone.pk)
    release(world, milestone, MilestoneStatus.CANCELLED)

    with refused("milestone_closed", "status"):
        payment_record_invoice(
            milestone=stale, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
        )

    assert Milestone.objects.get(pk=milestone.pk).status == MilestoneStatus.CANCELLED


def test_rejects_invoice_on_a_milestone_that_is_not_a_payment(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_a_payment", "kind"):
        payment_record_invoice(
            milestone=deliverable, invoiced_on=world.today, amount="1", actor=world.supplier_manager
        )


# payment_record_paid


def test_rejects_payment_before_an_invoice(world):
    milestone = triggered(world)

    with refused("not_invoiced", "paid_on"):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="1000", actor=world.client_manager
        )


def test_rejects_payment_dated_before_its_invoice(world):
    milestone = invoiced(world)

    with refused("paid_before_invoice", "paid_on"):
        payment_record_paid(
            milestone=milestone,
            paid_on=world.today - DAY,
            amount="1000",
            actor=world.client_manager,
        )

    assert terms_of(milestone).paid_amount == Decimal(0)


def test_rejects_payment_dated_in_the_future(world):
    milestone = invoiced(world)

    with refused("date_in_future", "paid_on"):
        payment_record_paid(
            milestone=milestone,
            paid_on=world.today + DAY,
            amount="1000",
            actor=world.client_manager,
        )

    assert terms_of(milestone).paid_amount == Decimal(0)


def test_rejects_payment_of_zero(world):
    milestone = invoiced(world)

    with refused("invalid_amount", "amount"):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="0", actor=world.client_manager
        )


def test_rejects_overpayment_beyond_the_invoice_less_retention(world):
    milestone = invoiced(world, amount="300000", retention_percent="5")

    with refused("overpayment", "amount"):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="285000.01", actor=world.client_manager
        )

    assert terms_of(milestone).paid_amount == Decimal(0)


def test_paying_the_invoice_less_five_percent_retention_meets_the_payment_on_the_paid_date(world):
    milestone = invoiced(world, amount="300000", retention_percent="5")
    paid_on = world.today + 5 * DAY

    with travel_to(world.today + 10 * DAY):
        payment_record_paid(
            milestone=milestone, paid_on=paid_on, amount="285000", actor=world.client_manager
        )

    milestone.refresh_from_db()
    terms = terms_of(milestone)
    assert (milestone.status, milestone.met_on, milestone.progress) == (
        MilestoneStatus.MET,
        paid_on,
        100,
    )
    assert (terms.paid_amount, terms.retention_amount, terms.outstanding) == (
        Decimal("285000.00"),
        Decimal("15000.00"),
        Decimal("0.00"),
    )


def test_partial_payments_accumulate_until_the_invoice_is_paid(world):
    milestone = invoiced(world, amount="300000")

    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="100000", actor=world.client_manager
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS
    assert terms_of(milestone).outstanding == Decimal("200000.00")

    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="200000", actor=world.client_manager
    )

    milestone.refresh_from_db()
    assert terms_of(milestone).paid_amount == Decimal("300000.00")
    assert milestone.status == MilestoneStatus.MET


def test_fully_paid_payment_is_met_on_the_latest_payment_date_whatever_the_order_recorded(world):
    milestone = invoiced(world, amount="300000")

    with travel_to(world.today + 10 * DAY):
        payment_record_paid(
            milestone=milestone,
            paid_on=world.today + 8 * DAY,
            amount="100000",
            actor=world.client_manager,
        )
        payment_record_paid(
            milestone=milestone,
            paid_on=world.today + 3 * DAY,
            amount="200000",
            actor=world.client_manager,
        )

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.MET
    assert milestone.met_on == world.today + 8 * DAY
    assert terms_of(milestone).paid_on == world.today + 8 * DAY


def test_rejects_partial_payment_while_the_contract_is_suspended(world):
    milestone = invoiced(world, amount="300000")
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    with refused("contract_not_active", "contract"):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="1000", actor=world.client_manager
        )

    assert terms_of(milestone).paid_amount == Decimal(0)


def test_refuses_payment_recorded_by_a_manager_of_neither_party(world):
    milestone = invoiced(world)

    with refused("not_payment_party", error=Forbidden):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="1000", actor=world.consultant_manager
        )


def test_rejects_payment_on_a_payment_that_is_already_met(world):
    milestone = invoiced(world, amount="300000")
    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="300000", actor=world.client_manager
    )

    with refused("milestone_closed", "status"):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="1", actor=world.client_manager
        )

    assert terms_of(milestone).paid_amount == Decimal("300000.00")


def test_paying_an_invoice_for_less_than_the_agreed_amount_partially_meets_the_payment(world):
    milestone = invoiced(world, amount="100000")
    paid_on = world.today + 2 * DAY

    with travel_to(world.today + 3 * DAY):
        payment_record_paid(
            milestone=milestone, paid_on=paid_on, amount="100000", actor=world.client_manager
        )

    milestone.refresh_from_db()
    terms = terms_of(milestone)
    assert (milestone.status, milestone.met_on) == (MilestoneStatus.PARTIALLY_MET, paid_on)
    assert milestone.progress == 0  # partially met leaves progress where it was
    assert (terms.amount, terms.invoiced_amount, terms.paid_amount, terms.outstanding) == (
        Decimal("300000.00"),
        Decimal("100000.00"),
        Decimal("100000.00"),
        Decimal("0.00"),
    )
    event = Event.objects.filter(action="milestone.status_changed", milestone_id=milestone.pk)
    assert event.latest("id").after["status"] == MilestoneStatus.PARTIALLY_MET


def test_paying_a_short_invoice_less_retention_also_only_partially_meets_it(world):
    milestone = invoiced(world, amount="299999.99", retention_percent="5")
    payable = terms_of(milestone).payable_amount

    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount=payable, actor=world.client_manager
    )

    milestone.refresh_from_db()
    assert terms_of(milestone).outstanding == Decimal("0.00")
    assert milestone.status == MilestoneStatus.PARTIALLY_MET


def test_paying_an_invoice_for_the_full_amount_meets_the_payment(world):
    milestone = invoiced(world, amount="300000.00")

    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="300000", actor=world.client_manager
    )

    milestone.refresh_from_db()
    assert (milestone.status, milestone.met_on, milestone.progress) == (
        MilestoneStatus.MET,
        world.today,
        100,
    )


def test_part_payment_of_a_short_invoice_leaves_the_payment_in_progress(world):
    milestone = invoiced(world, amount="100000")

    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="99999.99", actor=world.client_manager
    )

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS


def test_partially_met_payment_takes_no_further_money(world):
    milestone = invoiced(world, amount="100000")
    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="100000", actor=world.client_manager
    )

    with refused("milestone_closed", "status"):
        payment_record_paid(
            milestone=milestone, paid_on=world.today, amount="1", actor=world.client_manager
        )


# payment_release


@pytest.mark.parametrize(
    "status", [MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED, MilestoneStatus.NOT_MET]
)
def test_payee_manager_gives_up_a_payment_with_the_reason_in_the_event(world, status):
    milestone = triggered(world)

    payment_release(
        milestone=milestone, status=status, reason=" Settled on site ", actor=world.supplier_manager
    )

    milestone.refresh_from_db()
    assert milestone.status == status
    event = Event.objects.filter(action="milestone.status_changed", milestone_id=milestone.pk)
    event = event.latest("id")
    assert event.actor == world.supplier_manager
    assert (event.after["status"], event.after["reason"]) == (status, "Settled on site")


@pytest.mark.parametrize(
    "status", [MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED, MilestoneStatus.NOT_MET]
)
def test_payer_manager_cannot_give_up_what_the_payer_owes(world, status):
    milestone = invoiced(world)

    with refused("not_counterparty", error=Forbidden) as excinfo:
        payment_release(
            milestone=milestone, status=status, reason="Not paying", actor=world.client_manager
        )

    assert world.supplier_org.name in excinfo.value.message
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS


@pytest.mark.parametrize("who", ["supplier_member", "consultant_manager"])
def test_only_a_manager_of_the_payee_may_give_up_a_payment(world, who):
    milestone = triggered(world)

    with refused("not_counterparty", error=Forbidden):
        payment_release(
            milestone=milestone,
            status=MilestoneStatus.WAIVED,
            reason="Settled",
            actor=getattr(world, who),
        )


@pytest.mark.parametrize("who", ["supplier_viewer", "outsider"])
def test_viewer_or_outsider_cannot_give_up_a_payment(world, who):
    milestone = triggered(world)

    with refused("forbidden", error=Forbidden):
        payment_release(
            milestone=milestone,
            status=MilestoneStatus.WAIVED,
            reason="Settled",
            actor=getattr(world, who),
        )


def test_giving_up_a_payment_needs_a_reason(world):
    milestone = triggered(world)

    with refused("reason_required", "reason"):
        payment_release(
            milestone=milestone,
            status=MilestoneStatus.WAIVED,
            reason="  ",
            actor=world.supplier_manager,
        )


@pytest.mark.parametrize(
    "status", [MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET, MilestoneStatus.IN_PROGRESS]
)
def test_release_refuses_statuses_a_payment_reaches_from_its_records(world, status):
    milestone = triggered(world)

    with refused("status_not_manual", "status"):
        payment_release(
            milestone=milestone, status=status, reason="Why", actor=world.supplier_manager
        )


def test_release_refuses_a_milestone_that_is_not_a_payment(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_a_payment", "kind"):
        payment_release(
            milestone=deliverable,
            status=MilestoneStatus.WAIVED,
            reason="Why",
            actor=world.client_manager,
        )


@pytest.mark.parametrize("who", ["client_manager", "supplier_manager"])
def test_payment_cannot_be_given_up_through_set_status(world, who):
    milestone = triggered(world)

    with refused("status_by_kind", "status"):
        milestone_set_status(
            milestone=milestone,
            status=MilestoneStatus.WAIVED,
            reason="Settled",
            actor=getattr(world, who),
        )


def test_release_refuses_a_stale_copy_of_a_met_payment(world):
    milestone = invoiced(world, amount="300000")
    stale = Milestone.objects.get(pk=milestone.pk)
    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="300000", actor=world.client_manager
    )

    with refused("invalid_transition", "status"):
        release(world, stale, MilestoneStatus.WAIVED)

    assert Milestone.objects.get(pk=milestone.pk).status == MilestoneStatus.MET


# contract_revalue


def test_revalue_rescales_percentage_payments(world):
    foundation, structure, completion = seed(world)

    contract_revalue(contract=world.contract, value="1200000", actor=world.client_manager)

    assert [terms_of(m).amount for m in (foundation, structure, completion)] == [
        Decimal("360000.00"),
        Decimal("480000.00"),
        Decimal("360000.00"),
    ]
    assert Contract.objects.get(pk=world.contract.pk).value == Decimal("1200000.00")
    assert Event.objects.filter(action="payment.rescaled").count() == 3


def test_revalue_to_the_same_value_leaves_percentage_amounts_alone(world):
    milestone = payment(world, world.deliverable("Foundation complete"), percentage="33.33333")
    amount = terms_of(milestone).amount

    contract_revalue(contract=world.contract, value="1000000", actor=world.client_manager)

    assert terms_of(milestone).amount == amount
    assert not Event.objects.filter(action="payment.rescaled").exists()


def test_revalue_keeps_invoiced_percentage_payments_as_invoiced(world):
    milestone = invoiced(world, amount="300000", percentage="30")

    contract_revalue(contract=world.contract, value="2000000", actor=world.client_manager)

    assert terms_of(milestone).amount == Decimal("300000.00")


def test_revalue_recomputes_the_percentage_of_fixed_amounts(world):
    milestone = payment(
        world, world.deliverable("Foundation complete"), percentage=None, amount="600000"
    )

    contract_revalue(contract=world.contract, value="1200000", actor=world.client_manager)

    terms = terms_of(milestone)
    assert (terms.amount, terms.percentage) == (Decimal("600000.00"), Decimal("50.0000"))


def test_rejects_revalue_below_the_total_of_fixed_amounts_and_rolls_back(world):
    fixed = payment(
        world, world.deliverable("Foundation complete"), percentage=None, amount="600000"
    )
    share = payment(world, world.deliverable("Structure complete"), percentage="40")

    with refused("payment_total_exceeds_value", "value"):
        contract_revalue(contract=world.contract, value="500000", actor=world.client_manager)

    assert Contract.objects.get(pk=world.contract.pk).value == Decimal("1000000.00")
    assert (terms_of(fixed).amount, terms_of(fixed).percentage) == (
        Decimal("600000.00"),
        Decimal("60.0000"),
    )
    assert terms_of(share).amount == Decimal("400000.00")


def test_refuses_revalue_by_a_member_who_is_not_a_manager(world):
    with refused("forbidden", error=Forbidden):
        contract_revalue(contract=world.contract, value="2000000", actor=world.supplier_member)

    assert Contract.objects.get(pk=world.contract.pk).value == Decimal("1000000.00")


# PaymentTerms.state


def test_state_is_planned_until_the_trigger_is_met(world):
    milestone = payment(world, world.deliverable("Foundation complete"))

    assert terms_of(milestone).state(world.today) == PaymentState.PLANNED


def test_state_is_due_once_the_trigger_is_met(world):
    milestone = triggered(world)

    assert terms_of(milestone).state(world.today) == PaymentState.DUE


def test_state_is_invoiced_until_the_due_date(world):
    milestone = invoiced(world)

    assert terms_of(milestone).state(milestone.due_date) == PaymentState.INVOICED


def test_state_is_overdue_when_invoiced_and_past_the_due_date(world):
    milestone = invoiced(world)

    assert terms_of(milestone).state(milestone.due_date + DAY) == PaymentState.OVERDUE


def test_state_is_paid_once_the_payment_is_met(world):
    milestone = invoiced(world, amount="300000")
    payment_record_paid(
        milestone=milestone, paid_on=world.today, amount="300000", actor=world.client_manager
    )

    assert terms_of(milestone).state(world.today) == PaymentState.PAID


def test_state_is_closed_when_the_payment_is_cancelled(world):
    milestone = triggered(world)
    release(world, milestone, MilestoneStatus.CANCELLED)

    assert terms_of(milestone).state(world.today) == PaymentState.CLOSED


def test_state_is_closed_when_the_payment_is_not_met(world):
    milestone = invoiced(world)
    release(world, milestone, MilestoneStatus.NOT_MET, reason="Payer in default")

    assert terms_of(milestone).state(world.today) == PaymentState.CLOSED


# payments.selectors.payment_totals


def test_payment_totals_sum_live_payments_in_one_query(world, django_assert_num_queries):
    foundation, _structure, completion = seed(world)
    deliverable_accept(milestone=terms_of(foundation).trigger, actor=world.client_manager)
    payment_record_invoice(
        milestone=foundation, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
    )
    payment_record_paid(
        milestone=foundation, paid_on=world.today, amount="120000", actor=world.client_manager
    )
    release(world, completion, MilestoneStatus.CANCELLED)

    with django_assert_num_queries(1):
        totals = payment_totals(contract=world.contract)

    assert totals == {
        "committed": Decimal("700000.00"),
        "invoiced": Decimal("300000.00"),
        "paid": Decimal("120000.00"),
    }


def test_payment_totals_are_zero_without_payments(world):
    assert payment_totals(contract=world.contract) == {
        "committed": Decimal(0),
        "invoiced": Decimal(0),
        "paid": Decimal(0),
    }


def test_rejects_a_cancelled_milestone_as_trigger(world):
    trigger = world.deliverable("Abandoned works")
    milestone_set_status(
        milestone=trigger,
        status=MilestoneStatus.CANCELLED,
        reason="Descoped",
        actor=world.client_manager,
    )

    with refused("invalid_trigger", "trigger"):
        payment(world, trigger)


def test_rejects_an_invoice_dated_before_its_trigger_was_met(world):
    milestone = triggered(world)
    met_on = terms_of(milestone).trigger.met_on

    with refused("invoice_before_trigger", "invoiced_on"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=met_on - DAY,
            amount="1000",
            actor=world.supplier_manager,
        )

    assert terms_of(milestone).invoiced_on is None
