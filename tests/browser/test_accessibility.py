"""axe-core in the browser on the main pages: no serious or critical violations.

axe-core is the copy bundled in the ``axe-playwright-python`` wheel (pinned in pyproject); it is
injected into the page from disk, so nothing loads from the internet.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Page

from milepost.accounts.models import User

from ..conftest import World

BLOCKING = {"serious", "critical"}
# WCAG 2.2 A and AA plus axe's best practices (landmarks, headings, skip link).
OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
RESULT_KINDS = ("violations", "passes", "incomplete", "inapplicable")
# Rules the issue names (sufficient contrast, labelled controls) that must never be left out.
ALWAYS_RUN = {"color-contrast", "label", "select-name", "button-name", "link-name"}


def _report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def serious(page: Page, label: str) -> str:
    """Run axe on the open page; describe its serious and critical violations ("" if none).

    Moderate and minor ones are printed (shown with -rP) but do not fail the run.
    """
    response = Axe().run(page, options=OPTIONS).response
    # Every rule that ran is listed under one of these, with or without its nodes. A change to
    # OPTIONS that dropped colour contrast would otherwise pass every page in silence.
    ran = {rule["id"] for kind in RESULT_KINDS for rule in response[kind]}
    missing = ALWAYS_RUN - ran
    assert not missing, f"axe did not run {sorted(missing)} on {label}"
    violations = response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    minor = [v for v in violations if v["impact"] not in BLOCKING]
    if minor:
        print(f"axe, {label}, moderate or minor:\n{_report(minor)}")
    return f"[{label}] {page.url}\n{_report(blocking)}" if blocking else ""


def _open(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path} answered {response.status}"


def test_login_page_has_no_serious_violations(bworld, page):
    _open(page, "/login/")
    report = serious(page, "login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    report += serious(page, "login refused")
    if report:
        pytest.fail(f"axe found serious violations:\n{report}", pytrace=False)


# A manager sees the management forms; a member sees the contributor's forms.
@pytest.mark.parametrize("who", ["client_manager", "supplier_member"])
def test_main_pages_have_no_serious_violations(
    bworld: World, pages: dict[str, str], sign_in: Callable[[User], Page], who: str
):
    page = sign_in(getattr(bworld, who))
    reports = []
    for label, path in pages.items():
        _open(page, path)
        reports.append(serious(page, label))
    report = "\n\n".join(r for r in reports if r)
    if report:
        pytest.fail(f"axe found serious violations as {who}:\n{report}", pytrace=False)


def test_low_contrast_text_is_reported_as_serious(bworld, page):
    """The check can fail: grey on white (2.3:1) is reported under axe's colour-contrast rule."""
    _open(page, "/login/")
    # Styled through the CSSOM: the Content-Security-Policy blocks style attributes in markup.
    page.locator("main").evaluate(
        """main => { const p = document.createElement('p'); p.textContent = 'Faint text';
            p.style.color = '#aaa'; p.style.background = '#fff'; main.append(p); }"""
    )
    report = serious(page, "login with faint text")
    assert "color-contrast (serious)" in report
    assert "Faint text" in report


# A phone shows the same pages with a different layout: wrapped navigation, scrolled tables.
PHONE_PAGES = ["landing page", "contract", "deliverable", "gate", "milestone list", "tokens"]


def test_pages_at_phone_width_have_no_serious_violations(
    bworld: World, pages: dict[str, str], phone_sign_in: Callable[[User], Page], phone_page: Page
):
    _open(phone_page, "/login/")
    reports = [serious(phone_page, "login, phone")]
    page = phone_sign_in(bworld.client_manager)
    for label in PHONE_PAGES:
        _open(page, pages[label])
        reports.append(serious(page, f"{label}, phone"))
    report = "\n\n".join(r for r in reports if r)
    if report:
        pytest.fail(f"axe found serious violations at phone width:\n{report}", pytrace=False)


def test_template_import_and_preview_pages_have_no_serious_violations(
    bworld: World, sign_in: Callable[[User], Page]
):
    from milepost.interchange.programmes.services import programme_preview
    from milepost.interchange.uploads import Upload
    from milepost.operations.demo.programme import mspdi

    contract = bworld.contract.pk
    batch = programme_preview(
        contract=bworld.contract,
        upload=Upload(name="programme.xml", data=mspdi(bworld.today)),
        actor=bworld.client_manager,
    )
    pages = {
        "contract templates": reverse("interchange:templates-list"),
        "new contract from a template": reverse(
            "interchange:templates-new-contract", kwargs={"key": "uk-design-and-build"}
        ),
        "import milestones": reverse("interchange:sheets-milestones-upload", args=[contract]),
        "import contracts": reverse("interchange:sheets-contracts-upload"),
        "import a programme": reverse("interchange:programmes-upload", args=[contract]),
        "programme preview": reverse("interchange:programmes-preview", args=[batch.pk]),
        "import from OCDS": reverse("interchange:ocds-import"),
    }
    page = sign_in(bworld.client_manager)
    reports = []
    for label, path in pages.items():
        _open(page, path)
        reports.append(serious(page, label))
    report = "\n\n".join(r for r in reports if r)
    if report:
        pytest.fail(f"axe found serious violations:\n{report}", pytrace=False)
