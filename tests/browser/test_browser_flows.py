"""The main journeys through the web pages, in a real browser."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import ChangeRequest, StatusUpdate

from .conftest import make_gate, make_payment


def _status_fact(page: Page):
    """The value of the milestone page's "Status" fact."""
    return page.locator(".facts div", has=page.locator("dt", has_text=re.compile(r"^Status$")))


def test_sign_in_and_read_the_dashboard(bworld, sign_in, screenshots: Path):
    gate = make_gate(bworld)  # awaits cora's decision, so the dashboard has something to show
    page = sign_in(bworld.client_manager)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="1 gates awaiting your decision")).to_be_visible()
    awaiting = page.get_by_role("region", name="Gates awaiting your decision")
    expect(awaiting.get_by_role("link", name=gate.title)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(bworld.contract.reference)
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)


def test_a_wrong_password_is_refused_with_a_message(bworld, page):
    page.goto("/login/")
    page.get_by_label("Username").fill(bworld.client_manager.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_open_a_contract_and_see_its_timeline(bworld, sign_in, screenshots: Path):
    milestone = bworld.deliverable()
    # One milestone of each shape the timeline draws, for the screenshot.
    make_gate(bworld)
    make_payment(bworld)
    page = sign_in(bworld.client_manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name=bworld.contract.reference, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(bworld.contract.reference)
    # The milestone table's link (the timeline draws one too).
    table_link = page.locator("table").get_by_role("link", name=milestone.title, exact=True)
    expect(table_link).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Timeline"))).to_be_visible()
    page.screenshot(path=screenshots / "contract-timeline.png", full_page=True)
    table_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(milestone.title)
    page.screenshot(path=screenshots / "milestone.png", full_page=True)


def test_post_a_status_update_with_progress(bworld, sign_in):
    milestone = bworld.deliverable()
    page = sign_in(bworld.supplier_member)
    page.goto(f"/milestones/{milestone.pk}/")
    page.get_by_label("What has happened").fill("Piling finished on the north side.")
    page.get_by_label("Progress %").fill("40")
    page.get_by_role("button", name="Post update").click()
    expect(page.locator(".messages .success")).to_have_text("Status update posted.")
    expect(page.locator(".feed").first).to_contain_text("Piling finished on the north side.")
    expect(page.locator(".feed").first).to_contain_text("40%")
    milestone.refresh_from_db()
    assert milestone.progress == 40


def test_an_invalid_status_update_is_refused_with_a_message_and_changes_nothing(bworld, sign_in):
    milestone = bworld.deliverable()
    page = sign_in(bworld.supplier_member)
    page.goto(f"/milestones/{milestone.pk}/")
    page.get_by_label("What has happened").fill("Nearly done.")
    progress = page.get_by_label("Progress %")
    progress.fill("150")
    page.get_by_role("button", name="Post update").click()
    # The browser refuses first, naming the limit.
    message = progress.evaluate("el => el.validationMessage")
    assert message, "the browser should refuse progress 150"
    assert page.locator(".messages").count() == 0
    # A client that skips the browser's check is refused by the server, with a message.
    progress.evaluate("el => el.form.noValidate = true")
    page.get_by_role("button", name="Post update").click()
    expect(page.locator(".messages .error")).to_contain_text("Progress %")
    expect(page.locator(".messages .error")).to_contain_text("100")
    expect(page.locator(".feed").first).to_contain_text("No updates yet.")
    milestone.refresh_from_db()
    assert milestone.progress == 0
    assert not StatusUpdate.objects.filter(milestone=milestone).exists()


def test_a_gate_passes_once_every_required_party_approves(bworld, sign_in):
    gate = make_gate(bworld)
    url = f"/milestones/{gate.pk}/"

    page = sign_in(bworld.client_manager)
    page.goto(url)
    client_form = page.locator("fieldset", has_text=f"Decide for {bworld.client_org.name}")
    client_form.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages .success")).to_have_text("Gate decision recorded.")
    expect(_status_fact(page)).not_to_contain_text("Met")
    expect(page.locator("fieldset", has_text="Decide for")).to_have_count(0)

    page = sign_in(bworld.consultant_manager)
    page.goto(url)
    consultant_form = page.locator("fieldset", has_text=f"Decide for {bworld.consultant_org.name}")
    consultant_form.get_by_label("Comment").fill("Hoarding inspected.")
    consultant_form.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages .success")).to_have_text("Gate decision recorded.")
    expect(_status_fact(page)).to_contain_text("Met")
    gate.refresh_from_db()
    assert gate.status == MilestoneStatus.MET


def test_record_a_payment_invoiced_then_paid(bworld, sign_in):
    payment = make_payment(bworld)
    url = f"/milestones/{payment.pk}/"
    today = bworld.today.isoformat()

    page = sign_in(bworld.supplier_manager)
    page.goto(url)
    page.get_by_label("Invoiced on").fill(today)
    # More than the agreed amount: the service refuses it with a message.
    page.get_by_label("Amount").fill("999999.00")
    page.get_by_role("button", name="Record invoice").click()
    expect(page.locator(".messages .error")).to_contain_text("The invoice must be")
    page.get_by_label("Invoiced on").fill(today)
    page.get_by_label("Amount").fill("300000.00")
    page.get_by_role("button", name="Record invoice").click()
    expect(page.locator(".messages .success")).to_have_text("Invoice recorded.")

    page = sign_in(bworld.client_manager)
    page.goto(url)
    page.get_by_label("Paid on").fill(today)
    expect(page.get_by_label("Amount")).to_have_value(re.compile(r"^300000(\.00)?$"))
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".messages .success")).to_have_text("Payment recorded.")
    expect(_status_fact(page)).to_contain_text("Met")
    payment.refresh_from_db()
    assert payment.status == MilestoneStatus.MET


