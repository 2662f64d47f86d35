"""Retention in the browser: the client's manager reads the ledger, sets the first release to
pay the retention held, and axe finds nothing serious on the page."""

import datetime as dt

from django.urls import reverse
from playwright.sync_api import expect

from milepost.finance.cycles.services import cycle_apply, money_terms_set


def test_client_manager_reads_the_ledger_and_fixes_the_first_release(bworld, sign_in):
    from .test_accessibility import serious

    w = bworld
    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="interim",
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
        completion=w.deliverable("Practical completion", due_date=w.today + dt.timedelta(days=60)),
    )
    cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=w.today - dt.timedelta(days=7),
        period_end=w.today - dt.timedelta(days=8),
        gross_value="200000",
    )
    page = sign_in(w.client_manager)
    page.goto(reverse("finance:retention", args=[w.contract.pk]))

    expect(page.get_by_text("Held back so far")).to_be_visible()
    ledger = page.get_by_role("table", name="Retention held and paid back, by date")
    expect(ledger).to_contain_text("of £200,000.00, held back £10,000.00.")
    page.get_by_role("button", name="Make it pay £5,000.00, the retention held").first.click()

    expect(page.get_by_text("now pays the retention held for it")).to_be_visible()
    releases = page.get_by_role("table", name="The payments that give the retention back")
    expect(releases.get_by_role("row").nth(1)).to_contain_text("£5,000.00")
    report = serious(page, "retention ledger")
    assert not report, f"axe found serious violations:\n{report}"
