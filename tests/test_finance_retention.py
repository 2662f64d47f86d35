"""Service tests for retention: the two releases the money terms plan, what they pay, the ledger."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milepost.audit.models import Event
from milepost.audit.sentences import event_sentence
from milepost.contracts.choices import ContractStatus
from milepost.contracts.services import contract_create, party_add
from milepost.core.errors import Forbidden
from milepost.finance.cycles.services import (
    cycle_apply,
    cycle_payment_notice,
    cycle_receipt_record,
    money_terms_set,
)
from milepost.finance.events import FinanceEvent
from milepost.finance.retention.selectors import retention_ledger, retention_released
from milepost.finance.retention.services import (
    retention_release_amount,
    retention_release_fix,
    retention_releases_sync,
)
from milepost.payments.models import PaymentTerms
from milepost.payments.selectors import payment_totals
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
    payment_release,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import AnchorEvent, MilestoneStatus
from milepost.schedule.models import Milestone
from tests.helpers import refused

# A Monday: the contract's today is 1 June 2026.
START = dt.datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
pytestmark = pytest.mark.usefixtures("clock")
DAY = dt.timedelta(days=1)
TODAY = dt.date(2026, 6, 1)


def completion_of(w, due=TODAY + 60 * DAY):
    return w.deliverable("Practical completion", due_date=due)


def terms(w, completion=None, **overrides):
    fields = {
        "contract": w.contract,
        "actor": w.client_manager,
        "regime": "scheme_ew",
        "basis": "interim",
        "payer": w.client,
        "payee": w.supplier,
        "retention_percent": "5",
        "completion": completion,
    }
    fields.update(overrides)
    return money_terms_set(**fields)


def releases(money):
    money.refresh_from_db()
    return money.first_release, money.second_release


def apply(w, gross, on, **overrides):
    fields = {
        "contract": w.contract,
        "actor": w.supplier_manager,
        "applied_on": on,
        "period_end": on - DAY,
        "gross_value": gross,
    }
    fields.update(overrides)
    return cycle_apply(**fields)


def held_and_completed(w, grosses=("200000", "500000")):
    """Two interim applications (5% held: £10,000 then £15,000) and completion met today."""
    completion = completion_of(w)
    money = terms(w, completion)
    for n, gross in enumerate(grosses):
        apply(w, gross, TODAY - (len(grosses) - n) * 14 * DAY)
    deliverable_accept(milestone=completion, actor=w.client_manager)
    return money


# --- planning the releases -------------------------------------------------------------------


def test_terms_with_retention_plan_two_releases_relative_to_completion(w) -> None:
    completion = completion_of(w)

    first, second = releases(terms(w, completion))

    assert (first.due_date, second.due_date) == (dt.date(2026, 7, 31), dt.date(2027, 7, 31))
    assert first.anchor_id == second.anchor_id == completion.pk
    assert first.anchor_event == second.anchor_event == AnchorEvent.MET
    assert (first.anchor_offset, second.anchor_offset) == (0, 365)
    one, two = PaymentTerms.objects.get(milestone=first), PaymentTerms.objects.get(milestone=second)
    # 5% of £1,000,000 expected, half at completion and half at the end of the defects period.
    assert (one.amount, two.amount) == (Decimal("25000.00"), Decimal("25000.00"))
    assert one.releases_retention and two.releases_retention
    assert (one.payer, one.payee, one.trigger) == (w.client, w.supplier, completion)
    assert first.responsible_party == w.client
    planned = Event.objects.filter(action=FinanceEvent.RETENTION_RELEASE_PLANNED)
    assert planned.count() == 2
    assert event_sentence(planned.first()) == (
        "Cora planned Retention release at completion: Harbour City Council pays "
        "Northgate Construction back, releasing 50% of the retention held (£25,000.00 as "
        "planned from the contract value) when \u201cPractical completion\u201d is met, due 31 Jul 2026."
    )


def test_the_shares_follow_the_first_release_percentage(w) -> None:
    first, second = releases(terms(w, completion_of(w), retention_first_release_percent="60"))

    assert first.payment.amount == Decimal("30000.00")
    assert second.payment.amount == Decimal("20000.00")


def test_all_at_completion_plans_no_second_release(w) -> None:
    first, second = releases(terms(w, completion_of(w), retention_first_release_percent="100"))

    assert first.payment.amount == Decimal("50000.00")
    assert second is None


def test_releases_stand_outside_the_rule_that_payments_total_at_most_the_contract_value(w) -> None:
    completion = completion_of(w)
    payment_milestone_create(
        contract=w.contract,
        title="Everything",
        owner=w.client_member,
        due_date=completion.due_date + 30 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=completion,
        percentage="100",
        actor=w.client_manager,
    )

    first, second = releases(terms(w, completion, basis="stages"))

    assert first.payment.amount == second.payment.amount == Decimal("25000.00")


def test_the_payment_schedule_commits_the_value_without_the_releases(w) -> None:
    completion = completion_of(w)
    payment_milestone_create(
        contract=w.contract,
        title="Everything",
        owner=w.client_member,
        due_date=completion.due_date + 30 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=completion,
        percentage="100",
        actor=w.client_manager,
    )
    first, second = releases(terms(w, completion, basis="stages"))
    assert first.payment.amount == second.payment.amount == Decimal("25000.00")

    totals = payment_totals(contract=w.contract)

    assert totals["committed"] == w.contract.value == Decimal("1000000.00")


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"retention_percent": "0"}, "no retention"),
        ({"retention_bond": True}, "a bond instead"),
        ({"completion": None}, "no completion milestone"),
    ],
)
def test_no_release_is_planned_without_cash_retention_and_a_completion(w, overrides, why) -> None:
    fields = {"completion": completion_of(w), **overrides}

    first, second = releases(terms(w, **fields))

    assert (first, second) == (None, None), why
    assert not PaymentTerms.objects.filter(releases_retention=True).exists()


def test_changed_terms_re_plan_the_releases(w) -> None:
    completion = completion_of(w)
    terms(w, completion)

    first, second = releases(terms(w, completion, retention_percent="3", defects_months=24))

    assert first.payment.amount == second.payment.amount == Decimal("15000.00")
    assert second.due_date == dt.date(2028, 7, 31)
    replanned = Event.objects.filter(action=FinanceEvent.RETENTION_RELEASE_PLANNED).last()
    assert replanned.before["amount"] == "25000.00"
    assert event_sentence(replanned).startswith(
        "Cora re-planned Retention release at the end of the defects period: now "
        "releasing 50% of the retention held (£15,000.00"
    )


def test_syncing_unchanged_terms_writes_nothing(w) -> None:
    money = terms(w, completion_of(w))
    events = Event.objects.count()

    retention_releases_sync(terms=money, actor=w.client_manager)

    assert Event.objects.count() == events


def test_a_bond_instead_withdraws_the_releases_of_an_active_contract(w) -> None:
    completion = completion_of(w)
    first, _ = releases(terms(w, completion))

    money = terms(w, completion, retention_bond=True)

    assert releases(money) == (None, None)
    first.refresh_from_db()
    assert first.status == MilestoneStatus.CANCELLED
    withdrawn = Event.objects.filter(action=FinanceEvent.RETENTION_RELEASE_PLANNED).last()
    assert event_sentence(withdrawn) == (
        "Cora withdrew Retention release at the end of the defects period, a planned "
        "release of retention: a retention bond stands instead of cash retention."
    )


def test_a_draft_contracts_withdrawn_releases_are_removed(w) -> None:
    contract = contract_create(
        organisation=w.client_org,
        party_role="client",
        reference="HCC-2026-009",
        title="Harbour kiosk",
        value=Decimal("200000.00"),
        currency="GBP",
        start_date=TODAY,
        end_date=TODAY + 200 * DAY,
        actor=w.client_manager,
    )
    supplier = party_add(
        contract=contract, organisation=w.supplier_org, role="supplier", actor=w.client_manager
    )
    client = contract.parties.get(organisation=w.client_org)
    completion = w.deliverable(
        "Kiosk open",
        contract=contract,
        responsible_party=supplier,
        accepting_party=client,
        due_date=TODAY + 100 * DAY,
    )
    money = terms(w, completion, contract=contract, payer=client, payee=supplier)
    first, _ = releases(money)

    terms(w, completion, contract=contract, payer=client, payee=supplier, retention_percent="0")

    assert not Milestone.objects.filter(pk=first.pk).exists()
    assert contract.status == ContractStatus.DRAFT


def test_another_completion_milestone_moves_the_releases_to_it(w) -> None:
    completion = completion_of(w)
    old_first, _ = releases(terms(w, completion))
    sectional = w.deliverable("Sectional completion", due_date=TODAY + 90 * DAY)

    first, _ = releases(terms(w, sectional))

    assert first.pk != old_first.pk and first.payment.trigger == sectional
    assert first.due_date == sectional.due_date
    old_first.refresh_from_db()
    assert old_first.status == MilestoneStatus.CANCELLED


def test_completion_met_late_moves_both_releases(w, clock) -> None:
    completion = completion_of(w, due=TODAY + 5 * DAY)
    money = terms(w, completion)
    clock.move_to(START + 20 * DAY)

    deliverable_accept(milestone=completion, actor=w.client_manager)

    first, second = releases(money)
    assert first.due_date == TODAY + 20 * DAY
    assert second.due_date == TODAY + 20 * DAY + 365 * DAY


def test_a_defects_period_too_long_to_count_in_days_is_refused(w) -> None:
    completion = completion_of(w)

    with refused("defects_period_too_long", "defects_months"):
        terms(w, completion, defects_months=36)


def test_a_release_applied_for_is_left_as_it_is(w) -> None:
    money = held_and_completed(w)
    first, second = releases(money)
    apply(w, "12500", TODAY, milestone=first)

    terms(w, money.completion, retention_percent="3")

    first.refresh_from_db()
    assert first.payment.amount == Decimal("12500.00")
    second.refresh_from_db()
    assert second.payment.amount == Decimal("15000.00")


# --- what a release pays ------------------------------------------------------------------------


def test_the_first_release_pays_its_share_of_the_retention_held(w) -> None:
    first, second = releases(held_and_completed(w))

    assert retention_release_amount(milestone=first) == Decimal("12500.00")
    assert retention_release_amount(milestone=second) == Decimal("12500.00")


def test_the_second_release_pays_what_is_left_after_the_first(w) -> None:
    money = held_and_completed(w)
    first, second = releases(money)
    apply(w, "10000", TODAY, milestone=first)  # the payee applied for less than its half

    assert retention_release_amount(milestone=second) == Decimal("15000.00")


def test_the_second_release_pays_back_what_a_notice_kept_off_the_first(w) -> None:
    money = held_and_completed(w)  # £25,000 held
    first, second = releases(money)
    cycle = apply(w, "12500", TODAY, milestone=first)
    cycle_payment_notice(
        cycle=cycle,
        actor=w.client_manager,
        given_on=TODAY,
        notified_sum="8000",
        basis="Two defects are still open.",
    )
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=TODAY, amount="8000")

    assert retention_release_amount(milestone=second) == Decimal("17000.00")
    ledger = retention_ledger(contract=w.contract, today=TODAY)
    assert ledger.balance == Decimal("17000.00")
    assert ledger.releases[1].amount_now == Decimal("17000.00")


def test_a_release_applied_for_pays_what_its_application_asked(w) -> None:
    first, _ = releases(held_and_completed(w))

    cycle = apply(w, "10000", TODAY, milestone=first)
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=TODAY, amount="6000")

    assert retention_release_amount(milestone=first) == Decimal("10000.00")
    assert PaymentTerms.objects.get(milestone=first).amount == Decimal("10000.00")
    ledger = retention_ledger(contract=w.contract, today=TODAY)
    assert ledger.due == Decimal("4000.00")
    assert ledger.releases[0].words == "Due now: £4,000.00 to pay back."


def test_a_milestone_that_is_no_release_pays_nothing_back(w) -> None:
    assert retention_release_amount(milestone=w.deliverable()) == Decimal(0)


def test_fixing_a_release_sets_it_to_the_retention_held(w) -> None:
    first, _ = releases(held_and_completed(w))

    retention_release_fix(milestone=first, actor=w.supplier_manager)

    first.refresh_from_db()
    assert first.payment.amount == Decimal("12500.00")
    fixed = Event.objects.get(action=FinanceEvent.RETENTION_RELEASE_FIXED)
    assert event_sentence(fixed) == (
        "Sam set Retention release at completion to pay £12,500.00, the retention "
        "actually held for it, instead of the £25,000.00 planned."
    )


def test_only_a_manager_of_the_payer_or_payee_fixes_a_release(w) -> None:
    first, _ = releases(held_and_completed(w))

    with refused("not_payment_party", error=Forbidden):
        retention_release_fix(milestone=first, actor=w.consultant_manager)


def test_fixing_a_milestone_that_is_no_release_is_refused(w) -> None:
    milestone = w.deliverable()

    with refused("not_a_release", "milestone"):
        retention_release_fix(milestone=milestone, actor=w.client_manager)


def test_fixing_a_release_with_nothing_held_is_refused(w) -> None:
    first, _ = releases(terms(w, completion_of(w)))

    with refused("nothing_to_release", "amount"):
        retention_release_fix(milestone=first, actor=w.client_manager)


# --- the ledger -------------------------------------------------------------------------------


def test_the_ledger_reads_held_released_and_the_balance_by_date(w) -> None:
    money = held_and_completed(w)
    first, _ = releases(money)
    cycle = apply(w, "12500", TODAY, milestone=first)
    cycle_receipt_record(
        cycle=cycle, actor=w.client_manager, paid_on=TODAY, amount="12500", reference="BACS 77"
    )

    ledger = retention_ledger(contract=w.contract, today=TODAY)

    assert (ledger.held, ledger.released, ledger.balance) == (
        Decimal("25000.00"),
        Decimal("12500.00"),
        Decimal("12500.00"),
    )
    assert [(r.day, r.kind, r.amount, r.balance) for r in ledger.rows] == [
        (TODAY - 28 * DAY, "held", Decimal("10000.00"), Decimal("10000.00")),
        (TODAY - 14 * DAY, "held", Decimal("15000.00"), Decimal("25000.00")),
        (TODAY, "released", Decimal("12500.00"), Decimal("12500.00")),
    ]
    assert ledger.rows[0].text == (
        "Application 1, for the valuation to 3 May 2026 of £200,000.00, held back £10,000.00."
    )
    # The second valuation is £500,000.00 to date: it holds back £15,000.00 more, so the
    # retention held on the gross to date is 5% of it, £25,000.00.
    assert ledger.rows[1].text.endswith(
        "of £500,000.00, held back £15,000.00 more (£25,000.00 to date)."
    )
    assert ledger.rows[2].text == (
        "£12,500.00 of retention paid back against 'Retention release at completion', "
        "application 3 (reference BACS 77)."
    )
    first_release, second_release = ledger.releases
    assert first_release.words.startswith("Paid back on 1 Jun 2026")
    assert second_release.words == (
        "Due 1 Jun 2027, at the end of the defects period after 'Practical completion'."
    )
    assert ledger.due == Decimal(0)


def test_a_release_due_and_unpaid_is_due_on_the_ledger(w) -> None:
    held_and_completed(w)

    ledger = retention_ledger(contract=w.contract, today=TODAY)

    assert ledger.due == Decimal("12500.00")
    assert ledger.releases[0].words == "Due now: £12,500.00 to pay back."


def test_a_bond_says_so_on_the_ledger(w) -> None:
    terms(w, completion_of(w), retention_bond=True)

    ledger = retention_ledger(contract=w.contract, today=TODAY)

    assert ledger.bond and ledger.releases == [] and ledger.held == 0
    assert ledger.note.startswith("A retention bond stands instead of cash retention")


def test_the_ledger_costs_the_same_queries_however_many_cycles(w, django_assert_max_num_queries):
    held_and_completed(w, grosses=("100000", "200000", "300000", "400000", "500000"))

    with django_assert_max_num_queries(4):
        retention_ledger(contract=w.contract, today=TODAY)


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(st.integers(1, 400), min_size=1, max_size=4),
    percent=st.sampled_from(["3", "5", "7.5"]),
    first_share=st.sampled_from(["50", "60", "100"]),
    paid=st.lists(st.integers(1, 100), max_size=3),
)
def test_held_less_released_is_the_balance_always(w, steps, percent, first_share, paid) -> None:
    with transaction.atomic():
        completion = completion_of(w)
        money = terms(
            w, completion, retention_percent=percent, retention_first_release_percent=first_share
        )
        gross = Decimal(0)
        for n, step in enumerate(steps):
            gross += Decimal(step) * 1000 + Decimal("0.37")
            apply(w, gross, TODAY - (len(steps) - n) * 7 * DAY)
        deliverable_accept(milestone=completion, actor=w.client_manager)
        first, _ = releases(money)
        owed = retention_release_amount(milestone=first)
        if owed > 0:
            cycle = apply(w, owed, TODAY, milestone=first)
            for share in paid:
                part = min(owed * share / 100, owed - sum(r.amount for r in cycle.receipts.all()))
                part = part.quantize(Decimal("0.01"))
                if part > 0:
                    cycle_receipt_record(
                        cycle=cycle, actor=w.client_manager, paid_on=TODAY, amount=part
                    )

        ledger = retention_ledger(contract=w.contract, today=TODAY)

        assert ledger.held - ledger.released == ledger.balance
        assert sum(r.amount for r in ledger.rows if r.kind == "held") == ledger.held
        assert sum(r.amount for r in ledger.rows if r.kind == "released") == ledger.released
        assert (ledger.rows[-1].balance if ledger.rows else Decimal(0)) == ledger.balance
        assert ledger.balance >= 0
        transaction.set_rollback(True)


def test_a_release_paid_without_a_payment_cycle_is_paid_back_on_the_ledger(w) -> None:
    first, _ = releases(held_and_completed(w))
    payment_record_invoice(
        milestone=first, invoiced_on=TODAY, amount="12500", actor=w.supplier_manager
    )
    payment_record_paid(milestone=first, paid_on=TODAY, amount="12500", actor=w.client_manager)

    ledger = retention_ledger(contract=w.contract, today=TODAY)

    assert retention_released(contract_id=w.contract.pk, currency="GBP") == Decimal("12500.00")
    assert (ledger.released, ledger.balance) == (Decimal("12500.00"), Decimal("12500.00"))
    assert ledger.rows[-1].text == (
        "£12,500.00 of retention paid back on 'Retention release at completion'."
    )
    assert ledger.releases[0].words == "Paid back on 1 Jun 2026: £12,500.00."


def test_a_first_release_given_up_leaves_all_the_retention_to_the_second(w) -> None:
    first, second = releases(held_and_completed(w))
    payment_release(
        milestone=first,
        status="waived",
        reason="Paid with the final account",
        actor=w.supplier_manager,
    )

    assert retention_release_amount(milestone=second) == Decimal("25000.00")
    ledger = retention_ledger(contract=w.contract, today=TODAY)
    assert ledger.releases[0].words == "Given up (waived)."


def test_an_invoiced_release_is_no_longer_fixed(w) -> None:
    first, _ = releases(held_and_completed(w))
    payment_record_invoice(
        milestone=first, invoiced_on=TODAY, amount="12500", actor=w.supplier_manager
    )

    with refused("already_invoiced", "amount"):
        retention_release_fix(milestone=first, actor=w.client_manager)


def test_a_release_already_paying_what_is_held_is_left_alone(w) -> None:
    first, _ = releases(held_and_completed(w))
    retention_release_fix(milestone=first, actor=w.client_manager)
    events = Event.objects.count()

    retention_release_fix(milestone=first, actor=w.client_manager)

    assert Event.objects.count() == events


def test_the_payee_setting_a_drafts_terms_leaves_the_release_to_a_payers_manager(w) -> None:
    contract = w.other_contract()
    client = contract.parties.get(organisation=w.client_org)
    supplier = contract.parties.get(organisation=w.supplier_org)
    completion = w.deliverable(
        "Handover",
        contract=contract,
        responsible_party=supplier,
        accepting_party=client,
        due_date=TODAY + 100 * DAY,
    )

    money = terms(
        w, completion, contract=contract, payer=client, payee=supplier, actor=w.supplier_manager
    )

    first, _ = releases(money)
    assert first.owner == w.client_manager
    assert first.responsible_party == client


@pytest.mark.parametrize(
    ("overrides", "note"),
    [
        ({"retention_percent": "0"}, "The contract holds no retention."),
        (
            {"completion": None},
            "5% of each interim valuation is held back; no completion milestone is named, so "
            "no release is planned yet.",
        ),
        (
            {"retention_first_release_percent": "100"},
            "5% of each interim valuation is held back; all of it is released when "
            "'Practical completion' is met.",
        ),
    ],
)
def test_the_ledger_says_the_terms_in_words(w, overrides, note) -> None:
    terms(w, **{"completion": completion_of(w), **overrides})

    assert retention_ledger(contract=w.contract, today=TODAY).note == note


def test_a_contract_without_payment_terms_holds_nothing(w) -> None:
    ledger = retention_ledger(contract=w.contract, today=TODAY)

    assert (ledger.held, ledger.releases, ledger.rows) == (Decimal(0), [], [])
    assert ledger.note == "The contract has no payment terms yet, so it holds no retention."
