"""Service and selector tests for delay damages: accrual, caps, extensions of time, deductions,
and who may set, change and remove the terms."""

import datetime as dt
from decimal import Decimal

import pytest

from milepost.audit.models import Event
from milepost.core.errors import Forbidden
from milepost.finance.choices import DeductionKind
from milepost.finance.damages.selectors import (
    contractual_date,
    damages_accrual,
    damages_available,
    damages_for_contract,
    damages_totals,
)
from milepost.finance.damages.services import damages_terms_remove, damages_terms_set
from milepost.finance.events import FinanceEvent
from milepost.finance.models import DamagesTerms, Deduction, PaymentCycle
from milepost.schedule.changes import change_request_approve, change_request_submit
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.services import milestone_record_outcome, milestone_reschedule
from tests.helpers import refused

# Monday 2 March 2026; the completion is due 10 days later, Thursday 12 March 2026.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")
DUE = dt.date(2026, 3, 12)


def completion(w, **overrides):
    return w.deliverable("Practical completion", due_date=DUE, **overrides)


def damages(w, milestone, **fields):
    values = {
        "milestone": milestone,
        "actor": w.client_manager,
        "rate": Decimal("1000.00"),
        "unit": "day",
        "payer": w.supplier,
        "payee": w.client,
    }
    values.update(fields)
    return damages_terms_set(**values)


def on(day_offset):
    return DUE + dt.timedelta(days=day_offset)


# --- accrual ---------------------------------------------------------------------------------


def test_nothing_accrues_up_to_the_contractual_date(w):
    terms = damages(w, completion(w))

    accrual = damages_accrual(terms=terms, today=DUE)

    assert accrual.days_late == 0
    assert accrual.accrued == Decimal("0.00")
    assert not accrual.still_late


def test_a_milestone_still_late_today_accrues_each_day_from_the_day_after_its_date(w):
    # given £1,000 a day and a completion due 12 Mar, not met by 17 Mar
    terms = damages(w, completion(w))

    accrual = damages_accrual(terms=terms, today=on(5))

    # then 13, 14, 15, 16 and 17 Mar count: 5 days, £5,000
    assert accrual.days_late == 5
    assert accrual.accrued == Decimal("5000.00")
    assert accrual.available == Decimal("5000.00")
    assert accrual.still_late
    assert accrual.words == (
        "5 days late: due by 12 Mar 2026, still not met on 17 Mar 2026. "
        "5 days at £1,000.00 = £5,000.00."
    )


def test_per_week_charges_each_week_or_part_of_a_week(w):
    terms = damages(w, completion(w), rate=Decimal("2500.00"), unit="week")

    # 7 days late is one week; 8 days late is a week and a part: two
    assert damages_accrual(terms=terms, today=on(7)).accrued == Decimal("2500.00")
    eight = damages_accrual(terms=terms, today=on(8))
    assert eight.periods == 2
    assert eight.accrued == Decimal("5000.00")


def test_a_milestone_met_late_stops_accruing_on_the_day_it_was_met(w, clock):
    # given the completion is met 3 days late
    milestone = completion(w)
    terms = damages(w, milestone)
    clock.move_to(dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC))
    milestone_record_outcome(
        milestone=milestone, status=MilestoneStatus.MET, actor=w.client_manager, met_on=on(3)
    )
    terms.refresh_from_db()

    # when read a month later
    accrual = damages_accrual(terms=terms, today=on(30))

    # then only 13, 14 and 15 Mar count
    assert accrual.days_late == 3
    assert accrual.accrued == Decimal("3000.00")
    assert not accrual.still_late
    assert "met on 15 Mar 2026" in accrual.words


def test_a_cap_by_amount_stops_the_damages_at_the_cap(w):
    terms = damages(w, completion(w), cap_amount=Decimal("4000"))

    accrual = damages_accrual(terms=terms, today=on(10))

    # 10 days at £1,000 is £10,000, capped at £4,000
    assert accrual.uncapped == Decimal("10000.00")
    assert accrual.accrued == Decimal("4000.00")
    assert accrual.capped


def test_a_cap_by_percentage_is_a_share_of_the_contract_value(w):
    # given a cap of 0.5% of the £1,000,000 contract: £5,000
    terms = damages(w, completion(w), cap_percent=Decimal("0.5"))

    assert damages_accrual(terms=terms, today=on(4)).accrued == Decimal("4000.00")
    eight = damages_accrual(terms=terms, today=on(8))
    assert eight.cap == Decimal("5000.00")
    assert eight.accrued == Decimal("5000.00")
    assert eight.capped


def test_with_both_caps_the_lower_applies(w):
    terms = damages(w, completion(w), cap_amount=Decimal("6000"), cap_percent=Decimal("0.3"))

    accrual = damages_accrual(terms=terms, today=on(10))

    assert accrual.cap == Decimal("3000.00")
    assert accrual.accrued == Decimal("3000.00")


