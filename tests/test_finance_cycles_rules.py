"""Service tests for the rules the issue-17 review asked for: one test per rule."""

import contextlib
import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_calendar
from milepost.core.errors import DomainError
from milepost.finance.choices import DeductionKind
from milepost.finance.cycles.selectors import (
    cycle_figures,
    cycle_outstanding,
    cycles_for_contract,
    cycles_with_paid,
    payable_sql,
)
from milepost.finance.cycles.services import (
    DeductionIn,
    cycle_default_notice,
    cycle_pay_less,
    cycle_payment_notice,
    cycle_payment_notice_refusal,
    cycle_receipt_record,
    cycle_receipt_refusal,
)
from milepost.finance.damages.services import damages_terms_set
from milepost.finance.models import DamagesTerms, MoneyTerms, PaymentCycle
from milepost.payments.services import payment_invoice_refusal, payment_paid_refusal
from milepost.schedule.acceptance import deliverable_accept
from tests.helpers import refused
from tests.test_finance_cycles import apply, d, stage, terms

START = dt.datetime(2026, 5, 15, 10, 0, tzinfo=ZoneInfo("Europe/London"))
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def notice(w, cycle, amount, on="2026-05-12"):
    return cycle_payment_notice(
        cycle=cycle, actor=w.client_manager, given_on=d(on), notified_sum=amount, basis="Valuation."
    )


def pay_less(w, cycle, amount, on="2026-05-15", **item):
    return cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d(on),
        grounds="Snagging.",
        deductions=[DeductionIn(DeductionKind.OTHER, amount, description="Snags", **item)],
    )


def receive(w, cycle, amount, on="2026-05-15"):
    return cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=d(on), amount=amount)


# --- one way of paying (lead decision 1) ---------------------------------------------------


def test_interim_terms_are_refused_on_a_contract_with_payment_milestones(w) -> None:
    stage(w)
    with refused("stages_and_interim", "basis"):
        terms(w, basis="interim")


def test_no_interim_application_once_the_contract_has_payment_milestones(w) -> None:
    terms(w)
    stage(w)
    with refused("stages_and_interim", "milestone"):
        apply(w, on="2026-04-30")


def test_a_stage_application_needs_stage_terms(w) -> None:
    trigger, payment = stage(w)
    terms(w, basis="stages")
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    MoneyTerms.objects.filter(contract=w.contract).update(basis="interim")
    with refused("interim_basis", "milestone"):
        apply(w, milestone=payment, on="2026-05-15")


# --- a stage is paid only through its cycle (lead decision 3) ----------------------------


def test_a_stage_applied_for_is_invoiced_and_paid_only_through_its_cycle(w) -> None:
    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    cycle = apply(w, milestone=payment, on="2026-05-15")
    for refusal in (
        payment_paid_refusal(milestone=payment, user=w.client_manager),
        payment_invoice_refusal(milestone=payment, user=w.supplier_manager),
    ):
        assert refusal is not None and refusal.code == "paid_through_cycle"
        assert str(refusal.message) == (
            f"Paid through payment cycle {cycle.number} on the Money page."
        )


def test_a_stage_cycle_on_a_suspended_contract_takes_no_money_and_says_so(w) -> None:
    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    cycle = apply(w, milestone=payment, on="2026-05-15")
    Contract.objects.filter(pk=w.contract.pk).update(status=ContractStatus.SUSPENDED)
    cycle = PaymentCycle.objects.get(pk=cycle.pk)
    refusal = cycle_receipt_refusal(cycle=cycle, user=w.client_manager)
    assert refusal is not None and refusal.code == "contract_not_active"
    with refused("contract_not_active", "contract"):
        receive(w, cycle, "1000")


def test_an_interim_cycle_takes_money_on_a_suspended_contract(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    Contract.objects.filter(pk=w.contract.pk).update(status=ContractStatus.SUSPENDED)
    cycle = PaymentCycle.objects.get(pk=cycle.pk)
    assert cycle_receipt_refusal(cycle=cycle, user=w.client_manager) is None
    receive(w, cycle, "1000")


def test_a_stage_counts_its_due_date_from_when_its_work_was_done(w) -> None:
    terms(w, basis="stages")
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)  # met 15 May
    with refused("applied_before_met", "applied_on"):
        apply(w, milestone=payment, on="2026-05-14", period_end="2026-05-01")
    cycle = apply(w, milestone=payment, on="2026-05-15", period_end="2026-05-01")
    # 7 days from 15 May (not from the typed 1 May): 22 May
    assert cycle.due_date == d("2026-05-22")


def test_a_retention_bond_holds_no_retention_on_a_stage(w) -> None:
    terms(w, basis="stages", retention_bond=True)
    trigger, payment = stage(w)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    cycle = apply(w, milestone=payment, gross="100000", on="2026-05-15")
    assert (cycle.retention, cycle.applied_sum) == (0, Decimal("100000.00"))


# --- notices against money already paid --------------------------------------------------


