"""Printing a page gives its content: no navigation, forms or buttons, black on white."""

import datetime as dt
import io

import pypdf
from playwright.sync_api import Page, expect

# What only works on screen; none of it may be visible in print.
SCREEN_ONLY = "header.top, nav, form, button, input:not([type=hidden]), select, textarea, a.button"


def visible_screen_only(page: Page) -> list[str]:
    """Describe each navigation link, form control or button that is drawn."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((e) => e.getClientRects().length > 0)
            .map((e) => e.outerHTML.slice(0, 80))""",
        SCREEN_ONLY,
    )


def pdf_pages(pdf: bytes) -> tuple[int, str]:
    """Return the number of pages of a PDF and its text."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_every_kind_of_page_prints_without_navigation_forms_or_buttons(bworld, sign_in):
    milestone = bworld.deliverable("Piling report")
    contract = bworld.contract
    pages = {
        "/": "Dashboard",
        f"/contracts/{contract.pk}/": contract.title,
        f"/milestones/{milestone.pk}/": "Piling report",
        f"/contracts/{contract.pk}/critical-path/": "Critical path",
    }
    page = sign_in(bworld.client_manager)
    for url, heading in pages.items():
        page.goto(url)
        page.emulate_media(media="screen")
        assert visible_screen_only(page), f"{url} has no controls on screen to hide"

        page.emulate_media(media="print")

        assert visible_screen_only(page) == [], url
        expect(page.locator("main h1")).to_contain_text(heading)
        expect(page.locator("main h1")).to_be_visible()


def test_a_contract_page_prints_on_fewer_pages_with_its_content(bworld, sign_in):
    for number in range(12):
        bworld.deliverable(
            f"Fit-out package {number}", due_date=bworld.today + dt.timedelta(days=number + 5)
        )
    page = sign_in(bworld.client_manager)
    page.goto(f"/contracts/{bworld.contract.pk}/")
    page.emulate_media(media="screen")
    on_screen, _ = pdf_pages(page.pdf(format="A4"))

    page.emulate_media(media="print")
    printed, text = pdf_pages(page.pdf(format="A4"))

    assert printed < on_screen
    assert bworld.contract.title in text and "Fit-out package 11" in text
    assert "Sign out" not in text and "Notifications" not in text
