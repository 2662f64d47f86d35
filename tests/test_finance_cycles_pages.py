"""The Money page and a payment cycle's page: who sees which form, and refused forms keep input."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.finance.cycles.services import cycle_apply, cycle_receipt_record, money_terms_set
from milepost.finance.models import PaymentCycle
from tests.helpers import signed_in

START = dt.datetime(2026, 5, 15, 10, 0, tzinfo=ZoneInfo("Europe/London"))
pytestmark = pytest.mark.usefixtures("clock")


def setup(w):
    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="interim",
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
    )
    return cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=dt.date(2026, 4, 30),
        period_end=dt.date(2026, 4, 30),
        gross_value="100000",
    )


def test_the_money_page_shows_the_cycles_and_the_owner_may_change_the_terms(w) -> None:
    setup(w)
    page = signed_in(w.client_manager).get(reverse("finance:money", args=[w.contract.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "£95,000.00" in text and "Tue 26 May 2026" in text
    assert "Save the payment terms" in text
    assert "Only a manager of Northgate Construction may apply for payment." in text


def test_an_outsider_finds_no_money_page(w) -> None:
    page = signed_in(w.outsider).get(reverse("finance:money", args=[w.contract.pk]))
    assert page.status_code == 404


def test_the_payee_applies_from_the_page(w) -> None:
    setup(w)
    client = signed_in(w.supplier_manager)
    answer = client.post(
        reverse("finance:cycle-apply", args=[w.contract.pk]),
        {"applied_on": "2026-05-15", "period_end": "2026-05-15", "gross_value": "150000"},
    )
    assert answer.status_code == 302
    assert PaymentCycle.objects.get(number=2).gross_value == 150000


def test_a_refused_application_keeps_what_was_typed(w) -> None:
    setup(w)
    client = signed_in(w.supplier_manager)
    answer = client.post(
        reverse("finance:cycle-apply", args=[w.contract.pk]),
        {"applied_on": "2026-05-15", "period_end": "2026-05-15", "gross_value": "90000"},
    )
    text = answer.content.decode()
    assert answer.status_code == 422
    assert "at least the last one" in text and 'value="90000"' in text
    assert PaymentCycle.objects.count() == 1


def test_the_payer_gives_the_payment_notice_and_the_payee_is_told_why_not(w) -> None:
    cycle = setup(w)
    url = reverse("finance:cycle", args=[cycle.pk])
    payee_page = signed_in(w.supplier_manager).get(url).content.decode()
    assert "Only a manager of Harbour City Council may give the payment notice." in payee_page
    answer = signed_in(w.client_manager).post(
        reverse("finance:cycle-notice", args=[cycle.pk]),
        {"given_on": "2026-05-12", "notified_sum": "90000", "basis": "Valuation."},
    )
    assert answer.status_code == 302
    cycle.refresh_from_db()
    assert cycle.notified_sum == 90000 and not cycle.notice_late


def test_a_refused_pay_less_notice_keeps_the_grounds_typed(w) -> None:
    cycle = setup(w)
    answer = signed_in(w.client_manager).post(
        reverse("finance:cycle-pay-less", args=[cycle.pk]),
        {
            "given_on": "2026-05-15",
            "grounds": "Cracked screed in bay 4",
            "other_amount": "200000",
            "other_description": "Screed",
        },
    )
    text = answer.content.decode()
    assert answer.status_code == 422
    assert "Cracked screed in bay 4" in text and "more than the" in text


def test_the_pay_less_form_offers_no_empty_list_and_says_there_is_nothing(w) -> None:
    cycle = setup(w)
    page = signed_in(w.client_manager).get(reverse("finance:cycle", args=[cycle.pk]))
    text = page.content.decode()
    assert "No delay damages are owed to the payer on this contract." in text
    assert "No service credit is waiting to be deducted." in text
    assert 'name="damages_milestone"' not in text and 'name="credit"' not in text


def test_a_paid_cycle_gives_paid_in_full_as_the_reason(w) -> None:
    cycle = setup(w)
    cycle_receipt_record(
        cycle=cycle, actor=w.client_manager, paid_on=dt.date(2026, 5, 11), amount="95000"
    )
    page = signed_in(w.supplier_manager).get(reverse("finance:cycle", args=[cycle.pk]))
    text = page.content.decode()
    assert "This cycle has been paid in full." in text
    assert "Only a manager of Harbour City Council may give the payment notice." not in text


def test_a_refused_pay_less_item_keeps_what_was_typed_and_says_why(w) -> None:
    cycle = setup(w)
    answer = signed_in(w.client_manager).post(
        reverse("finance:cycle-pay-less", args=[cycle.pk]),
        {"given_on": "2026-05-15", "grounds": "Snags", "other_amount": "200"},
    )
    assert answer.status_code == 422
    assert "Say what the other deduction is for." in answer.content.decode()
    assert answer.context["pay_less_form"]["other_amount"].value() == "200"


def test_the_money_page_reads_the_cycles_once(w) -> None:
    setup(w)
    with CaptureQueriesContext(connection) as queries:
        signed_in(w.client_manager).get(reverse("finance:money", args=[w.contract.pk]))
    reads = [q["sql"] for q in queries.captured_queries if '"finance_receipt"' in q["sql"]]
    assert len(reads) == 1


def test_a_stage_applied_for_sends_its_payment_to_the_money_page(w) -> None:
    from milepost.payments.services import payment_milestone_create
    from milepost.schedule.acceptance import deliverable_accept

    trigger = w.deliverable("Foundation complete", due_date=dt.date(2026, 5, 1))
    payment = payment_milestone_create(
        contract=w.contract,
        title="Foundation payment",
        owner=w.client_member,
        due_date=dt.date(2026, 6, 1),
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount="200000",
        actor=w.client_manager,
    )
    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="stages",
        payer=w.client,
        payee=w.supplier,
    )
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=dt.date(2026, 5, 15),
        period_end=dt.date(2026, 5, 15),
        gross_value="200000",
        milestone=payment,
    )
    page = signed_in(w.client_manager).get(
        reverse("milestones:milestone-detail", args=[payment.pk])
    )
    text = page.content.decode()
    assert "Paid through payment cycle 1 on the" in text
    assert reverse("finance:money", args=[w.contract.pk]) in text
    assert reverse("payments:payment-paid", args=[payment.pk]) not in text


def test_a_second_valuation_page_takes_off_the_retention_to_date(w) -> None:
    setup(w)  # 100,000 gross: 5,000 retention held, 95,000 applied for
    second = cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=dt.date(2026, 5, 15),
        period_end=dt.date(2026, 5, 15),
        gross_value="150000",
    )
    text = signed_in(w.client_manager).get(reverse("finance:cycle", args=[second.pk]))
    text = text.content.decode()

    # 150,000 to date, less 7,500 retention to date (2,500 of it on this valuation), less the
    # 95,000 notified before (the application stood): 47,500 applied for.
    assert "Less retention to date" in text
    assert "£7,500.00 (£2,500.00 of it held on this valuation)" in text
    assert "£47,500.00" in text
