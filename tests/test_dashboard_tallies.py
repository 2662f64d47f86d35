"""Each contract's milestone tallies stay equal to a recount of its milestones, whatever writes.

The dashboard reads ``contracts.ContractTally`` instead of scanning every milestone; the
database keeps the rows (``schedule/tallies.py``), so every test here changes milestones one
way and then compares the stored tallies with a recount from the rows.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from milepost.contracts.models import ContractTally
from milepost.finance.cycles.services import cycle_apply, cycle_receipt_record, money_terms_set
from milepost.finance.models import Receipt
from milepost.payments.models import PaymentTerms
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
    payment_release,
    payment_terms_change,
)
from milepost.reporting.cash_months import (
    cash_months_install,
    cash_months_recount,
    cash_months_stored,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.forecasts import forecast_run
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    milestone_reschedule,
    milestone_set_progress,
    milestone_set_status,
    milestone_update,
)
from milepost.schedule.tallies import (
    Tally,
    tallies_install,
    tallies_rebuild,
    tallies_recount,
    tallies_stored,
)

DAY = dt.timedelta(days=1)


@pytest.fixture
def plan(world):
    """Four milestones on the world's contract, two critical; the first three follow each other."""
    w = world
    w.survey = w.deliverable("Site survey", due_date=w.today + 5 * DAY)
    w.frame = w.deliverable(
        "Steel frame", due_date=w.today + 20 * DAY, criticality=Criticality.CRITICAL
    )
    w.roof = w.deliverable("Roof on", due_date=w.today + 40 * DAY, criticality=Criticality.CRITICAL)
    w.fitout = w.deliverable("Fit-out", due_date=w.today + 60 * DAY)
    dependency_add(predecessor=w.survey, successor=w.frame, actor=w.client_manager)
    dependency_add(predecessor=w.frame, successor=w.roof, actor=w.client_manager)
    return w


def assert_tallies_match():
    assert tallies_stored() == tallies_recount()


def _create(w):
    w.deliverable("Drainage", due_date=w.today - 2 * DAY, criticality=Criticality.CRITICAL)


def _create_payment(w):
    payment_milestone_create(
        contract=w.contract,
        title="Frame payment",
        owner=w.client_member,
        due_date=w.today + 25 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=w.frame,
        amount="1000",
        actor=w.client_manager,
    )


def _start(w):
    milestone_set_status(
        milestone=w.survey, status=MilestoneStatus.IN_PROGRESS, actor=w.client_manager
    )


def _accept(w):
    deliverable_accept(milestone=w.survey, actor=w.client_manager)


def _not_met(w):
    milestone_set_status(
        milestone=w.survey,
        status=MilestoneStatus.NOT_MET,
        reason="Never done.",
        actor=w.client_manager,
    )


def _cancel(w):
    milestone_set_status(
        milestone=w.roof,
        status=MilestoneStatus.CANCELLED,
        reason="Dropped.",
        actor=w.client_manager,
    )


def _reschedule_moves_what_follows(w):
    milestone_reschedule(
        milestone=w.survey,
        due_date=w.today + 30 * DAY,
        reason="Steel late.",
        actor=w.supplier_manager,
    )


def _make_critical(w):
    milestone_update(milestone=w.fitout, criticality=Criticality.CRITICAL, actor=w.client_manager)


def _make_standard(w):
    milestone_update(milestone=w.frame, criticality=Criticality.STANDARD, actor=w.client_manager)


def _risk_note(w):
    milestone_set_progress(milestone=w.fitout, progress=10, risk_note="Late steel", actor=None)


def _forecast(w):
    Milestone.objects.filter(pk=w.survey.pk).update(
        estimate_optimistic=20, estimate_likely=30, estimate_pessimistic=60
    )
    forecast_run(contract=w.contract, actor=None, runs=200, seed=1)


def _bulk_insert(w):
    Milestone.objects.bulk_create(
        [
            Milestone(
                contract=w.contract,
                kind=MilestoneKind.DELIVERABLE,
                title=f"Imported {n}",
                owner=w.supplier_member,
                responsible_party=w.supplier,
                accepting_party=w.client,
                criticality=Criticality.CRITICAL if n % 2 else Criticality.STANDARD,
                acceptance_criteria="Done.",
                baseline_due_date=w.today + n * DAY,
                due_date=w.today + n * DAY,
                status=MilestoneStatus.NOT_MET if n == 3 else MilestoneStatus.SCHEDULED,
                forecast_date=w.today + (n + 9) * DAY if n == 2 else None,
            )
            for n in range(1, 6)
        ]
    )


