"""The dashboard's money this week in the browser: the payer's manager sees the money overdue
and the payment notice due, follows the notice to its cycle, and axe finds nothing serious."""

import datetime as dt

from playwright.sync_api import expect

from milepost.finance.cycles.services import cycle_apply, money_terms_set


def test_the_payers_manager_sees_money_and_notices_due_and_opens_the_cycle(bworld, sign_in):
    from .test_accessibility import serious

    w = bworld
    day = dt.timedelta(days=1)
    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="interim",
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
    )
    # The first application's final date passed 16 days ago, unpaid; the second's payment
    # notice is due in two days.
    cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=w.today - 39 * day,
        period_end=w.today - 40 * day,
        gross_value="200000",
    )
    second = cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=w.today - 9 * day,
        period_end=w.today - 10 * day,
        gross_value="300000",
    )
    page = sign_in(w.client_manager)
    page.goto("/")

    money = page.get_by_role("table", name="Payment cycles with money outstanding")
    expect(money).to_contain_text("£190,000.00")
    expect(money).to_contain_text("Overdue")
    notices = page.locator("section", has=page.get_by_role("heading", name="Notices due this week"))
    expect(notices).to_contain_text("Harbour City Council's payment notice for payment cycle 2")
    report = serious(page, "dashboard with money due")
    assert not report, f"axe found serious violations:\n{report}"
    notices.get_by_role("link", name="payment cycle 2").click()
    page.wait_for_url(f"**/payment-cycles/{second.pk}/")