def test_search_milestones_as_you_type_without_reloading_the_page(bworld, sign_in):
    bworld.deliverable("Piling report")
    bworld.deliverable("Roof inspection")
    page = sign_in(bworld.client_manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Milestones").click()
    results = page.locator("#results")
    expect(results).to_contain_text("Piling report")
    # The results are in the HTML before htmx (a deferred script) has wired up the form; typing
    # before that is ordinary typing with no search, so wait for the page to finish loading.
    page.wait_for_load_state("load")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Title contains").fill("roof")
    expect(results).not_to_contain_text("Piling report")
    expect(results).to_contain_text("Roof inspection")
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the results in place
    # The address carries the filters that are set, and only those, so it can be shared...
    expect(page).to_have_url(re.compile(r"/milestones/\?q=roof$"))
    page.get_by_label("Kind").select_option("deliverable")
    expect(page).to_have_url(re.compile(r"/milestones/\?q=roof&kind=deliverable$"))
    # ...and loading it again shows the same list with the same filters.
    page.reload()
    expect(page.get_by_label("Title contains")).to_have_value("roof")
    expect(page.get_by_label("Kind")).to_have_value("deliverable")
    expect(results).to_contain_text("Roof inspection")
    expect(results).not_to_contain_text("Piling report")


def test_propose_a_change_see_its_impact_and_the_counterparty_approves_it(bworld, sign_in):
    structure = bworld.deliverable(
        "Structure", due_date=bworld.today + dt.timedelta(days=20), criticality="critical"
    )
    roof = bworld.deliverable("Roof", due_date=bworld.today + dt.timedelta(days=25))
    dependency_add(predecessor=structure, successor=roof, lag=3, actor=bworld.supplier_manager)
    new_due = bworld.today + dt.timedelta(days=30)

    page = sign_in(bworld.supplier_manager)
    page.goto(f"/milestones/{structure.pk}/")
    page.get_by_role("link", name="Propose a change").first.click()
    page.get_by_label("New due date").fill(new_due.isoformat())
    page.get_by_role("button", name="Preview impact").click()
    impact = page.locator("section", has=page.get_by_role("heading", name="Impact"))
    expect(impact.get_by_role("row", name=re.compile(r"Roof .* \+8"))).to_be_visible()
    assert not ChangeRequest.objects.exists()
    page.get_by_label("Reason").fill("Steel delivery late")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".messages .success")).to_contain_text("submitted")
    change_url = page.url

    page = sign_in(bworld.client_manager)
    page.goto(change_url)
    page.get_by_label("Note (required to reject)").fill("Agreed on site")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages .success")).to_contain_text("Approved")
    roof.refresh_from_db()
    assert roof.due_date == new_due + dt.timedelta(days=3)