def _data_fix(w):
    # Set up directly, as a data fix in a shell would: no service knows about it.
    Milestone.objects.filter(contract=w.contract).update(status=MilestoneStatus.IN_PROGRESS)
    Milestone.objects.filter(pk=w.fitout.pk).update(signals="No update for 20 days")


def _delete(w):
    Milestone.objects.filter(pk=w.fitout.pk).delete()


CHANGES = [
    _create,
    _create_payment,
    _start,
    _accept,
    _not_met,
    _cancel,
    _reschedule_moves_what_follows,
    _make_critical,
    _make_standard,
    _risk_note,
    _forecast,
    _bulk_insert,
    _data_fix,
    _delete,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_tallies_match_a_recount_after_a_change(plan, change):
    assert_tallies_match()

    change(plan)

    assert_tallies_match()


def test_tallies_count_open_not_met_flagged_and_the_next_critical_date(plan):
    w = plan
    milestone_set_progress(milestone=w.fitout, progress=10, risk_note="Late steel", actor=None)
    deliverable_accept(milestone=w.survey, actor=w.client_manager)
    deliverable_accept(milestone=w.frame, actor=w.client_manager)

    tally = ContractTally.objects.get(contract=w.contract)

    assert (tally.milestone_count, tally.open_count, tally.not_met_count) == (4, 2, 0)
    assert tally.flagged_count == 1
    # The steel frame is met: the roof is the next open critical date.
    assert tally.next_critical_date == w.today + 40 * DAY


def test_rebuild_command_recounts_a_tally_set_wrong(plan):
    ContractTally.objects.filter(contract=plan.contract).update(
        open_count=99, next_critical_date=None
    )
    out = io.StringIO()

    call_command("dashboard_tallies", stdout=out)

    assert_tallies_match()
    assert "The tallies of 1 contract were wrong and are now recounted" in out.getvalue()


def test_check_command_reports_without_writing(plan):
    ContractTally.objects.filter(contract=plan.contract).update(open_count=99)
    out = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("dashboard_tallies", "--check", stdout=out)

    assert exited.value.code == 1
    assert "HCC-2026-001" in out.getvalue()
    assert ContractTally.objects.get(contract=plan.contract).open_count == 99


def test_check_command_says_when_every_tally_is_right(plan):
    out = io.StringIO()

    call_command("dashboard_tallies", "--check", stdout=out)

    assert "Every contract's tallies match its milestones and payments" in out.getvalue()


def test_install_puts_back_a_dropped_trigger_and_recounts(plan):
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER contract_tally_insert"
            + ("" if connection.vendor == "sqlite" else " ON schedule_milestone")
        )
    plan.deliverable("Unseen by the tallies")
    assert tallies_stored() != tallies_recount()

    assert tallies_install() is True

    assert_tallies_match()
    assert tallies_install() is False


def test_rebuild_returns_how_many_contracts_were_wrong(plan):
    assert tallies_rebuild() == 0
    ContractTally.objects.all().delete()

    assert tallies_rebuild() == 1
    assert tallies_stored()[plan.contract.pk] == Tally(
        milestone_count=4, open_count=4, next_critical_date=plan.today + 20 * DAY
    )


# The cash-flow months: payments planned and paid by contract and month


@pytest.fixture
def money(world):
    """A stage paid on completion of its trigger, and a later one still planned."""
    w = world
    w.piling = w.deliverable("Piling", due_date=w.today + 3 * DAY)
    w.later = w.deliverable("Roof", due_date=w.today + 70 * DAY)
    w.stage = _payment(w, "Piling payment", w.piling, w.today + 10 * DAY, "250000")
    w.second = _payment(w, "Roof payment", w.later, w.today + 80 * DAY, "100000.55")
    return w


def _payment(w, title, trigger, due, amount):
    return payment_milestone_create(
        contract=w.contract,
        title=title,
        owner=w.client_member,
        due_date=due,
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount=amount,
        actor=w.client_manager,
    )


def assert_months_match():
    assert cash_months_stored() == cash_months_recount()


def _create_payment_month(w):
    _payment(w, "Extra payment", w.piling, w.today + 40 * DAY, "1234.56")


def _invoice_and_pay(w):
    deliverable_accept(milestone=w.piling, actor=w.client_manager)
    payment_record_invoice(
        milestone=w.stage, invoiced_on=w.today, amount="250000", actor=w.supplier_manager
    )
    payment_record_paid(milestone=w.stage, paid_on=w.today, amount="250000", actor=w.client_manager)


