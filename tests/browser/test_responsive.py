"""Phone-width layout and keyboard use, in a real browser.

The phone is 375 CSS pixels wide. With ``is_mobile`` Chromium zooms a too-wide page out as a phone
does, and ``window.innerWidth`` then grows to the page's width, so "does not scroll sideways" is
measured against the layout viewport (``documentElement.clientWidth``), which stays at 375.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from milepost.accounts.models import User
from milepost.schedule.models import StatusUpdate

from ..conftest import PASSWORD, World
from .conftest import PHONE_WIDTH

NAV_LINKS = [
    "Dashboard",
    "Milestones",
    "Contracts",
    "Cash flow",
    "Waiting for you",
    "Notifications",
    "Profile",
    "API tokens",
]
# WCAG 1.4.11: a focus indicator needs 3:1 against what it sits on.
MIN_RING_CONTRAST = 3.0

# What sticks out past the right edge of the layout viewport, other than the contents of a
# `.scroll` box (which scroll sideways inside it), and the form controls not wholly on screen.
LAYOUT_JS = """() => {
  const width = document.documentElement.clientWidth;
  const name = el => {
    const text = (el.innerText || el.value || '').trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${
      el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''
    }> "${text}"`;
  };
  const scrolled = el => el.parentElement !== null && el.parentElement.closest('.scroll') !== null;
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && !scrolled(el)) wide.push(`${name(el)} reaches ${Math.round(box.right)}px`);
  }
  const controls = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
    const box = el.getBoundingClientRect();
    if (shown(el) && !scrolled(el) && (box.left < -0.5 || box.right > width + 0.5))
      controls.push(`${name(el)} spans ${Math.round(box.left)}-${Math.round(box.right)}px`);
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, wide, controls};
}"""

# The focused element's focus ring, and the background it is drawn on: the first opaque
# background among its ancestors (the ring sits outside the element itself).
RING_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let background = 'rgb(255, 255, 255)';
  for (let up = el.parentElement; up; up = up.parentElement) {
    const colour = getComputedStyle(up).backgroundColor;
    if (colour !== 'transparent' && !/^rgba\\(.*, 0\\)$/.test(colour)) { background = colour; break; }
  }
  const text = (el.innerText || el.getAttribute('aria-label') || el.id || el.tagName).trim();
  return {
    name: `<${el.tagName.toLowerCase()}> ${text.slice(0, 40)}`,
    isBody: el === document.body,
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    background,
  };
}"""


def _luminance(css: str) -> float:
    r, g, b = (int(c) / 255 for c in re.findall(r"[\d.]+", css)[:3])
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two computed CSS colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ring_problem(ring: dict) -> str:
    """Why the focused element's focus ring cannot be seen ("" if it can)."""
    if ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 2:
        ratio = contrast(ring["outlineColor"], ring["background"])
        if ratio < MIN_RING_CONTRAST:
            return (
                f"{ring['name']}: outline {ring['outlineColor']} on {ring['background']}"
                f" has contrast {ratio:.1f}:1"
            )
        return ""
    if ring["boxShadow"] != "none":
        return ""
    return f"{ring['name']}: no outline or box-shadow when focused"


def assert_focus_visible(page: Page) -> None:
    problem = ring_problem(page.evaluate(RING_JS))
    assert not problem, f"the focus is not visible: {problem}"


def is_focused(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus; fail after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(target):
            return
    pytest.fail(f"{limit} presses of Tab did not reach {target}")


def layout_problems(page: Page) -> list[str]:
    """What makes the open page wider than the phone, or leaves a control partly off screen."""
    layout = page.evaluate(LAYOUT_JS)
    assert layout["width"] == PHONE_WIDTH, "the page is not laid out at the phone's width"
    problems = []
    if layout["scrollWidth"] > layout["width"]:
        problems.append(f"the page scrolls sideways: {layout['scrollWidth']}px wide")
    problems += [f"sticks out: {w}" for w in layout["wide"][:10]]
    problems += [f"control off screen: {c}" for c in layout["controls"]]
    return problems


def test_the_layout_check_sees_a_page_that_is_too_wide(bworld, phone_page: Page):
    """The check can fail: a block wider than the phone outside a `.scroll` box is found."""
    phone_page.goto("/login/")
    assert layout_problems(phone_page) == []
    # Styled through the CSSOM: the Content-Security-Policy blocks style attributes in markup.
    phone_page.locator("main").evaluate(
        """main => { const p = document.createElement('p'); p.id = 'wide'; p.textContent = 'Wide';
            p.style.width = '600px'; main.append(p); }"""
    )
    problems = layout_problems(phone_page)
    assert any("scrolls sideways" in p for p in problems)
    assert any("<p#wide>" in p for p in problems)


def test_the_login_page_fits_a_phone(bworld, phone_page: Page):
    phone_page.goto("/login/")
    assert layout_problems(phone_page) == []
    expect(phone_page.get_by_role("button", name="Sign in")).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize(
    "label",
    [
        "landing page",
        "milestone list",
        "contracts",
        "contract",
        "deliverable",
        "gate",
        "payment",
        "performance",
        "profile",
        "tokens",
    ],
)
def test_a_page_fits_a_phone_with_every_nav_link_on_screen(
    bworld: World,
    pages: dict[str, str],
    phone_sign_in: Callable[[User], Page],
    screenshots: Path,
    label: str,
):
    page = phone_sign_in(bworld.client_manager)
    response = page.goto(pages[label])
    assert response is not None
    assert response.ok
    if label in {"landing page", "deliverable"}:
        name = "dashboard" if label == "landing page" else "milestone"
        page.screenshot(path=screenshots / f"phone-{name}.png", full_page=True)
    problems = layout_problems(page)
    assert not problems, f"{label} does not fit {PHONE_WIDTH}px:\n" + "\n".join(problems)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_count(len(NAV_LINKS))
    for link in NAV_LINKS:
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport(ratio=1)


def test_the_timeline_scrolls_inside_its_own_box_on_a_phone(
    bworld: World, pages: dict[str, str], phone_sign_in: Callable[[User], Page]
):
    page = phone_sign_in(bworld.client_manager)
    page.goto(pages["contract"])
    timeline = page.get_by_role("region", name="Timeline, scrolls sideways")
    box = timeline.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE_WIDTH
    assert timeline.evaluate("el => el.scrollWidth > el.clientWidth"), "nothing to scroll"
    # A keyboard user scrolls it too: the box takes the focus and the arrow keys move it. The
    # navigation, the section links, the summary and the milestone filters come before it.
    tab_to(page, timeline, limit=90)
    assert_focus_visible(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=timeline.element_handle())


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_tab_reaches_the_skip_link_then_the_navigation_with_a_visible_focus(
    bworld: World, request: pytest.FixtureRequest, size: str
):
    signer = "sign_in" if size == "desktop" else "phone_sign_in"
    page = request.getfixturevalue(signer)(bworld.client_manager)
    page.goto("/")
    header = page.get_by_role("banner")
    nav = page.get_by_role("navigation", name="Main")
    stops = [
        page.get_by_role("link", name="Skip to content"),
        header.get_by_role("link", name="Milepost", exact=True),
        *(nav.get_by_role("link", name=name, exact=True) for name in NAV_LINKS),
        header.get_by_role("searchbox", name="Search contracts, milestones and parties"),
        header.get_by_role("button", name="Search", exact=True),
        header.get_by_role("button", name="Sign out"),
    ]
    for stop in stops:
        page.keyboard.press("Tab")
        expect(stop).to_be_focused()
        expect(stop).to_be_in_viewport(ratio=1)
        assert_focus_visible(page)


def test_the_skip_link_moves_the_keyboard_past_the_header(bworld, sign_in):
    page = sign_in(bworld.client_manager)
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("el => el.hash") == "#main"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "Tab after the skip link should land inside the main content"


def test_every_focusable_element_of_a_milestone_page_shows_its_focus(
    bworld: World, pages: dict[str, str], sign_in: Callable[[User], Page]
):
    page = sign_in(bworld.client_manager)
    page.goto(pages["gate"])  # decisions, status updates, evidence, comments and management
    problems, seen = [], 0
    for _ in range(300):
        page.keyboard.press("Tab")
        ring = page.evaluate(RING_JS)
        if ring["isBody"] or (
            seen and is_focused(page.get_by_role("link", name="Skip to content"))
        ):
            break  # round the page and back to the top
        seen += 1
        problem = ring_problem(ring)
        if problem:
            problems.append(problem)
    else:
        pytest.fail("Tab never came back round to the top of the page")
    assert seen > 20, f"only {seen} elements took the focus"
    assert not problems, "focus not visible on:\n" + "\n".join(problems)


def test_sign_in_and_post_a_status_update_by_keyboard_alone(bworld: World, page: Page):
    milestone = bworld.deliverable()  # owned by sid, so it is on his dashboard
    page.goto("/login/")
    tab_to(page, page.get_by_label("Username"))
    assert_focus_visible(page)
    page.keyboard.type(bworld.supplier_member.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    mine = page.get_by_role("region", name="Your milestones")
    tab_to(page, mine.get_by_role("link", name=milestone.title, exact=True))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(milestone.title)

    tab_to(page, page.get_by_label("What has happened"))
    assert_focus_visible(page)
    page.keyboard.type("Piling finished on the north side.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Progress %")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post update")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    expect(page.locator(".messages .success")).to_have_text("Status update posted.")
    expect(page.locator(".feed").first).to_contain_text("Piling finished on the north side.")
    expect(page.locator(".feed").first).to_contain_text("40%")
    update = StatusUpdate.objects.get(milestone=milestone)
    assert (update.author, update.progress) == (bworld.supplier_member, 40)
