"""The contract's clock in a real browser, under NEC4 ECC with the consultant named Project
Manager: the contractor notifies a compensation event from the contract's register (a refused
notification keeps what was typed), and the project manager replies to it.

Held at Friday 11 December 2026, 10:00 UTC, on the English calendar, as
tests/test_communications_pages.py is: the project manager's reply is due a week later, on
Friday 18 December 2026.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from milepost.communications.choices import CommunicationState
from milepost.communications.models import Communication
from milepost.communications.services import communication_create, contract_form_set
from milepost.contracts.services import contract_update, party_name_role

from ..conftest import World

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
# The clock is held before the world is built, so the contract's days count from START.
pytestmark = pytest.mark.usefixtures("clock")

NOTIFY = "Compensation event notified by the Contractor"


@pytest.fixture
def nec4(clock: time_machine.Traveller, bworld: World) -> World:
    """The shared contract on the English calendar and NEC4 ECC, the consultant its PM."""
    contract_update(
        contract=bworld.contract, holiday_region=HOLIDAY_REGION, actor=bworld.client_manager
    )
    contract_form_set(contract=bworld.contract, form="nec4_ecc", actor=bworld.client_manager)
    party_name_role(
        party=bworld.consultant, named_role="project_manager", actor=bworld.client_manager
    )
    return bworld


def open_the_notification_form(page: Page, world: World) -> None:
    """From the contract's page, through its register, to the contractor's notification."""
    page.goto(reverse("reporting:contract-detail", args=[world.contract.pk]))
    page.get_by_role("region", name="Communications").get_by_role(
        "link", name="The contract's communications"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Communications · {world.contract.reference}"
    )
    expect(page.get_by_text("No compensation event has been notified.")).to_be_visible()
    page.get_by_role("link", name=NOTIFY).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NOTIFY)
    expect(page.get_by_role("main")).to_contain_text("From Northgate Construction.")


def fact(page: Page, term: str) -> Locator:
    """What a communication's page says against ``term`` in its facts."""
    return (
        page.locator("dl.facts > div")
        .filter(has=page.get_by_role("term").filter(has_text=term))
        .get_by_role("definition")
    )


