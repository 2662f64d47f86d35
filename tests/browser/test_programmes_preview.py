"""Import a Microsoft Project programme into a contract in a real browser: upload, preview, apply."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from milepost.operations.demo.programme import mspdi
from milepost.schedule.models import Dependency, Milestone


def test_upload_a_programme_check_the_preview_and_apply_it(
    bworld, sign_in, screenshots: Path, tmp_path: Path
):
    # given the contractor's programme, planned from today
    programme = tmp_path / "seawall-rev-A.xml"
    programme.write_bytes(mspdi(bworld.today))
    page = sign_in(bworld.supplier_manager)
    page.goto(f"/contracts/{bworld.contract.pk}/")
    # when the supplier's manager uploads it from the contract page
    page.get_by_role("link", name="Import a programme").click()
    page.get_by_label("Programme file", exact=True).set_input_files(str(programme))
    page.get_by_role("button", name="Read the programme").click()
    # then the preview shows the milestones ticked, their dates and the links kept
    expect(page.get_by_role("heading", level=1)).to_contain_text("Programme preview")
    expect(page.get_by_label("Import Practical completion")).to_be_checked()
    expect(page.get_by_label("Import Reinstate promenade")).not_to_be_checked()
    links = page.get_by_role("region", name="Dependencies kept")
    expect(links).to_contain_text("Through Temporary works and cofferdam, not imported.")
    # when one milestone is left out and the choices are checked again
    page.get_by_label("Import Precast units delivered").uncheck()
    page.get_by_label("Owner", exact=True).select_option(label=bworld.supplier_member.username)
    page.get_by_role("button", name="Check these choices").click()
    expect(page.get_by_label("Import Precast units delivered")).not_to_be_checked()
    expect(page.get_by_text("Applying writes 4 new milestones")).to_be_visible()
    page.screenshot(path=screenshots / "programme-preview.png", full_page=True)
    # and applied
    page.get_by_role("button", name="Apply the import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 'seawall-rev-A.xml'")
    assert Milestone.objects.filter(contract=bworld.contract).count() == 4
    assert Dependency.objects.filter(successor__contract=bworld.contract).count() == 3