def test_a_payment_notice_considers_due_at_least_what_has_been_paid(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    receive(w, cycle, "50000", on="2026-05-11")
    with refused("notified_below_paid", "notified_sum"):
        notice(w, cycle, "10000")


def test_no_payment_notice_once_a_pay_less_notice_is_on_record(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    pay_less(w, cycle, "1000", on="2026-05-11")
    with refused("pay_less_given", "given_on"):
        notice(w, cycle, "10000")


def test_a_pay_less_notice_in_time_may_follow_a_part_payment(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")  # 95,000 applied
    receive(w, cycle, "90000", on="2026-05-14")
    with refused("pay_less_below_paid", "other_amount"):
        pay_less(w, cycle, "6000", amount_field="other_amount")
    cycle = pay_less(w, cycle, "5000")
    assert cycle.payable == Decimal("90000.00")
    assert cycle_figures(cycles_for_contract(contract=w.contract).get(), d("2026-05-15")).state


def test_pay_less_errors_name_the_forms_field(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    with refused("description_required", "other_description"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="Snags.",
            deductions=[
                DeductionIn(
                    DeductionKind.OTHER,
                    "10",
                    field="other_description",
                    amount_field="other_amount",
                )
            ],
        )


def test_the_notices_text_is_bounded(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    with refused("text_too_long", "basis"):
        cycle_payment_notice(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-12"),
            notified_sum="1000",
            basis="x" * 2001,
        )
    with refused("text_too_long", "grounds"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-12"),
            grounds="x" * 2001,
            deductions=[DeductionIn(DeductionKind.OTHER, "1", description="Snags")],
        )


def test_a_default_notice_moves_the_final_date_in_working_days(w) -> None:
    terms(w, regime="custom", working_days=True)
    # Applied 1 April 2026: due 14 April, payment notice by 21 April, final date Friday 8 May
    cycle = apply(w, on="2026-04-01")
    assert (cycle.payment_notice_by, cycle.final_date) == (d("2026-04-21"), d("2026-05-08"))
    # Two working days late (22 and 23 April): the final date moves two working days, to
    # Tuesday 12 May, never to Sunday 10 May
    cycle = cycle_default_notice(cycle=cycle, actor=w.supplier_manager, given_on=d("2026-04-23"))
    assert cycle.final_date == d("2026-05-12")
    assert contract_calendar(contract=w.contract).is_working(cycle.pay_less_by)


def test_deducted_damages_are_owed_to_the_cycles_payer(w) -> None:
    terms(w)
    roof = w.deliverable("Roof watertight", due_date=d("2026-05-01"))
    damages_terms_set(
        milestone=roof,
        actor=w.client_manager,
        rate="1000",
        unit="day",
        payer=w.supplier,
        payee=w.client,
    )
    # Given damages the supplier owes someone else (the consultant), not the cycle's payer
    DamagesTerms.objects.filter(milestone=roof).update(payee=w.consultant)
    cycle = apply(w, on="2026-04-30")
    with refused("damages_not_owed", "deductions"):
        cycle_pay_less(
            cycle=cycle,
            actor=w.client_manager,
            given_on=d("2026-05-15"),
            grounds="Late roof.",
            deductions=[DeductionIn(DeductionKind.DELAY_DAMAGES, "1000", milestone=roof)],
        )


def test_a_paid_cycle_says_it_is_paid_whoever_asks(w) -> None:
    terms(w)
    cycle = apply(w, on="2026-04-30")
    receive(w, cycle, "95000", on="2026-05-11")
    cycle = cycles_with_paid(PaymentCycle.objects.filter(pk=cycle.pk)).get()
    refusal = cycle_payment_notice_refusal(cycle=cycle, user=w.supplier_manager)
    assert refusal is not None and refusal.code == "settled"
    assert cycle_outstanding(cycle) == 0


# --- the reconciliation, whatever order things happen in ---------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_applied_is_paid_plus_outstanding_plus_withheld_in_any_order(w, seed: int) -> None:
    rng = random.Random(seed)
    terms(w)
    cycle = apply(w, on="2026-04-30")  # 95,000 applied
    days = [d("2026-04-30") + dt.timedelta(days=n) for n in range(16)]

    def step() -> None:
        what = rng.choice(["notice", "pay_less", "receipt", "receipt", "default"])
        money = str(rng.choice([1000, 5000, 20000, 45000, 90000, 95000]))
        on = rng.choice(days).isoformat()
        current = PaymentCycle.objects.get(pk=cycle.pk)
        if what == "notice":
            notice(w, current, money, on=on)
        elif what == "pay_less":
            pay_less(w, current, money, on=on)
        elif what == "receipt":
            receive(w, current, money, on=on)
        else:
            cycle_default_notice(cycle=current, actor=w.supplier_manager, given_on=d(on))

    for _ in range(8):
        with contextlib.suppress(DomainError):
            step()
        figures = cycle_figures(cycles_for_contract(contract=w.contract).get(), d("2026-05-15"))
        assert figures.applied == figures.paid + figures.outstanding + figures.withheld


def test_payable_in_sql_is_the_cycles_payable(w) -> None:
    terms(w)
    first = apply(w, on="2026-03-31")
    notice(w, first, "90000", on="2026-04-08")
    second = apply(w, gross="250000", on="2026-04-30")
    pay_less(w, second, "2500")
    third = apply(w, gross="300000", on="2026-05-14")
    rows = PaymentCycle.objects.annotate(sql=payable_sql()).order_by("number")
    assert [(c.sql, c.payable) for c in rows] == [
        (Decimal("90000.00"), Decimal("90000.00")),
        (Decimal("145000.00"), Decimal("145000.00")),
        (third.applied_sum, third.applied_sum),
    ]


def test_a_credit_deducted_in_time_is_marked_deducted(w) -> None:
    from tests.test_finance_cycles import missed_april

    terms(w)
    measurement = missed_april(w)
    cycle = apply(w, on="2026-04-30")
    cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=d("2026-05-15"),
        grounds="April credit.",
        deductions=[DeductionIn(DeductionKind.SERVICE_CREDIT, "1000", measurement=measurement)],
    )
    measurement.service_credit.refresh_from_db()
    assert measurement.service_credit.deducted is True
