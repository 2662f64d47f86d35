"""Money typed as people write it: grouping and the currency's symbol, never a guess."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.contracts.models import Contract
from milepost.core.errors import DomainError
from milepost.core.money import read_amount
from milepost.payments.models import PaymentTerms
from milepost.payments.services import payment_milestone_create
from milepost.schedule.acceptance import deliverable_accept

from .helpers import signed_in


@pytest.mark.parametrize(
    ("typed", "currency", "amount"),
    [
        ("2,000,000", "GBP", Decimal("2000000")),
        ("£2,000,000.00", "GBP", Decimal("2000000.00")),
        ("£ 1,250.50", "GBP", Decimal("1250.50")),
        ("GBP 2,000", "GBP", Decimal("2000")),
        ("2,000 GBP", "GBP", Decimal("2000")),
        ("2000000", "GBP", Decimal("2000000")),
        ("US$1,000", "USD", Decimal("1000")),
        ("$1,000", "USD", Decimal("1000")),
        ("€3,500.75", "EUR", Decimal("3500.75")),
    ],
)
def test_an_amount_is_read_with_its_grouping_and_its_currencys_symbol(typed, currency, amount):
    assert read_amount(typed, locale="en_GB", currency=currency) == amount


@pytest.mark.parametrize("typed", ["2.000,00", "1,00,0", "12,34", "$1,000", "two million", ""])
def test_an_ambiguous_or_foreign_amount_is_refused_naming_the_field(typed):
    with pytest.raises(DomainError) as caught:
        read_amount(typed, locale="en_GB", currency="GBP", label="amount paid", field="amount")
    assert (caught.value.code, caught.value.field) == ("invalid_amount", "amount")
    assert caught.value.message.startswith(f"The amount paid '{typed}' is not an amount")
    assert "2,000,000.00" in caught.value.message


def test_a_contract_is_made_with_its_value_typed_with_commas_and_a_pound_sign(world):
    response = signed_in(world.client_manager).post(
        reverse("contracts:contract-new"),
        {
            "organisation": world.client_org.pk,
            "party_role": "client",
            "reference": "HCC-2026-090",
            "title": "Harbour wall repairs",
            "currency": "GBP",
            "value": "£2,000,000.00",
            "start_date": world.today.isoformat(),
            "end_date": (world.today + dt.timedelta(days=180)).isoformat(),
            "time_zone": "Europe/London",
            "holiday_country": "GB",
        },
    )
    assert response.status_code == 302
    assert Contract.objects.get(reference="HCC-2026-090").value == Decimal("2000000.00")


def test_an_ambiguous_contract_value_is_refused_on_its_field_and_nothing_saved(world):
    response = signed_in(world.client_manager).post(
        reverse("milestones:contract-edit", args=[world.contract.pk]),
        {
            "reference": world.contract.reference,
            "title": world.contract.title,
            "value": "2.000,00",
            "start_date": world.contract.start_date.isoformat(),
            "end_date": world.contract.end_date.isoformat(),
            "time_zone": world.contract.time_zone,
            "holiday_country": "GB",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["value"] == [
        "The value '2.000,00' is not an amount we can read: write it like 2,000,000.00 "
        "(with or without £), with ',' between thousands and '.' before the decimals."
    ]
    world.contract.refresh_from_db()
    assert world.contract.value == Decimal("1000000.00")


def test_a_payment_is_added_invoiced_and_paid_with_grouped_amounts(world):
    trigger = world.deliverable("Foundations", due_date=world.today - dt.timedelta(days=10))
    client = signed_in(world.client_manager)
    response = client.post(
        reverse("milestones:milestone-new", args=[world.contract.pk, "payment"]),
        {
            "title": "Foundation payment",
            "owner": world.client_manager.pk,
            "due_date": (world.today + dt.timedelta(days=20)).isoformat(),
            "criticality": "standard",
            "payer": world.client.pk,
            "payee": world.supplier.pk,
            "trigger": trigger.pk,
            "amount": "£300,000",
            "percentage": "",
            "retention_percent": "0",
        },
    )
    assert response.status_code == 302
    terms = PaymentTerms.objects.get(milestone__title="Foundation payment")
    assert terms.amount == Decimal("300000.00")
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    supplier = signed_in(world.supplier_manager)
    invoiced = supplier.post(
        reverse("payments:payment-invoice", args=[terms.milestone_id]),
        {"invoiced_on": world.today.isoformat(), "amount": "£300,000.00"},
    )
    assert invoiced.status_code == 302
    paid = client.post(
        reverse("payments:payment-paid", args=[terms.milestone_id]),
        {"paid_on": world.today.isoformat(), "amount": "300,000"},
    )
    assert paid.status_code == 302
    terms.refresh_from_db()
    assert (terms.invoiced_amount, terms.paid_amount) == (Decimal("300000.00"), Decimal("300000"))


def test_an_ambiguous_payment_amount_is_refused_with_a_message_naming_it(world):
    trigger = world.deliverable("Foundations", due_date=world.today - dt.timedelta(days=10))
    payment = payment_milestone_create(
        contract=world.contract,
        title="Foundation payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=20),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        amount="300000",
        actor=world.client_manager,
    )
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    response = signed_in(world.supplier_manager).post(
        reverse("payments:payment-invoice", args=[payment.pk]),
        {"invoiced_on": world.today.isoformat(), "amount": "1,00,0"},
    )
    assert response.status_code == 422
    assert "Invoiced amount: The invoiced amount &#x27;1,00,0&#x27; is not an amount" in (
        response.content.decode()
    )
