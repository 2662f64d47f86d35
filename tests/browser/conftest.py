"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Nothing is downloaded at run time: Chromium is the system one (``/usr/bin/chromium``; `.ci/run`
installs it), Playwright comes from PyPI without ``playwright install``, and axe-core is the copy
bundled in the ``axe-playwright-python`` wheel. Without Chromium these tests fail under
``CI=true`` and are skipped with the reason otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from milepost.accounts.models import User
from milepost.approvals.services import gate_create
from milepost.payments.services import payment_milestone_create
from milepost.performance.services import measurement_record, performance_milestone_create
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.models import Milestone

from ..conftest import PASSWORD, World, build_world

CHROMIUM = Path(os.environ.get("MILEPOST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# The machine has no network: keep Chromium from trying to reach one.
CHROMIUM_ARGS = [
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
# An iPhone 12/13 mini-sized screen, the narrowest in common use; `is_mobile` makes Chromium
# honour the page's viewport meta tag as a phone does.
PHONE_WIDTH = 375
PHONE: dict[str, Any] = {
    "viewport": {"width": PHONE_WIDTH, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Generous: `make test` may share the machine with other work.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all the browser tests.

    Package scope rather than session scope: Playwright's sync API keeps an asyncio loop marked
    as running on the main thread while it is started, and Django then refuses ORM calls there.
    Stopping it after the last browser test keeps the rest of the suite outside that loop.
    """
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    args = list(CHROMIUM_ARGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root.
    # Playwright's sync API runs an asyncio loop on this thread, so Django's async-safety check
    # raises SynchronousOnlyOperation for ORM calls made here (seeding data, checking what
    # changed, pytest-django's flush between tests). No coroutine touches the database, so the
    # check guards nothing here; the variable is set only while the browser runs.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


@contextmanager
def guarded_context(browser: Browser, base_url: str, **options: Any) -> Iterator[BrowserContext]:
    """A fresh browser context (cookies, storage) on the live server; nothing else may load.

    A request that is not to the live server is refused, and fails the test that made it.
    """
    context = browser.new_context(base_url=base_url, locale="en-GB", **options)
    context.set_default_timeout(TIMEOUT_MS)
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith((base_url, "data:", "blob:", "about:")), refuse)
    yield context
    context.close()
    assert not refused, f"requests outside the live server: {refused}"


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A desktop-sized browser context per test."""
    with guarded_context(browser, live_server.url, **DESKTOP) as context:
        yield context


@pytest.fixture
def phone_context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A phone-sized, touch, mobile-viewport browser context per test."""
    with guarded_context(browser, live_server.url, **PHONE) as context:
        yield context


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone_page(phone_context: BrowserContext) -> Page:
    return phone_context.new_page()


@pytest.fixture
def bworld(transactional_db: None) -> World:
    """The shared three-party contract, committed so that the live server's thread sees it."""
    return build_world()


def signed_in(context: BrowserContext, user: User) -> Page:
    """Open a new page in ``context`` and sign in as ``user`` through the real /login/ form."""
    context.clear_cookies()
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)  # wherever LOGIN_REDIRECT_URL is
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


@pytest.fixture
def sign_in(context: BrowserContext) -> Callable[[User], Page]:
    """Open a new desktop page signed in as the given user."""
    return partial(signed_in, context)


@pytest.fixture
def phone_sign_in(phone_context: BrowserContext) -> Callable[[User], Page]:
    """Open a new phone-sized page signed in as the given user."""
    return partial(signed_in, phone_context)


def make_gate(world: World) -> Milestone:
    """A gate that needs the client's and the consultant's approval."""
    return gate_create(
        contract=world.contract,
        title="Site access",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=5),
        required_parties=[world.client, world.consultant],
        acceptance_criteria="Hoarding up and inspected.",
        actor=world.client_manager,
    )


def make_payment(world: World) -> Milestone:
    """30% owed by the client to the supplier, its trigger already accepted."""
    trigger = world.deliverable("Frame signed off")
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    return payment_milestone_create(
        contract=world.contract,
        title="Stage payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=30),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        percentage="30",
        actor=world.client_manager,
    )


def make_performance(world: World) -> Milestone:
    """Availability of at least 99.5% each week, with one week measured."""
    start = world.contract.start_date
    milestone = performance_milestone_create(
        contract=world.contract,
        title="Library systems availability",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=start + dt.timedelta(days=200),
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction="at_least",
        period="week",
        measurement_start=start,
        actor=world.supplier_manager,
    )
    measurement_record(
        milestone=milestone,
        period_start=start,
        value="99.9",
        note="One planned outage, announced a week ahead to the library staff.",
        actor=world.supplier_member,
    )
    return milestone


@pytest.fixture
def pages(bworld: World) -> dict[str, str]:
    """The main signed-in pages, with a milestone page of each kind and the schedule pages."""
    deliverable = bworld.deliverable()
    contract = bworld.contract.pk
    return {
        "landing page": "/",
        "contracts": reverse("reporting:contract-list"),
        "contract": reverse("reporting:contract-detail", args=[contract]),
        "deliverable": reverse("milestones:milestone-detail", args=[deliverable.pk]),
        "dates and planning": reverse("milestone-planning", args=[deliverable.pk]),
        "propose a change": reverse("change-request-new", args=[deliverable.pk]),
        "change requests": reverse("contract-change-requests", args=[contract]),
        "baselines": reverse("contract-baselines", args=[contract]),
        "critical path": reverse("contract-critical-path", args=[contract]),
        "forecast": reverse("contract-forecast", args=[contract]),
        "early warnings": reverse("contract-early-warnings", args=[contract]),
        "working-day calendar": reverse("contract-calendar", args=[contract]),
        "recovery": reverse("milestone-recovery", args=[deliverable.pk]),
        "gate": reverse("milestones:milestone-detail", args=[make_gate(bworld).pk]),
        "payment": reverse("milestones:milestone-detail", args=[make_payment(bworld).pk]),
        "performance": reverse("milestones:milestone-detail", args=[make_performance(bworld).pk]),
        "tokens": reverse("accounts:token-list"),
        "profile": reverse("accounts:profile"),
        "milestone list": reverse("reporting:milestone-list") + "?owner=me",
    }


@pytest.fixture(scope="package")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
