"""The whole loop of an action request, in Chromium and through a real SMTP server: a change is
proposed, the approver is emailed, follows the link, approves, and the proposer is told."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from playwright.sync_api import Browser, expect

from milepost.alerts.engine import tick
from milepost.alerts.inbox import alert_preference_set
from milepost.schedule.changes import change_request_submit

from ..conftest import World
from .conftest import DESKTOP, guarded_context, signed_in


def work() -> None:
    """Run the worker until nothing is left to do."""
    while tick(now=timezone.now()).busy:
        pass


def mail_to(inbox: Any, address: str) -> list[str]:
    return [
        m.get_body(("plain",)).get_content()
        for m in inbox.messages
        if m["To"].addresses[0].addr_spec == address
    ]


def test_a_change_is_asked_by_email_approved_from_the_link_and_the_proposer_told(
    bworld: World, browser: Browser, live_server: Any, inbox: Any, settings: Any
) -> None:
    settings.MILEPOST_BASE_URL = live_server.url
    approver, proposer = bworld.client_manager, bworld.supplier_manager
    for person in (approver, proposer):
        # Their hour is midnight, so the messages go out whatever time the suite runs.
        alert_preference_set(user=person, actor=person, hour=0)
    milestone = bworld.deliverable("Structure topped out")
    change_request_submit(
        milestone=milestone,
        reason="Steel arrives late.",
        new_due_date=milestone.due_date + dt.timedelta(days=14),
        actor=proposer,
    )
    work()

    [asked] = mail_to(inbox, approver.email)
    assert "to approve moving Structure topped out" in asked
    link = re.search(r"Approve or reject: (\S+)", asked)
    assert link is not None and link.group(1).startswith(live_server.url)

    with guarded_context(browser, live_server.url, **DESKTOP) as context:
        page = signed_in(context, approver)
        page.goto("/actions/")
        expect(page.get_by_role("main")).to_contain_text("Structure topped out")
        page.goto(link.group(1))
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.get_by_role("main")).to_contain_text("pproved")
        work()
        page.goto("/actions/")
        expect(page.get_by_role("main")).not_to_contain_text("Structure topped out")

    told = [body for body in mail_to(inbox, proposer.email) if "approved moving" in body]
    assert len(told) == 1
    assert "Structure topped out" in told[0]
