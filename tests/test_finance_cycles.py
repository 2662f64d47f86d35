"""Service tests for payment terms and payment cycles: one test per rule."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from milepost.audit.models import Event
from milepost.contracts.choices import PartyRole
from milepost.core.errors import Forbidden
from milepost.finance.choices import DeductionKind
from milepost.finance.cycles.selectors import cycle_figures, cycles_for_contract, notices_due
from milepost.finance.cycles.services import (
    DeductionIn,
    cycle_apply,
    cycle_default_notice,
    cycle_default_notice_refusal,
    cycle_pay_less,
    cycle_payment_notice,
    cycle_receipt_record,
    cycle_suspension_notice,
    money_terms_set,
)
from milepost.finance.damages.services import damages_terms_set
from milepost.finance.events import FinanceEvent
from milepost.finance.models import Deduction, PaymentCycle
from milepost.payments.services import payment_milestone_create
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneStatus
from tests.helpers import refused

START = dt.datetime(2026, 5, 15, 10, 0, tzinfo=ZoneInfo("Europe/London"))
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def terms(w, **overrides):
    fields = {
        "contract": w.contract,
        "actor": w.client_manager,
        "regime": "scheme_ew",
        "basis": "interim",
        "payer": w.client,
        "payee": w.supplier,
        "retention_percent": "5",
    }
    fields.update(overrides)
    return money_terms_set(**fields)


def apply(w, gross="100000", on="2026-04-30", period_end=None, **overrides):
    fields = {
        "contract": w.contract,
        "actor": w.supplier_manager,
        "applied_on": d(on),
        "period_end": d(period_end or on),
        "gross_value": gross,
    }
    fields.update(overrides)
    return cycle_apply(**fields)


def last_event(action):
    return Event.objects.filter(action=action).order_by("-id").first()


# --- terms -------------------------------------------------------------------------------


def test_the_owner_sets_scheme_terms_and_the_periods_are_the_schemes(w) -> None:
    money = terms(w)
    assert (money.due_days, money.final_days, money.payment_notice_days) == (7, 17, 5)
    assert money.pay_less_days == 7 and money.notices_required
    assert last_event(FinanceEvent.MONEY_TERMS_SET).after["retention_percent"] == "5.00"


def test_a_scheme_regime_refuses_other_periods(w) -> None:
    with refused("periods_fixed_by_regime", "due_days"):
        terms(w, due_days=10)


def test_custom_periods_must_leave_room_for_both_notices(w) -> None:
    with refused("notices_overlap", "pay_less_days"):
        terms(w, regime="custom", final_days=10, payment_notice_days=5, pay_less_days=6)


def test_custom_periods_are_kept(w) -> None:
    money = terms(
        w,
        regime="custom",
        due_days=14,
        final_days=30,
        payment_notice_days=5,
        pay_less_days=5,
        working_days=True,
    )
    assert (money.due_days, money.final_days, money.working_days) == (14, 30, True)


def test_net_30_has_no_notices(w) -> None:
    money = terms(w, regime="net_30", basis="stages")
    assert money.final_days == 30 and not money.notices_required


def test_payer_and_payee_differ(w) -> None:
    with refused("payer_is_payee", "payee"):
        terms(w, payee=w.client)


def test_an_observer_is_neither_payer_nor_payee(w) -> None:
    from milepost.contracts.services import party_add

    observer = party_add(
        contract=w.contract,
        organisation=w.outsider_org,
        role=PartyRole.OBSERVER,
        actor=w.client_manager,
    )
    with refused("observer_party", "payee"):
        terms(w, payee=observer)


def test_once_active_only_the_owner_changes_the_terms(w) -> None:
    with refused("not_terms_manager", error=Forbidden):
        terms(w, actor=w.supplier_manager)


def test_while_draft_a_manager_of_either_party_sets_the_terms(w) -> None:
    draft = w.other_contract()
    supplier = draft.parties.get(role=PartyRole.SUPPLIER)
    client = draft.parties.get(role=PartyRole.CLIENT)
    money = terms(w, contract=draft, actor=w.supplier_manager, payer=client, payee=supplier)
    assert money.payee == supplier


def test_a_change_records_only_what_changed(w) -> None:
    terms(w)
    terms(w, retention_percent="3")
    event = last_event(FinanceEvent.MONEY_TERMS_CHANGED)
    assert event.before == {"retention_percent": "5.00"}
    assert event.after == {"retention_percent": "3.00"}


def test_the_payer_no_longer_changes_once_a_cycle_is_applied(w) -> None:
    terms(w)
    apply(w)
    with refused("terms_in_use", "payer"):
        terms(w, payer=w.consultant)


# --- applications ------------------------------------------------------------------------


def test_an_interim_application_holds_retention_and_fixes_the_timetable(w) -> None:
    terms(w)
    cycle = apply(w, gross="100000", on="2026-04-30")
    assert (cycle.number, cycle.retention, cycle.previous) == (1, Decimal("5000.00"), 0)
    assert cycle.applied_sum == Decimal("95000.00")
    # The Scheme skips the bank holidays of 4 and 25 May 2026 (s.116); weekends count
    assert (cycle.due_date, cycle.final_date) == (d("2026-05-08"), d("2026-05-26"))
    assert (cycle.payment_notice_by, cycle.pay_less_by) == (d("2026-05-13"), d("2026-05-18"))


def test_the_next_application_is_gross_to_date_less_retention_to_date_less_notified(w) -> None:
    terms(w)
    first = apply(w, gross="100000", on="2026-03-31")
    cycle_payment_notice(
        cycle=first,
        actor=w.client_manager,
        given_on=d("2026-04-08"),
        notified_sum="90000",
        basis="Valuation at 31 March.",
    )
    second = apply(w, gross="250000", on="2026-04-30")
    # retention to date 5% of 250,000 = 12,500 (this cycle's share: 12,500 less 5,000 held
    # before); applied = gross to date 250,000 - retention to date 12,500 - 90,000 notified before
    assert second.retention == Decimal("7500.00")
    assert second.previous == Decimal("90000.00")
    assert second.applied_sum == Decimal("147500.00")


def test_a_retention_bond_holds_no_cash_retention(w) -> None:
    terms(w, retention_bond=True)
    assert apply(w).retention == 0


def test_only_the_payees_managers_apply(w) -> None:
    terms(w)
    with refused("not_payment_party", error=Forbidden):
        apply(w, actor=w.client_manager)


def test_an_application_needs_payment_terms(w) -> None:
    with refused("no_money_terms", "contract"):
        apply(w)


def test_an_application_is_not_dated_in_the_future(w) -> None:
    terms(w)
    with refused("date_in_future", "applied_on"):
        apply(w, on="2026-05-16")


def test_each_interim_period_ends_after_the_last(w) -> None:
    terms(w)
    apply(w, on="2026-04-30")
    with refused("period_not_after_previous", "period_end"):
        apply(w, gross="200000", on="2026-05-01", period_end="2026-04-30")


def test_an_interim_valuation_never_goes_below_the_last(w) -> None:
    terms(w)
    apply(w, gross="100000", on="2026-03-31")
    with refused("gross_below_previous", "gross_value"):
        apply(w, gross="90000", on="2026-04-30")


def test_stage_terms_need_the_payment_milestone(w) -> None:
    terms(w, basis="stages")
    with refused("stages_basis", "milestone"):
        apply(w)


def stage(w, title="Foundation"):
    trigger = w.deliverable(f"{title} complete", due_date=d("2026-05-01"))
    payment = payment_milestone_create(
        contract=w.contract,
        title=f"{title} payment",
        owner=w.client_member,
        due_date=d("2026-06-01"),
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount="200000",
        retention_percent="3",
        actor=w.client_manager,
    )
    return trigger, payment


def test_a_stage_waits_for_its_trigger(w) -> None:
    terms(w, basis="stages")
    _trigger, payment = stage(w)
    with refused("trigger_not_met", "milestone"):
        apply(w, milestone=payment)


def test_a_stage_applies_at_most_its_amount_with_its_own_retention(w) -> None:
    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    with refused("exceeds_stage", "gross_value"):
        apply(w, milestone=payment, gross="200000.01")
    cycle = apply(w, milestone=payment, gross="200000", on="2026-05-15")
    assert (cycle.retention, cycle.applied_sum) == (Decimal("6000.00"), Decimal("194000.00"))
    payment.refresh_from_db()
    assert payment.payment.invoiced_amount == Decimal("200000.00")


def test_a_stage_is_applied_for_once(w) -> None:
    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    apply(w, milestone=payment, on="2026-05-15")
    with refused("stage_already_applied", "milestone"):
        apply(w, milestone=payment, on="2026-05-15")


def test_a_stage_paid_in_full_after_a_pay_less_meets_its_payment(w) -> None:
    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    cycle = apply(w, milestone=payment, on="2026-05-15")
    cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-15"),
        grounds="Snagging.",
        deductions=[DeductionIn("other", "4000", description="Snags")],
    )
    cycle_receipt_record(
        cycle=cycle, actor=w.client_manager, paid_on=d("2026-05-15"), amount="93000"
    )
    payment.refresh_from_db()
    assert payment.status == MilestoneStatus.PARTIALLY_MET


# --- the payment notice ------------------------------------------------------------------


def test_a_payment_notice_in_time_sets_what_is_payable(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle = cycle_payment_notice(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-12"),
        notified_sum="80000",
        basis="Valuation.",
    )
    assert (cycle.notice_late, cycle.payable) == (False, Decimal("80000.00"))


def test_a_late_payment_notice_is_kept_but_the_application_stands(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle = cycle_payment_notice(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-14"),
        notified_sum="80000",
        basis="Valuation.",
    )
    assert cycle.notice_late and cycle.payable == Decimal("95000.00")
    assert last_event(FinanceEvent.PAYMENT_CYCLE_NOTIFIED).after["late"] is True


def test_only_the_payers_managers_give_the_payment_notice(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("not_payment_party", error=Forbidden):
        cycle_payment_notice(
            cycle=cycle,
            actor=w.supplier_manager,
            given_on=d("2026-05-10"),
            notified_sum="1",
            basis="x",
        )


def test_the_payment_notice_gives_its_basis(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("basis_required", "basis"):
        cycle_payment_notice(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-10"),
            notified_sum="1",
            basis=" ",
        )


def test_the_payment_notice_is_at_most_the_application(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("notified_above_applied", "notified_sum"):
        cycle_payment_notice(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-10"),
            notified_sum="95000.01",
            basis="x",
        )


def test_the_payment_notice_is_given_once(w) -> None:
    terms(w)
    cycle = apply(w)
    cycle_payment_notice(
        cycle=cycle, actor=w.client_manager, given_on=d("2026-05-10"), notified_sum="1", basis="x"
    )
    with refused("notice_given", "given_on"):
        cycle_payment_notice(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-10"),
            notified_sum="1",
            basis="x",
        )


def test_the_payment_notice_does_not_predate_the_application(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("date_too_early", "given_on"):
        cycle_payment_notice(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-04-29"),
            notified_sum="1",
            basis="x",
        )


def test_net_30_terms_take_no_notices(w) -> None:
    terms(w, regime="net_30")
    cycle = apply(w)
    assert cycle.notified_sum == cycle.applied_sum
    with refused("no_notices", "given_on"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-10"),
            grounds="x",
            deductions=[DeductionIn("other", "1", description="x")],
        )


# --- the default notice ------------------------------------------------------------------


def test_no_default_notice_while_the_payment_notice_may_still_come(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-05-14")
    with refused("notice_time_open", "given_on"):
        cycle_default_notice(cycle=cycle, actor=w.supplier_manager, given_on=d("2026-05-15"))


def test_a_default_notice_after_the_deadline_moves_the_final_date(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle = cycle_default_notice(cycle=cycle, actor=w.supplier_manager, given_on=d("2026-05-15"))
    # 2 days after the deadline of 13 May: the final date moves from 26 to 28 May, and the pay
    # less deadline to 7 days before it, not counting the bank holiday of 25 May
    assert cycle.final_date == d("2026-05-28")
    assert cycle.pay_less_by == d("2026-05-20")
    assert cycle.payable == Decimal("95000.00")


def test_only_the_payees_managers_give_a_default_notice(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    with refused("not_payment_party", error=Forbidden):
        cycle_default_notice(cycle=cycle, actor=w.client_manager, given_on=d("2026-05-15"))


def test_no_default_notice_after_a_payment_notice_in_time(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle_payment_notice(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-12"),
        notified_sum="80000",
        basis="x",
    )
    refusal = cycle_default_notice_refusal(
        cycle=PaymentCycle.objects.get(), user=w.supplier_manager
    )
    assert refusal is not None and refusal.code == "notice_in_time"


# --- the pay less notice -----------------------------------------------------------------


def test_a_pay_less_notice_in_time_lowers_what_is_payable_item_by_item(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle = cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-15"),
        grounds="Defects.",
        deductions=[DeductionIn("other", "2500", description="Cracked screed")],
    )
    assert cycle.payable == Decimal("92500.00") and cycle.withheld == Decimal("2500.00")
    assert Deduction.objects.get().amount == Decimal("2500.00")


def test_a_late_pay_less_notice_takes_nothing_off(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle_default_notice(cycle=cycle, actor=w.supplier_manager, given_on=d("2026-05-14"))
    cycle.refresh_from_db()
    assert cycle.pay_less_by == d("2026-05-19")
    # Given a pay less deadline already passed (a contract with a shorter period, say)
    PaymentCycle.objects.filter(pk=cycle.pk).update(pay_less_by=d("2026-05-14"))
    cycle = cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-15"),
        grounds="Defects.",
        deductions=[DeductionIn("other", "2500", description="Cracked screed")],
    )
    assert cycle.pay_less_late and cycle.payable == Decimal("95000.00")
    assert not Deduction.objects.exists()


def test_a_pay_less_notice_gives_its_grounds(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("grounds_required", "grounds"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="",
            deductions=[DeductionIn("other", "1", description="x")],
        )


def test_a_pay_less_notice_lists_its_deductions(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("no_deductions", "deductions"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="x",
            deductions=[],
        )


def test_deductions_never_pay_less_than_nothing(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("pay_less_below_zero", "deductions"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="x",
            deductions=[DeductionIn("other", "95000.01", description="x")],
        )


def test_only_the_payers_managers_give_a_pay_less_notice(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("not_payment_party", error=Forbidden):
        cycle_pay_less(
            cycle=cycle,
            actor=w.supplier_manager,
            given_on=d("2026-05-15"),
            grounds="x",
            deductions=[DeductionIn("other", "1", description="x")],
        )


def late_roof(w):
    roof = w.deliverable("Roof watertight", due_date=d("2026-05-01"))
    damages_terms_set(
        milestone=roof,
        actor=w.client_manager,
        rate="1000",
        unit="day",
        payer=w.supplier,
        payee=w.client,
    )
    return roof


def test_delay_damages_are_deducted_up_to_what_has_accrued_and_only_once(w) -> None:
    terms(w)
    roof = late_roof(w)
    cycle = apply(w, on="2026-04-30")
    with refused("exceeds_damages", "deductions"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="Late roof.",
            deductions=[DeductionIn(DeductionKind.DELAY_DAMAGES, "50000", milestone=roof)],
        )
    cycle = cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-15"),
        grounds="Late roof.",
        deductions=[DeductionIn(DeductionKind.DELAY_DAMAGES, "10000", milestone=roof)],
    )
    assert cycle.payable == Decimal("85000.00")


def test_delay_damages_need_a_milestone_that_carries_them(w) -> None:
    terms(w)
    cycle = apply(w)
    plain = w.deliverable("Plain")
    with refused("no_damages", "deductions"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="x",
            deductions=[DeductionIn(DeductionKind.DELAY_DAMAGES, "1", milestone=plain)],
        )


def test_other_deductions_say_what_they_are_for(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("description_required", "deductions"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="x",
            deductions=[DeductionIn("other", "1")],
        )


# --- money received and suspension ---------------------------------------------------------


def test_part_payments_add_up_and_never_pass_what_is_payable(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    cycle_receipt_record(
        cycle=cycle,
        actor=w.client_manager,
        paid_on=d("2026-05-10"),
        amount="50000",
        reference="BACS 1",
    )
    cycle_receipt_record(
        cycle=cycle, actor=w.supplier_manager, paid_on=d("2026-05-11"), amount="40000"
    )
    with refused("overpayment", "amount"):
        cycle_receipt_record(
            cycle=cycle, actor=w.client_manager, paid_on=d("2026-05-12"), amount="5000.01"
        )
    figures = cycle_figures(cycles_for_contract(contract=w.contract).get(), d("2026-05-15"))
    assert (figures.paid, figures.outstanding) == (Decimal("90000.00"), Decimal("5000.00"))


def test_only_the_parties_managers_record_money_received(w) -> None:
    terms(w)
    cycle = apply(w)
    with refused("not_payment_party", error=Forbidden):
        cycle_receipt_record(
            cycle=cycle, actor=w.consultant_manager, paid_on=d("2026-05-10"), amount="1"
        )


def test_a_settled_cycle_takes_no_more_money(w) -> None:
    terms(w)
    cycle = apply(w)
    cycle_receipt_record(
        cycle=cycle, actor=w.client_manager, paid_on=d("2026-05-10"), amount="95000"
    )
    with refused("settled", "amount"):
        cycle_receipt_record(
            cycle=cycle, actor=w.client_manager, paid_on=d("2026-05-10"), amount="1"
        )


def test_suspension_notice_waits_for_the_final_date(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    with refused("not_yet_final", "given_on"):
        cycle_suspension_notice(cycle=cycle, actor=w.supplier_manager, given_on=d("2026-05-15"))


def test_suspension_notice_after_the_final_date_gives_seven_days(w, clock) -> None:
    terms(w)
    cycle = apply(w, on="2026-03-31")  # final date 24 April
    cycle = cycle_suspension_notice(cycle=cycle, actor=w.supplier_manager, given_on=d("2026-05-15"))
    assert cycle.suspension_from == d("2026-05-22")
    figures = cycle_figures(cycles_for_contract(contract=w.contract).get(), d("2026-05-15"))
    assert figures.overdue == Decimal("95000.00") and figures.state.startswith("overdue")


def test_only_the_payees_managers_give_notice_of_suspension(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-03-31")
    with refused("not_payment_party", error=Forbidden):
        cycle_suspension_notice(cycle=cycle, actor=w.client_manager, given_on=d("2026-05-15"))


def test_notices_due_lists_each_partys_deadlines_in_the_window(w) -> None:
    terms(w)
    # due 21 May, notice by 27 May, pay less by 1 June, final 8 June (25 May is not counted)
    apply(w, on="2026-05-14")
    due = notices_due(user=w.client_member, first=d("2026-05-25"), last=d("2026-06-01"))
    assert [(n.what, n.party, n.deadline) for n in due] == [
        ("payment notice", "payer", d("2026-05-27")),
        ("pay less notice, if any", "payer", d("2026-06-01")),
    ]
    assert notices_due(user=w.outsider, first=d("2026-05-25"), last=d("2026-06-01")) == []


def missed_april(w):
    """Availability at least 99.5% monthly, missed in April 2026 (a £1,000 credit to the client)."""
    from milepost.performance.choices import CreditMethod, Direction, Period
    from milepost.performance.services import (
        credit_terms_set,
        measurement_record,
        performance_milestone_create,
    )

    target = performance_milestone_create(
        contract=w.contract,
        title="Library systems availability",
        owner=w.supplier_member,
        responsible_party=w.supplier,
        due_date=d("2026-06-30"),
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction=Direction.AT_LEAST,
        period=Period.MONTH,
        measurement_start=d("2026-04-01"),
        actor=w.supplier_manager,
    )
    credit_terms_set(
        milestone=target,
        method=CreditMethod.FIXED,
        amount="1000",
        payer=w.supplier,
        payee=w.client,
        actor=w.client_manager,
    )
    return measurement_record(
        milestone=target, period_start=d("2026-04-01"), value="99.31", actor=w.supplier_member
    )


def test_a_service_credit_is_deducted_whole_and_once(w) -> None:
    terms(w)
    measurement = missed_april(w)
    first = apply(w, on="2026-04-30")
    with refused("credit_amount", "deductions"):
        cycle_pay_less(
            cycle=first,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="Credit.",
            deductions=[DeductionIn(DeductionKind.SERVICE_CREDIT, "500", measurement=measurement)],
        )
    first = cycle_pay_less(
        cycle=first,
        actor=w.client_manager,
        given_on=d("2026-05-15"),
        grounds="April credit.",
        deductions=[DeductionIn(DeductionKind.SERVICE_CREDIT, "1000", measurement=measurement)],
    )
    assert first.payable == Decimal("94000.00")
    second = apply(w, gross="200000", on="2026-05-14")
    with refused("credit_deducted", "deductions"):
        cycle_pay_less(
            cycle=second,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="Credit again.",
            deductions=[DeductionIn(DeductionKind.SERVICE_CREDIT, "1000", measurement=measurement)],
        )


def test_a_stage_invoiced_on_its_own_page_is_not_applied_for_again(w) -> None:
    from milepost.payments.services import payment_record_invoice

    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    payment_record_invoice(
        milestone=payment, invoiced_on=d("2026-05-15"), amount="1000", actor=w.supplier_manager
    )
    with refused("already_invoiced", "milestone"):
        apply(w, milestone=payment, on="2026-05-15")
