"""Delay damages in the browser: the client's manager sets them on a late completion, reads what
has accrued (capped) on the milestone's damages page, and axe finds nothing serious there."""

import datetime as dt

from django.urls import reverse
from playwright.sync_api import expect


def test_client_manager_sets_damages_on_a_late_completion_and_reads_them(bworld, sign_in):
    from .test_accessibility import serious

    # given a completion due five days ago and still not met
    w = bworld
    milestone = w.deliverable("Practical completion", due_date=w.today - dt.timedelta(days=5))
    page = sign_in(w.client_manager)
    page.goto(reverse("finance:milestone-damages", args=[milestone.pk]))

    # when £1,000 a day capped at £3,000 is set (the supplier pays, the client is owed)
    page.get_by_label("Rate").fill("£1,000")
    page.get_by_label("Charged").select_option("day")
    page.get_by_label("Cap (an amount)").fill("3,000")
    page.get_by_role("button", name="Set delay damages").click()

    # then five days have accrued £5,000, capped at £3,000
    expect(page.get_by_text("Delay damages saved.")).to_be_visible()
    expect(page.get_by_text("5 days late: due by")).to_be_visible()
    expect(page.get_by_text("cap reached")).to_be_visible()
    expect(
        page.get_by_text("owed by Northgate Construction to Harbour City Council")
    ).to_be_visible()
    page.reload()
    report = serious(page, "delay damages")
    assert not report, f"axe found serious violations:\n{report}"
