"""The Money page in a real browser: the owner sets the terms, the contractor applies, and the
cycle's page offers the payment notice only to the payer."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from milepost.finance.models import PaymentCycle


def test_set_terms_apply_for_payment_and_see_who_gives_the_notice(bworld, sign_in) -> None:
    money = reverse("finance:money", args=[bworld.contract.pk])
    page = sign_in(bworld.client_manager)
    page.goto(money)
    page.get_by_label("Payment regime").select_option("scheme_ew")
    page.get_by_label("Payer").select_option(label=bworld.client_org.name)
    page.get_by_label("Payee").select_option(label=bworld.supplier_org.name)
    page.get_by_label("Retention (%)").fill("5")
    page.get_by_role("button", name="Save the payment terms").click()
    expect(page.get_by_role("status")).to_contain_text("Payment terms saved.")
    expect(page.get_by_text("Only a manager of Northgate Construction may apply")).to_be_visible()

    page = sign_in(bworld.supplier_manager)
    page.goto(money)
    page.get_by_label("Gross value").fill("100000")
    page.get_by_role("button", name="Apply for payment").click()
    expect(page.get_by_role("status")).to_contain_text("Application for payment made.")
    row = page.get_by_role("row").filter(has_text="£95,000.00")
    expect(row).to_be_visible()
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payment cycle 1")
    expect(
        page.get_by_text("Only a manager of Harbour City Council may give the payment notice.")
    ).to_be_visible()
    assert PaymentCycle.objects.get().applied_sum == 95000