def test_an_approved_extension_of_time_moves_the_contractual_date(w):
    # given the supplier asks for 7 more days and the client approves
    milestone = completion(w)
    terms = damages(w, milestone)
    change = change_request_submit(
        milestone=milestone, new_due_date=on(7), reason="Storm damage", actor=w.supplier_manager
    )
    change_request_approve(change=change, actor=w.client_manager)
    milestone.refresh_from_db()

    accrual = damages_accrual(terms=terms, today=on(10))

    # then damages run from 20 Mar: 20, 21, 22 Mar
    assert contractual_date(milestone) == on(7)
    assert accrual.contractual_date == on(7)
    assert accrual.days_late == 3
    assert accrual.accrued == Decimal("3000.00")
    assert [(x.old_date, x.new_date, x.days) for x in accrual.extensions] == [(DUE, on(7), 7)]


def test_a_pending_change_request_or_a_reschedule_does_not_move_the_contractual_date(w):
    milestone = completion(w)
    damages(w, milestone)
    milestone_reschedule(
        milestone=milestone, due_date=on(2), reason="Resequenced", actor=w.supplier_manager
    )
    milestone.refresh_from_db()
    change_request_submit(
        milestone=milestone, new_due_date=on(9), reason="Storm damage", actor=w.supplier_manager
    )

    assert milestone.due_date == on(2)
    assert contractual_date(milestone) == DUE


def test_a_waived_milestone_owes_no_damages(w):
    milestone = completion(w)
    terms = damages(w, milestone)
    Milestone = type(milestone)
    Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.WAIVED)
    terms.refresh_from_db()

    assert damages_accrual(terms=terms, today=on(10)).accrued == Decimal("0.00")


def cycle(w, number=1, *, pay_less_late=False):
    return PaymentCycle.objects.create(
        contract=w.contract,
        number=number,
        payer=w.client,
        payee=w.supplier,
        period_end=on(10),
        applied_on=on(10),
        applied_by=w.supplier_manager,
        gross_value=Decimal("100000"),
        applied_sum=Decimal("100000"),
        due_date=on(17),
        final_date=on(34),
        payment_notice_by=on(22),
        pay_less_by=on(27),
        pay_less_on=on(20),
        pay_less_late=pay_less_late,
    )


def test_damages_deducted_in_time_are_not_available_again(w):
    # given 10 days of damages, £4,000 taken by a pay less notice in time and £2,000 by one late
    milestone = completion(w)
    terms = damages(w, milestone)
    Deduction.objects.create(
        cycle=cycle(w),
        kind=DeductionKind.DELAY_DAMAGES,
        amount=Decimal("4000"),
        milestone=milestone,
    )
    Deduction.objects.create(
        cycle=cycle(w, 2, pay_less_late=True),
        kind=DeductionKind.DELAY_DAMAGES,
        amount=Decimal("2000"),
        milestone=milestone,
    )

    accrual = damages_accrual(terms=terms, today=on(10))

    # then the late notice took nothing off: £6,000 is still to deduct
    assert accrual.deducted == Decimal("4000.00")
    assert accrual.available == Decimal("6000.00")
    assert damages_available(milestone=milestone, today=on(10)) == Decimal("6000.00")
    assert damages_available(milestone=milestone, today=on(3)) == Decimal("0.00")


def test_an_extension_approved_after_a_deduction_shows_what_was_deducted_too_much(w):
    # given £8,000 (8 days) taken by a pay less notice in time, then 7 more days approved
    milestone = completion(w)
    terms = damages(w, milestone)
    Deduction.objects.create(
        cycle=cycle(w),
        kind=DeductionKind.DELAY_DAMAGES,
        amount=Decimal("8000"),
        milestone=milestone,
    )
    change = change_request_submit(
        milestone=milestone, new_due_date=on(7), reason="Storm damage", actor=w.supplier_manager
    )
    change_request_approve(change=change, actor=w.client_manager)
    terms.refresh_from_db()

    accrual = damages_accrual(terms=terms, today=on(10))
    [listed] = damages_for_contract(contract=w.contract, today=on(10))

    # then only 3 days (£3,000) are owed now: £5,000 was deducted too much, nothing is available
    assert (accrual.accrued, accrual.available, accrual.over_deducted) == (
        Decimal("3000.00"),
        Decimal("0.00"),
        Decimal("5000.00"),
    )
    assert listed.over_deducted == Decimal("5000.00")
    assert damages_totals([listed], "GBP").over_deducted == Decimal("5000.00")


def test_a_milestone_without_damages_has_none_available(w):
    assert damages_available(milestone=completion(w), today=on(30)) == Decimal("0")