def _change_amount(w):
    payment_terms_change(milestone=w.second, amount="90000", actor=w.client_manager)


def _move_due_month(w):
    # Set up directly, as a date propagation would: the payment falls due three months later.
    Milestone.objects.filter(pk=w.second.pk).update(due_date=w.today + 170 * DAY)


def _waive(w):
    payment_release(
        milestone=w.second,
        status=MilestoneStatus.WAIVED,
        reason="Dropped.",
        actor=w.supplier_manager,
    )


def _delete_terms(w):
    PaymentTerms.objects.filter(milestone=w.second).delete()


def _valuation_receipts(w):
    # A contract paid by interim valuations, not stages: its own payment cycles.
    contract = w.other_contract(active=True)
    client = contract.parties.get(organisation=w.client_org)
    supplier = contract.parties.get(organisation=w.supplier_org)
    money_terms_set(
        contract=contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="interim",
        payer=client,
        payee=supplier,
        retention_percent="5",
    )
    cycle = cycle_apply(
        contract=contract,
        actor=w.supplier_manager,
        applied_on=w.today,
        period_end=w.today,
        gross_value="100000",
    )
    receipt = cycle_receipt_record(
        cycle=cycle, actor=w.client_manager, paid_on=w.today, amount="40000"
    )
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=w.today, amount="55000")
    assert cash_months_stored()[(contract.pk, w.today.replace(day=1))] == (
        Decimal("0.00"),
        Decimal("95000.00"),
    )
    # Set up directly, as a correction would: one receipt moves to another month, one goes.
    Receipt.objects.filter(pk=receipt.pk).update(paid_on=w.today - 40 * DAY, amount="41000")
    Receipt.objects.exclude(pk=receipt.pk).delete()


MONEY_CHANGES = [
    _create_payment_month,
    _invoice_and_pay,
    _change_amount,
    _move_due_month,
    _waive,
    _delete_terms,
    _valuation_receipts,
]


@pytest.mark.parametrize(
    "change", MONEY_CHANGES, ids=[c.__name__.strip("_") for c in MONEY_CHANGES]
)
def test_cash_months_match_a_recount_after_a_change(money, change):
    assert_months_match()

    change(money)

    assert_months_match()


def test_cash_months_hold_planned_by_due_month_and_paid_by_paid_month(money):
    w = money
    _invoice_and_pay(w)

    months = cash_months_stored()

    planned_month = (w.today + 10 * DAY).replace(day=1)
    assert months[(w.contract.pk, planned_month)][0] == Decimal("250000.00")
    assert months[(w.contract.pk, w.today.replace(day=1))][1] == Decimal("250000.00")
    assert months[(w.contract.pk, (w.today + 80 * DAY).replace(day=1))] == (
        Decimal("100000.55"),
        Decimal("0.00"),
    )


def test_rebuild_puts_back_dropped_cash_month_triggers_and_recounts(money):
    with connection.cursor() as cursor:
        on = "" if connection.vendor == "sqlite" else " ON payments_paymentterms"
        cursor.execute("DROP TRIGGER cash_month_terms_insert" + on)
    _payment(money, "Unseen payment", money.piling, money.today + 20 * DAY, "500")
    assert cash_months_stored() != cash_months_recount()

    out = io.StringIO()
    call_command("dashboard_tallies", stdout=out)

    assert_months_match()
    assert cash_months_install() is False


def _our_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {str(name) for (name,) in cursor.fetchall()}
    return {n for n in names if n.startswith(("contract_tally_", "cash_month_"))}


def test_migrate_lifts_the_triggers_on_sqlite_while_it_alters_tables_and_puts_them_back(money):
    # SQLite alters a table by copying it and renaming the copy; a trigger of another table
    # that reads the one being copied makes the rename fail ("no such table"), so the handlers
    # before migrate drop them there. PostgreSQL alters in place and keeps its triggers.
    from milepost.reporting.apps import _drop_cash_months, _install_cash_months
    from milepost.schedule.apps import _drop_tallies, _install_tallies

    every = _our_triggers()
    assert len(every) == 11

    _drop_tallies()
    _drop_cash_months()

    assert _our_triggers() == (set() if connection.vendor == "sqlite" else every)

    _install_tallies()
    _install_cash_months()

    assert _our_triggers() == every
    _payment(money, "Counted again", money.piling, money.today + 20 * DAY, "500")
    assert_months_match()
    assert_tallies_match()
