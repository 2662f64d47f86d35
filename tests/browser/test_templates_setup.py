"""Set a contract up from a built-in template in a real browser: one page, a preview, create."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import expect

from milepost.contracts.models import Contract


def test_set_up_a_contract_from_a_template_on_one_page(bworld, sign_in, screenshots: Path):
    # given the client's contract manager on the contract list
    start = bworld.today + dt.timedelta(days=30)
    page = sign_in(bworld.client_manager)
    page.goto("/contracts/")
    # when they choose the short consulting template and answer only what varies
    page.get_by_role("link", name="New contract from a template").click()
    page.get_by_role("listitem").filter(has_text="Short consulting engagement").get_by_role(
        "link", name="New contract from this template"
    ).click()
    page.get_by_label("Title").fill("Harbour governance review")
    page.get_by_label("Reference").fill("HCC-2027-REV")
    page.get_by_label("Value").fill("60,000")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Client organisation").select_option(label=bworld.client_org.name)
    page.get_by_label("Consultant organisation").select_option(label=bworld.consultant_org.name)
    page.get_by_label("Owner of the consultant's milestones").select_option(
        value=str(bworld.consultant_manager.pk)
    )
    page.get_by_role("button", name="Preview").click()
    # then every milestone is shown with its date and amount, before anything is saved
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Final report")
    expect(preview).to_contain_text("£48,000.00 (80%)")
    assert not Contract.objects.filter(reference="HCC-2027-REV").exists()
    page.screenshot(path=screenshots / "template-setup-preview.png", full_page=True)
    # and creating it makes the whole contract at once
    page.get_by_role("button", name="Create contract").click()
    expect(page.get_by_role("status")).to_contain_text("Contract HCC-2027-REV created as a draft")
    assert Contract.objects.get(reference="HCC-2027-REV").milestones.count() == 5
