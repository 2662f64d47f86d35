"""Create a contract and its first milestone through the forms, in a real browser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import expect

from milepost.contracts.models import Contract
from milepost.schedule.models import Milestone


def test_create_a_contract_fixing_a_refused_field_then_add_a_deliverable(
    bworld, sign_in, screenshots: Path
):
    page = sign_in(bworld.client_manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name="New contract", exact=True).click()
    start = bworld.today
    page.get_by_label("Reference").fill("HCC-2026-900")
    page.get_by_label("Title").fill("Harbour lighting")
    page.get_by_label("Value").fill("80000")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill((start - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Create contract").click()

    # Refused: the summary says nothing was saved and links to the field, which shows the error.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was saved")
    summary.get_by_role("link", name="End date").click()
    expect(page.get_by_label("End date")).to_be_focused()
    expect(page.locator(".field.invalid")).to_contain_text("must not be before the start date")
    page.screenshot(path=screenshots / "contract-form-refused.png", full_page=True)
    assert not Contract.objects.filter(reference="HCC-2026-900").exists()
    # What was typed is kept.
    expect(page.get_by_label("Title")).to_have_value("Harbour lighting")

    page.get_by_label("End date").fill((start + dt.timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Create contract").click()
    expect(page.get_by_role("status")).to_contain_text("created as a draft")
    expect(page.get_by_role("heading", level=1)).to_contain_text("HCC-2026-900")

    # Bring the supplier in, then add a deliverable it hands over.
    page.get_by_role("link", name="Edit contract, parties and status").click()
    page.get_by_label("An organisation you already work with").select_option(
        label=bworld.supplier_org.name
    )
    page.get_by_label("Role").select_option("supplier")
    page.get_by_role("button", name="Add party").click()
    expect(page.get_by_role("status")).to_contain_text("Northgate Construction (Supplier) added")
    page.get_by_role("link", name="HCC-2026-900").click()
    page.get_by_role("navigation", name="Add a milestone").get_by_role(
        "link", name="Deliverable"
    ).click()
    page.get_by_label("Title").fill("Lighting design")
    page.get_by_label("Owner").select_option(label=bworld.client_member.username)
    page.get_by_label("Due date").fill((start + dt.timedelta(days=30)).isoformat())
    page.get_by_label("Acceptance criteria").fill("Design signed off by the engineer.")
    page.get_by_label("Responsible party").select_option(label="Harbour City Council (Client)")
    page.get_by_label("Accepting party").select_option(label="Northgate Construction (Supplier)")
    page.get_by_role("button", name="Add deliverable").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lighting design")
    milestone = Milestone.objects.get(title="Lighting design")
    assert milestone.contract.reference == "HCC-2026-900"
    assert milestone.owner == bworld.client_member


def test_the_create_and_edit_forms_have_no_serious_accessibility_violations(bworld, sign_in):
    from .test_accessibility import serious

    milestone = bworld.deliverable()
    page = sign_in(bworld.client_manager)
    pages = {
        "new contract": "/contracts/new/",
        "edit contract": f"/contracts/{bworld.contract.pk}/edit/",
        "edit milestone": f"/milestones/{milestone.pk}/edit/",
        "dependencies": f"/milestones/{milestone.pk}/dependencies/",
        **{
            f"new {kind}": f"/contracts/{bworld.contract.pk}/milestones/new/{kind}/"
            for kind in ("deliverable", "payment", "performance", "gate")
        },
    }
    report = ""
    for label, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.ok, (
            f"{path} answered {response and response.status}"
        )
        report += serious(page, label)
    # A refused form, with its error summary and marked fields.
    page.goto(pages["new deliverable"])
    page.get_by_role("button", name="Add deliverable").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    report += serious(page, "new deliverable refused")
    assert not report, f"axe found serious violations:\n{report}"


def test_the_forms_fit_a_phone(bworld, phone_sign_in):
    from .test_responsive import layout_problems

    milestone = bworld.deliverable()
    page = phone_sign_in(bworld.client_manager)
    contract = bworld.contract.pk
    problems = []
    for path in (
        "/contracts/new/",
        f"/contracts/{contract}/edit/",
        f"/contracts/{contract}/milestones/new/payment/",
        f"/contracts/{contract}/milestones/new/gate/",
        f"/milestones/{milestone.pk}/edit/",
        f"/milestones/{milestone.pk}/dependencies/",
    ):
        response = page.goto(path)
        assert response is not None and response.ok, path
        problems += [f"{path}: {problem}" for problem in layout_problems(page)]
    assert not problems, "\n".join(problems)