def test_the_contractor_notifies_a_compensation_event_from_the_contract_page(
    nec4: World, sign_in
) -> None:
    page = sign_in(nec4.supplier_manager)
    open_the_notification_form(page, nec4)
    page.get_by_label("Subject").fill("Late access to the east site")
    page.get_by_label("Text").fill("The client gave access to the east site late.")
    page.get_by_label("Became aware on").fill("2026-12-07")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("C-001 sent.")
    c = Communication.objects.get()
    expect(page).to_have_url(re.compile(rf"/communications/{c.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("C-001 Late access to the east site")
    main = page.get_by_role("main")
    expect(main).to_contain_text(
        f"{NOTIFY} under cl. 61.3, from Northgate Construction to Arden Project Management. Sent."
    )
    owed = fact(page, "Answer owed")
    expect(owed).to_contain_text("from Arden Project Management by Fri 18 Dec 2026")
    expect(owed.get_by_text("more than half left")).to_be_visible()
    expect(fact(page, "Became aware")).to_have_text("7 Dec 2026")
    expect(main).to_contain_text("The client gave access to the east site late.")
    assert c.state == CommunicationState.SENT and c.reply_due == dt.date(2026, 12, 18)


def test_a_refused_notification_keeps_what_was_typed_and_says_why_by_the_field(
    nec4: World, sign_in
) -> None:
    page = sign_in(nec4.supplier_manager)
    open_the_notification_form(page, nec4)
    page.get_by_label("Subject").fill("Late access to the east site")
    page.get_by_label("Text").fill("The client gave access to the east site late.")
    page.get_by_label("Became aware on").fill("2026-12-25")  # a fortnight from now
    page.get_by_role("button", name="Send", exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was saved: please correct 1 field")
    field = page.locator(".field.invalid")
    expect(field).to_have_count(1)
    expect(field).to_contain_text("Became aware on")
    expect(field).to_contain_text("The awareness date cannot be after today.")
    summary.get_by_role("link", name="Became aware on").click()
    expect(page.get_by_label("Became aware on")).to_be_focused()
    expect(page.get_by_label("Became aware on")).to_have_value("2026-12-25")
    expect(page.get_by_label("Subject")).to_have_value("Late access to the east site")
    expect(page.get_by_label("Text")).to_have_value("The client gave access to the east site late.")
    assert not Communication.objects.exists()

    # Corrected, what was kept is what is sent.
    page.get_by_label("Became aware on").fill("2026-12-07")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("C-001 sent.")
    expect(page.get_by_role("heading", level=1)).to_have_text("C-001 Late access to the east site")
    expect(page.get_by_role("main")).to_contain_text(
        "The client gave access to the east site late."
    )


def test_the_project_manager_accepts_the_event_and_the_contractor_may_not_reply(
    nec4: World, sign_in
) -> None:
    event = communication_create(
        contract=nec4.contract,
        kind="ce_contractor",
        subject="Late access to the east site",
        aware_on=dt.date(2026, 12, 7),
        actor=nec4.supplier_manager,
    )
    detail = reverse("communications:detail", args=[event.pk])

    # The contractor sees why it does not reply to its own notification.
    page = sign_in(nec4.supplier_manager)
    page.goto(detail)
    answers = page.get_by_role("region", name="Answer it")
    expect(answers).to_contain_text(
        "Reply: Only a manager of the project manager sends this (cl. 13.3)."
    )
    expect(answers.get_by_role("link", name="Reply", exact=True)).to_have_count(0)

    page = sign_in(nec4.consultant_manager)
    page.goto(detail)
    page.get_by_role("region", name="Answer it").get_by_role(
        "link", name="Reply", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply")
    expect(page.get_by_role("main")).to_contain_text(
        "From Arden Project Management, answering C-001 “Late access to the east site” from "
        "Northgate Construction (its answer is due by Fri 18 Dec 2026)."
    )
    page.get_by_label("Subject").fill("Accepted")
    page.get_by_label("Decision").select_option(label="Accepted")
    page.get_by_role("button", name="Send", exact=True).click()

    # The reply's own page: the event it answers is now replied, and the trail says so.
    expect(page.get_by_role("status")).to_contain_text("C-002 sent.")
    expect(page.get_by_role("heading", level=1)).to_have_text("C-002 Accepted")
    thread = page.get_by_role("region", name="The whole thread")
    expect(thread).to_contain_text(
        "C-001 Late access to the east site: Northgate Construction, 11 Dec 2026, replied"
    )
    history = page.get_by_role("region", name="History")
    # The acceptance asks for a quotation in 3 weeks: Friday 1 January 2027 is a bank holiday.
    expect(history.get_by_role("listitem").first).to_contain_text(
        "Connor sent C-002 “Accepted” for Arden Project Management to Northgate Construction: "
        "reply (cl. 61.4), answering C-001 (accepted). A reply is due from Northgate "
        "Construction by 4 Jan 2027."
    )
    fact(page, "Answers").get_by_role("link", name="C-001 Late access to the east site").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("C-001 Late access to the east site")
    expect(page.get_by_role("main")).to_contain_text(
        "from Northgate Construction to Arden Project Management. Replied."
    )
    expect(fact(page, "Answer owed")).to_have_text("none")
    expect(page.get_by_role("region", name="History")).to_contain_text("answering C-001 (accepted)")

    # The contractor's page for the event: no reply to give, and why not.
    page = sign_in(nec4.supplier_manager)
    page.goto(detail)
    expect(page.get_by_role("main")).to_contain_text("Replied.")
    answers = page.get_by_role("region", name="Answer it")
    expect(answers).to_contain_text("Reply: C-001 is not waiting for an answer.")
    expect(page.get_by_role("link", name="Reply", exact=True)).to_have_count(0)
    event.refresh_from_db()
    assert event.state == CommunicationState.REPLIED
