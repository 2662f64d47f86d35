"""Service credits in the browser: the client's manager sets banded terms on a target's page,
the missed week's credit appears, and axe finds nothing serious on the page."""

import datetime as dt

from django.urls import reverse
from playwright.sync_api import expect

from milepost.performance.services import measurement_record

from .conftest import make_performance


def test_client_manager_sets_banded_credits_and_sees_the_missed_weeks_credit(bworld, sign_in):
    from .test_accessibility import serious

    milestone = make_performance(bworld)  # week 1 at 99.9%: on target
    measurement_record(
        milestone=milestone,
        period_start=bworld.contract.start_date + dt.timedelta(days=7),
        value="98.8",  # missed by 0.7: the 10% band
        actor=bworld.supplier_member,
    )
    page = sign_in(bworld.client_manager)
    page.goto(reverse("milestones:milestone-detail", args=[milestone.pk]))

    page.get_by_label("A missed period earns").select_option(
        label="A percentage of the period's charge by how far it missed"
    )
    page.get_by_label("Supplier (gives the credit)").select_option(label="Northgate Construction")
    page.get_by_label("Client (receives it)").select_option(label="Harbour City Council")
    page.get_by_label("Charge for one period (GBP)").fill("5000")
    page.get_by_label("Bands:").fill("0: 5\n0.5: 10\n1.5: 20")
    page.get_by_label("Cap per period (GBP, optional)").fill("400")
    page.get_by_role("button", name="Save the service credits").click()

    expect(page.get_by_text("Service credit terms saved.")).to_be_visible()
    credits = page.locator("table[aria-labelledby='credits-heading']")
    # 10% of £5,000 = £500, capped at £400 for one week.
    expect(credits).to_contain_text("£400.00")
    expect(credits).to_contain_text("Capped from £500.00")
    page.reload()  # axe on the page itself, without the one-off message
    report = serious(page, "performance target with service credits")
    assert not report, f"axe found serious violations:\n{report}"
