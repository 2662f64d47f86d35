"""Every main page works under the Content-Security-Policy: no violation, no failed request,
no console error; the API docs run Swagger UI from this server; the bell is an icon."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from .conftest import signed_in

# Registered before any page script runs; Chromium fires this event for each blocked resource,
# inline script, style element or style attribute.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""


class Watch:
    """What went wrong while a page loaded: violations, failed requests, console errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.failed: list[str] = []
        self.errors: list[str] = []
        # Which visit asked for each request: the next navigation aborts a request the last page
        # still had in flight (its favicon, say), and that is not this page's failure.
        self.visits = 0
        self.asked_in: dict[Any, int] = {}
        page.add_init_script(LISTEN)
        page.on("request", lambda r: self.asked_in.__setitem__(r, self.visits))
        page.on("requestfailed", self._request_failed)
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.url} {r.status}") if r.status >= 400 else None,
        )
        page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None,
        )

    def _request_failed(self, request: Any) -> None:
        if self.asked_in.get(request, self.visits) == self.visits:
            self.failed.append(f"{request.url} {request.failure}")

    def visit(self, path: str) -> dict[str, Any]:
        self.visits += 1
        self.failed.clear()
        self.errors.clear()
        self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        return {
            "violations": self.page.evaluate("window.__violations"),
            "failed": list(self.failed),
            "errors": list(self.errors),
        }


CLEAN = {"violations": [], "failed": [], "errors": []}


def test_every_main_page_loads_under_the_policy_with_nothing_blocked_or_missing(
    bworld, context: BrowserContext, pages: dict[str, str]
):
    page = signed_in(context, bworld.client_manager)
    watch = Watch(page)
    more = {
        "notifications": reverse("notification-list"),
        "alert preferences": reverse("alert-preferences"),
        "calendar feeds": reverse("calendar-feeds"),
        "new contract": reverse("contracts:contract-new"),
        "edit contract": reverse("milestones:contract-edit", args=[bworld.contract.pk]),
        "contract reminders": reverse("contract-reminder-rule", args=[bworld.contract.pk]),
        "webhooks": reverse("webhook-list", args=[bworld.client_org.slug]),
    }

    problems = {name: watch.visit(path) for name, path in {**pages, **more}.items()}

    assert {name: found for name, found in problems.items() if found != CLEAN} == {}


def test_sign_in_page_and_admin_load_under_the_policy(bworld, context: BrowserContext):
    bworld.client_manager.is_staff = bworld.client_manager.is_superuser = True
    bworld.client_manager.save()
    anonymous = Watch(context.new_page())
    assert anonymous.visit("/login/") == CLEAN

    page = signed_in(context, bworld.client_manager)
    watch = Watch(page)
    assert watch.visit("/admin/") == CLEAN
    assert watch.visit("/admin/accounts/organisation/") == CLEAN


def test_api_docs_run_swagger_ui_from_this_server(bworld, context: BrowserContext):
    page = signed_in(context, bworld.client_manager)
    watch = Watch(page)

    found = watch.visit("/api/v1/docs")

    # Swagger UI ran (it draws the operations from the schema) and nothing was blocked
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("Milepost API").first).to_be_visible()
    assert found == CLEAN


def test_the_notifications_bell_is_an_icon_and_the_site_has_a_favicon(bworld, context):
    page = signed_in(context, bworld.client_manager)

    bell = page.get_by_role("link", name="Notifications")
    # An inline SVG icon, not a character the fonts may lack
    expect(bell.locator("svg")).to_have_count(1)
    assert "\U0001f514" not in bell.inner_text()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    assert page.request.get(icon).status == 200
    response = page.request.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/")


@pytest.mark.parametrize("path", ["/", "/login/"])
def test_a_page_makes_no_failed_request(bworld, context: BrowserContext, path):
    page = signed_in(context, bworld.client_manager) if path == "/" else context.new_page()
    assert Watch(page).visit(path) == CLEAN
