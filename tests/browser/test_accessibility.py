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
from .conftest import make_gate, make_payment

BLOCKING = {"serious", "critical"}
# WCAG 2.2 A and AA plus axe's best practices (landmarks, headings, skip link).
OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


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
    violations = Axe().run(page, options=OPTIONS).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    minor = [v for v in violations if v["impact"] not in BLOCKING]
    if minor:
        print(f"axe, {label}, moderate or minor:\n{_report(minor)}")
    return f"[{label}] {page.url}\n{_report(blocking)}" if blocking else ""


def _open(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path} answered {response.status}"


@pytest.fixture
def pages(bworld: World) -> dict[str, str]:
    """A contract with each kind of milestone the pages show forms for."""
    deliverable = bworld.deliverable()
    gate = make_gate(bworld)
    payment = make_payment(bworld)
    return {
        "landing page": "/",
        "contracts": reverse("web:contract-list"),
        "contract": reverse("web:contract-detail", args=[bworld.contract.pk]),
        "deliverable": reverse("web:milestone-detail", args=[deliverable.pk]),
        "gate": reverse("web:milestone-detail", args=[gate.pk]),
        "payment": reverse("web:milestone-detail", args=[payment.pk]),
        "tokens": reverse("web:token-list"),
        "profile": reverse("web:profile"),
        "milestone list": reverse("reporting:milestone-list") + "?owner=me",
    }


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
