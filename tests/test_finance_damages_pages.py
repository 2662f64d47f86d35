"""Endpoint and page tests for delay damages: one allowed and one forbidden request each."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.finance.choices import DeductionKind
from milepost.finance.damages.services import damages_terms_set
from milepost.finance.models import DamagesTerms, Deduction, PaymentCycle
from milepost.payments.services import payment_milestone_create
from milepost.schedule.changes import change_request_approve, change_request_submit
from tests.helpers import signed_in

# Monday 2 March 2026; the completion is due Thursday 12 March and read on Tuesday 17 March.
START = dt.datetime(2026, 3, 17, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")
DUE = dt.date(2026, 3, 12)
API = "/api/v1"


def completion(w):
    return w.deliverable("Practical completion", due_date=DUE)


def with_damages(w):
    milestone = completion(w)
    damages_terms_set(
        milestone=milestone,
        actor=w.client_manager,
        rate=Decimal("1000"),
        unit="day",
        payer=w.supplier,
        payee=w.client,
        cap_amount=Decimal("3000"),
    )
    return milestone


def body(w):
    return {"rate": "2500", "unit": "week", "payer": w.supplier.pk, "payee": w.client.pk}


# --- API ------------------------------------------------------------------------------------------


def test_api_reads_a_milestones_accrued_damages(w):
    milestone = with_damages(w)

    response = signed_in(w.supplier_member).get(f"{API}/milestones/{milestone.pk}/delay-damages")

    assert response.status_code == 200
    data = response.json()
    # 13 to 17 March: 5 days at £1,000, capped at £3,000
    assert data["days_late"] == 5
    assert Decimal(data["accrued"]) == Decimal("3000.00")
    assert data["capped"] is True and data["still_late"] is True
    assert data["contractual_date"] == "2026-03-12"


def test_api_hides_a_milestones_damages_from_an_outsider(w):
    milestone = with_damages(w)

    response = signed_in(w.outsider).get(f"{API}/milestones/{milestone.pk}/delay-damages")

    assert response.status_code == 404


def test_api_sets_damages_for_the_owners_manager(w):
    milestone = completion(w)

    response = signed_in(w.client_manager).put(
        f"{API}/milestones/{milestone.pk}/delay-damages", body(w), content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["unit"] == "week"
    assert DamagesTerms.objects.get().rate == Decimal("2500.00")


def test_api_refuses_the_supplier_setting_agreed_damages(w):
    milestone = completion(w)

    response = signed_in(w.supplier_manager).put(
        f"{API}/milestones/{milestone.pk}/delay-damages", body(w), content_type="application/json"
    )

    assert response.status_code == 403
    assert not DamagesTerms.objects.exists()


def test_api_removes_damages(w):
    milestone = with_damages(w)

    response = signed_in(w.client_manager).delete(f"{API}/milestones/{milestone.pk}/delay-damages")

    assert response.status_code == 204
    assert not DamagesTerms.objects.exists()


def test_api_refuses_a_viewer_removing_damages(w):
    milestone = with_damages(w)

    response = signed_in(w.client_viewer).delete(f"{API}/milestones/{milestone.pk}/delay-damages")

    assert response.status_code == 403
    assert DamagesTerms.objects.exists()


def test_api_lists_a_contracts_damages_with_totals(w):
    with_damages(w)

    response = signed_in(w.client_viewer).get(f"{API}/contracts/{w.contract.pk}/delay-damages")

    assert response.status_code == 200
    data = response.json()
    assert Decimal(data["accrued"]) == Decimal("3000.00")
    assert [m["milestone"] for m in data["milestones"]] == ["Practical completion"]


def test_api_hides_a_contracts_damages_from_an_outsider(w):
    with_damages(w)

    response = signed_in(w.outsider).get(f"{API}/contracts/{w.contract.pk}/delay-damages")

    assert response.status_code == 404


# --- pages ------------------------------------------------------------------------------------


def test_contract_page_shows_each_milestones_damages_in_words(w):
    with_damages(w)

    response = signed_in(w.supplier_member).get(reverse("finance:damages", args=[w.contract.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert "£1,000.00 a day" in text
    assert "5 days late: due by 12 Mar 2026, still not met on 17 Mar 2026." in text
    assert "£3,000.00" in text and "cap reached" in text


def test_contract_page_hides_from_an_outsider(w):
    response = signed_in(w.outsider).get(reverse("finance:damages", args=[w.contract.pk]))

    assert response.status_code == 404


def test_the_owners_manager_sets_damages_on_the_milestones_damages_page(w):
    milestone = completion(w)
    url = reverse("finance:milestone-damages", args=[milestone.pk])
    client = signed_in(w.client_manager)
    assert 'name="rate"' in client.get(url).content.decode()

    response = client.post(url, {**body(w), "rate": "£2,500.00", "cap_percent": "5"})

    assert response.status_code == 302
    terms = DamagesTerms.objects.get()
    assert (terms.rate, terms.unit, terms.cap_percent) == (
        Decimal("2500.00"),
        "week",
        Decimal("5.0000"),
    )


def test_the_supplier_is_told_why_it_may_not_set_agreed_damages(w):
    milestone = completion(w)
    url = reverse("finance:milestone-damages", args=[milestone.pk])
    client = signed_in(w.supplier_manager)

    page = client.get(url).content.decode()
    client.post(url, body(w))

    assert 'name="rate"' not in page
    assert "agreed terms" in page
    assert not DamagesTerms.objects.exists()


def test_a_refused_form_keeps_what_was_typed(w):
    milestone = completion(w)
    url = reverse("finance:milestone-damages", args=[milestone.pk])

    response = signed_in(w.client_manager).post(url, {**body(w), "cap_percent": "150"})

    assert response.status_code == 422
    assert 'value="2500"' in response.content.decode()
    assert not DamagesTerms.objects.exists()


def test_removing_from_the_page(w):
    milestone = with_damages(w)

    response = signed_in(w.client_manager).post(
        reverse("finance:milestone-damages-remove", args=[milestone.pk])
    )

    assert response.status_code == 302
    assert not DamagesTerms.objects.exists()


def test_removing_is_refused_for_a_viewer(w):
    milestone = with_damages(w)

    response = signed_in(w.client_viewer).post(
        reverse("finance:milestone-damages-remove", args=[milestone.pk])
    )

    assert response.status_code == 403
    assert DamagesTerms.objects.exists()


def test_the_milestone_page_shows_the_accrued_damages(w):
    milestone = with_damages(w)

    response = signed_in(w.supplier_member).get(
        reverse("milestones:milestone-detail", args=[milestone.pk])
    )

    text = response.content.decode()
    assert "Delay damages" in text
    assert "£3,000.00" in text and "still late" in text


def over_deducted(w):
    """£5,000 of damages taken in time, then the completion's date extended by 3 days."""
    milestone = completion(w)
    damages_terms_set(
        milestone=milestone,
        actor=w.client_manager,
        rate=Decimal("1000"),
        unit="day",
        payer=w.supplier,
        payee=w.client,
    )
    Deduction.objects.create(
        cycle=PaymentCycle.objects.create(
            contract=w.contract,
            number=1,
            payer=w.client,
            payee=w.supplier,
            period_end=DUE,
            applied_on=DUE,
            applied_by=w.supplier_manager,
            gross_value=Decimal("100000"),
            applied_sum=Decimal("100000"),
            due_date=DUE,
            final_date=DUE,
            payment_notice_by=DUE,
            pay_less_by=DUE,
            pay_less_on=DUE,
        ),
        kind=DeductionKind.DELAY_DAMAGES,
        amount=Decimal("5000"),
        milestone=milestone,
    )
    change = change_request_submit(
        milestone=milestone,
        new_due_date=DUE + dt.timedelta(days=3),
        reason="Storm damage",
        actor=w.supplier_manager,
    )
    change_request_approve(change=change, actor=w.client_manager)
    return milestone


