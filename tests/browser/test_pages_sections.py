"""In Chromium: the milestone page's in-page links, and a deliverable submitted then accepted."""

import re

from playwright.sync_api import expect

from milepost.schedule.choices import MilestoneStatus


def test_submit_for_acceptance_then_the_receiving_party_accepts_beside_the_note(bworld, sign_in):
    milestone = bworld.deliverable()
    url = f"/milestones/{milestone.pk}/"

    # The owner jumps to "What you can do" with the in-page link (a plain anchor) and submits.
    page = sign_in(bworld.supplier_member)
    page.goto(url)
    page.get_by_role("navigation", name="On this page").get_by_role(
        "link", name="What you can do"
    ).click()
    expect(page).to_have_url(re.compile(r"#act$"))
    expect(page.get_by_role("heading", name="What you can do now")).to_be_in_viewport()
    page.get_by_label("What you are handing over").fill("Drawings issued in PDF and DWG.")
    page.get_by_role("button", name="Submit for acceptance").click()
    expect(page.locator(".messages .success")).to_contain_text("Submitted for acceptance")
    expect(page.get_by_role("button", name="Submit for acceptance")).to_have_count(0)

    # The client's manager reads the note above Accept, and accepts.
    page = sign_in(bworld.client_manager)
    page.goto(url)
    waiting = page.locator(".submission")
    expect(waiting).to_contain_text(f"Waiting for {bworld.client_org.name} to decide")
    expect(waiting).to_contain_text("Drawings issued in PDF and DWG.")
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(".messages .success")).to_have_text("Decision recorded.")
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.MET
