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
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from milepost.accounts.models import User
from milepost.approvals.services import gate_create
from milepost.payments.services import payment_milestone_create
from milepost.schedule.models import Milestone
from milepost.schedule.services import deliverable_accept

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


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh browser context (cookies, storage) per test, pointed at the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing may load from the internet: refuse any request that is not to the live server,
    # and fail the test that made it.
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.abort()

    context.route(
        lambda url: not url.startswith((live_server.url, "data:", "blob:", "about:")), refuse
    )
    yield context
    context.close()
    assert not refused, f"requests outside the live server: {refused}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def bworld(transactional_db: None) -> World:
    """The shared three-party contract, committed so that the live server's thread sees it."""
    return build_world()


@pytest.fixture
def sign_in(context: BrowserContext) -> Callable[[User], Page]:
    """Open a new page and sign in as ``user`` through the real /login/ form."""

    def as_user(user: User) -> Page:
        context.clear_cookies()
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)  # wherever LOGIN_REDIRECT_URL is
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    return as_user


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


@pytest.fixture(scope="package")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