def test_the_contract_list_reads_every_milestone_in_three_queries(w, django_assert_num_queries):
    for n in range(3):
        milestone = w.deliverable(f"Section {n}", due_date=DUE)
        damages(w, milestone)

    with django_assert_num_queries(3):
        accruals = damages_for_contract(contract=w.contract, today=on(2))
        words = [a.words for a in accruals]

    assert [a.accrued for a in accruals] == [Decimal("2000.00")] * 3
    assert len(words) == 3


# --- setting, changing and removing ------------------------------------------------------------


def test_setting_damages_records_an_event(w):
    milestone = completion(w)

    terms = damages(w, milestone, unit="week", cap_amount="50000")

    assert terms.unit == "week" and terms.cap_amount == Decimal("50000.00")
    event = Event.objects.get(action=FinanceEvent.DELAY_DAMAGES_SET)
    assert event.milestone_id == milestone.pk
    assert event.after["payer"] == "Northgate Construction"


def test_changing_damages_records_what_changed(w):
    milestone = completion(w)
    damages(w, milestone)

    damages(w, milestone, rate="1500")

    assert DamagesTerms.objects.get().rate == Decimal("1500.00")
    event = Event.objects.get(action=FinanceEvent.DELAY_DAMAGES_CHANGED)
    assert event.before == {"rate": "1000.00"} and event.after == {"rate": "1500.00"}


def test_removing_damages_records_an_event(w):
    milestone = completion(w)
    damages(w, milestone)

    damages_terms_remove(milestone=milestone, actor=w.client_manager)

    assert not DamagesTerms.objects.exists()
    assert Event.objects.filter(action=FinanceEvent.DELAY_DAMAGES_REMOVED).count() == 1


def test_refuses_removing_damages_already_deducted(w):
    milestone = completion(w)
    damages(w, milestone)
    Deduction.objects.create(
        cycle=cycle(w), kind=DeductionKind.DELAY_DAMAGES, amount=Decimal("10"), milestone=milestone
    )

    with refused("damages_deducted", "milestone"):
        damages_terms_remove(milestone=milestone, actor=w.client_manager)


def test_refuses_the_supplier_changing_agreed_damages_on_a_signed_contract(w):
    milestone = completion(w)

    with refused("damages_agreed", error=Forbidden):
        damages(w, milestone, actor=w.supplier_manager)


def test_either_party_named_sets_damages_on_a_draft_contract(w):
    contract = w.other_contract()
    client, supplier = contract.parties.order_by("id")
    milestone = w.deliverable(contract=contract, responsible_party=supplier, accepting_party=client)

    terms = damages(w, milestone, actor=w.supplier_manager, payer=supplier, payee=client)

    assert terms.payer == supplier


def test_refuses_a_manager_of_neither_party_on_a_draft_contract(w):
    contract = w.other_contract()
    client, supplier = contract.parties.order_by("id")
    milestone = w.deliverable(contract=contract, responsible_party=supplier, accepting_party=client)
    consultant = w.consultant_org
    from milepost.contracts.services import party_add

    party_add(contract=contract, organisation=consultant, role="consultant", actor=w.client_manager)

    with refused("not_damages_party", error=Forbidden):
        damages(w, milestone, actor=w.consultant_manager, payer=supplier, payee=client)


def test_refuses_a_viewer(w):
    milestone = completion(w)

    with refused("forbidden", error=Forbidden):
        damages(w, milestone, actor=w.client_viewer)


def test_refuses_the_same_party_paying_and_owed(w):
    milestone = completion(w)

    with refused("payer_is_payee", "payee"):
        damages(w, milestone, payee=w.supplier)


def test_refuses_a_rate_of_zero(w):
    milestone = completion(w)

    with refused("invalid_rate", "rate"):
        damages(w, milestone, rate="0")


def test_refuses_a_cap_above_100_percent(w):
    milestone = completion(w)

    with refused("invalid_cap_percent", "cap_percent"):
        damages(w, milestone, cap_percent="120")


def test_refuses_an_unknown_unit(w):
    milestone = completion(w)

    with refused("invalid_unit", "unit"):
        damages(w, milestone, unit="month")


def test_refuses_damages_on_a_payment(w):
    from milepost.payments.services import payment_milestone_create

    trigger = completion(w)
    payment = payment_milestone_create(
        contract=w.contract,
        title="Completion payment",
        owner=w.client_manager,
        due_date=on(30),
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount="1000",
        actor=w.client_manager,
    )

    with refused("not_damageable", "milestone"):
        damages(w, payment)


def test_refuses_a_party_of_another_contract(w):
    other = w.other_contract()
    stranger = other.parties.order_by("id").first()

    milestone = completion(w)

    with refused("party_not_on_contract", "payee"):
        damages(w, milestone, payee=stranger)