def test_api_and_pages_show_damages_deducted_too_much(w):
    # £5,000 taken; the date moved to 15 March, so 16 and 17 March (£2,000) are owed now
    milestone = over_deducted(w)
    client = signed_in(w.supplier_member)

    one = client.get(f"{API}/milestones/{milestone.pk}/delay-damages").json()
    total = client.get(f"{API}/contracts/{w.contract.pk}/delay-damages").json()
    page = client.get(reverse("finance:damages", args=[w.contract.pk])).content.decode()
    panel = client.get(reverse("milestones:milestone-detail", args=[milestone.pk]))

    assert Decimal(one["over_deducted"]) == Decimal("3000.00")
    assert Decimal(total["over_deducted"]) == Decimal("3000.00")
    assert "£3,000.00 deducted too much, owed back" in page
    assert "more than the damages now owed was taken off" in panel.content.decode()


def test_the_milestone_page_of_a_payment_shows_no_delay_damages(w):
    payment = payment_milestone_create(
        contract=w.contract,
        title="Completion payment",
        owner=w.client_manager,
        due_date=DUE + dt.timedelta(days=30),
        payer=w.client,
        payee=w.supplier,
        trigger=completion(w),
        amount="1000",
        actor=w.client_manager,
    )

    text = (
        signed_in(w.client_manager)
        .get(reverse("milestones:milestone-detail", args=[payment.pk]))
        .content.decode()
    )

    assert 'id="damages-heading"' not in text
