"""An update request answered from its signed link on a 390 px phone, without signing in."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, expect

from milepost.milestones.links import update_request_path
from milepost.milestones.updates import update_round_request

from ..conftest import World
from .conftest import PHONE, guarded_context, signed_in
from .test_responsive import LAYOUT_JS

# An iPhone 12/13/14-sized screen.
PHONE_390: dict[str, Any] = {**PHONE, "viewport": {"width": 390, "height": 844}}


def test_an_update_is_answered_from_the_signed_link_on_a_phone(
    bworld: World, browser: Browser, live_server: Any
) -> None:
    milestone = bworld.deliverable("Foundation complete")
    round_ = update_round_request(
        contract=bworld.contract, milestone=milestone, actor=bworld.client_manager
    )
    path = update_request_path(round_.requests.get().pk)

    with guarded_context(browser, live_server.url, **PHONE_390) as phone:
        page = phone.new_page()
        page.goto(path)
        expect(
            page.get_by_role("heading", name="How is Foundation complete going?")
        ).to_be_visible()
        layout = page.evaluate(LAYOUT_JS)
        assert layout["width"] == 390
        assert layout["scrollWidth"] <= 390 and layout["wide"] == [] and layout["controls"] == []
        # Refused first (no note): what was typed stays.
        page.get_by_label("How far along is it? (%)").fill("70")
        page.get_by_role("button", name="Send update").click()
        expect(page.get_by_role("alert")).to_contain_text("How is it going?")
        expect(page.get_by_label("How far along is it? (%)")).to_have_value("70")
        page.get_by_label("How is it going?").fill("Slab poured; curing until Friday.")
        page.get_by_label("Photos or files as evidence (optional)").set_input_files(
            {"name": "slab.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff slab"}
        )
        page.get_by_role("button", name="Send update").click()
        expect(page.get_by_role("status")).to_contain_text("your update is recorded")

    with guarded_context(browser, live_server.url, viewport={"width": 1280, "height": 900}) as desk:
        page = signed_in(desk, bworld.client_manager)
        page.goto(f"/milestones/{milestone.pk}/")
        expect(page.get_by_text("70%").first).to_be_visible()
        expect(page.get_by_text("Slab poured; curing until Friday.").first).to_be_visible()
