"""A communication as a formal notice (PDF), and a contract's communications register as an
issued report.

The clock is held at Friday 11 December 2026, in England, as in the communications' own tests:
a compensation event notified today is owed a reply by Friday 18 December.
"""

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from milepost.audit.models import Event
from milepost.audit.sentences import event_sentence
from milepost.communications.choices import Outcome
from milepost.communications.models import Communication
from milepost.communications.services import (
    communication_create,
    communications_deem_due,
)
from milepost.core.errors import Forbidden, NotFound
from milepost.reporting.events import ReportEvent
from milepost.reporting.models import IssuedReport
from milepost.reporting.reports.issue import report_draw, report_issue, report_request
from milepost.reporting.reports.subscriptions import report_subscription_create

from .communication_helpers import answer, day, nec4, notify_ce
from .conftest import World
from .helpers import signed_in

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def pdf_text(pdf: bytes) -> str:
    """The PDF's words with every run of white space as one space (table cells wrap)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def notice_url(c: Communication) -> str:
    return reverse("reporting:communication-notice-pdf", args=[c.pk])


def issue(w: World, user: Any = None) -> IssuedReport:
    user = user or w.client_manager
    wanted = report_request(user=user, report_type="communications", contract_id=w.contract.pk)
    return report_issue(request=wanted, actor=user, reader=user)


# --- the formal notice ------------------------------------------------------------------------


def test_the_notice_pdf_gives_the_contract_clause_parties_and_dates(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)

    response = signed_in(w.client_member).get(notice_url(ce))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="HCC-2026-001-C-001-notice.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for words in (
        "HCC-2026-001 Harbour library extension",
        "NEC4 Engineering and Construction Contract",
        "Compensation event notified by the Contractor",
        "Clause 61.3",
        "C-001",
        "From Northgate Construction (Contractor), sent by sam",
        "To Arden Project Management (Project Manager)",
        "Date sent Friday 11 December 2026",
        "Late access to the east site",
        "Access was given three weeks after the access date.",
        "Became aware Monday 7 December 2026",
        "Last day to notify Monday 1 February 2027",
        "Answer owed Due from Arden Project Management (Project Manager) by "
        "Friday 18 December 2026",
        "State Sent on 11 December 2026",
    ):
        assert words in text, words


def test_a_quotations_notice_gives_what_it_answers_and_its_amounts(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    accepted = answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED)
    quote = answer(
        w,
        accepted,
        "quotation",
        actor=w.supplier_manager,
        subject="Quotation for late access",
        quoted_amount="12500.00",
        quoted_delay_days=5,
    )

    text = pdf_text(signed_in(w.consultant_manager).get(notice_url(quote)).content)

    assert "Clause 62.3" in text
    assert f"In reply to {accepted.reference} Re: Late access to the east site" in text
    assert "Change to the Prices £12,500.00" in text
    assert "Delay to the dates 5 days later" in text
    # Two weeks from today end on Christmas Day: the reply is due on Tuesday 29 December.
    assert "by Tuesday 29 December 2026" in text
    accepted_text = pdf_text(signed_in(w.supplier_member).get(notice_url(accepted)).content)
    assert "Decision Accepted" in accepted_text
    # The quotation answered it.
    assert "State Replied on 11 December 2026" in accepted_text


def test_an_outsider_finds_no_notice(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)

    assert signed_in(w.outsider).get(notice_url(ce)).status_code == 404


def test_a_drafts_notice_is_its_sending_organisations_alone(w: World) -> None:
    nec4(w)
    draft = notify_ce(w, send=False)

    assert signed_in(w.client_manager).get(notice_url(draft)).status_code == 404
    assert signed_in(w.consultant_manager).get(notice_url(draft)).status_code == 404
    mine = signed_in(w.supplier_member).get(notice_url(draft))
    assert mine.status_code == 200
    assert "DRAFT: NOT SENT" in pdf_text(mine.content)


def test_a_stranger_is_asked_to_sign_in_for_a_notice(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)

    anonymous = Client().get(notice_url(ce))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_the_api_draws_the_notice_for_the_contracts_people_only(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    url = f"/api/v1/communications/{ce.pk}/notice.pdf"

    response = signed_in(w.client_viewer).get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Clause 61.3" in pdf_text(response.content)
    assert signed_in(w.outsider).get(url).status_code == 404


# --- the register as a report -----------------------------------------------------------------


@pytest.fixture
def register(w: World) -> dict[str, Communication]:
    """Communications in every state and band: deemed, overdue, less and more than half of
    the period left, time-barred, a quotation, and a draft nobody else sees."""
    nec4(w)
    deemed = notify_ce(
        w, subject="Flooded basement", aware_on=day("2026-11-02"), sent_on=day("2026-11-09")
    )
    answer(w, deemed, "failure_notice", actor=w.supplier_manager, sent_on=day("2026-11-17"))
    assert len(communications_deem_due(now=START)) == 1
    found = {
        "deemed": deemed,
        # Due 8 December: overdue today.
        "overdue": notify_ce(
            w,
            subject="Late design information",
            aware_on=day("2026-11-30"),
            sent_on=day("2026-12-01"),
        ),
        # Due Monday 14 December: 3 of its 7 days left.
        "less": notify_ce(
            w, subject="Utility diversion", aware_on=day("2026-12-04"), sent_on=day("2026-12-07")
        ),
        # Due Friday 18 December: all 7 days left.
        "more": notify_ce(w),
        "barred": notify_ce(w, subject="Archaeological find", aware_on=day("2026-10-15")),
        "instruction": communication_create(
            contract=w.contract,
            kind="ce_manager",
            subject="Change to the cladding",
            actor=w.consultant_manager,
        ),
        "draft": notify_ce(w, subject="Crane outage", send=False),
    }
    found["quotation"] = answer(
        w,
        found["instruction"],
        "quotation",
        actor=w.supplier_manager,
        subject="Quotation for the cladding",
        quoted_amount="12500.00",
        quoted_delay_days=-2,
    )
    return {key: Communication.objects.get(pk=c.pk) for key, c in found.items()}


def row_of(html: str, c: Communication) -> str:
    """The register's row of ``c``: from its reference to the end of its table row."""
    register = html[html.index("<h2>The register</h2>") :]
    start = register.index(f'<th scope="row">{c.reference}</th>')
    return register[start : register.index("</tr>", start)]


def test_the_register_issues_with_every_communication_its_state_and_band(
    w: World, register: dict[str, Communication]
) -> None:
    report = issue(w, w.supplier_manager)

    stored = IssuedReport.objects.get(pk=report.pk)
    assert stored.report_type == "communications"
    assert stored.title == "Communications register: HCC-2026-001 Harbour library extension"
    assert bytes(stored.pdf).startswith(b"%PDF")
    html = stored.html
    assert "Overdue" in row_of(html, register["overdue"])
    assert "Less than half left" in row_of(html, register["less"])
    assert "More than half left" in row_of(html, register["more"])
    assert "Time-barred" in row_of(html, register["barred"])
    assert "Deemed accepted" in row_of(html, register["deemed"])
    assert "Sent" in row_of(html, register["quotation"])
    assert "Northgate Construction → Arden Project Management" in row_of(html, register["more"])
    assert "(cl. 61.3)" in row_of(html, register["more"])
    # The draft is its sender's alone, and an issued report is read by every party.
    assert "Crane outage" not in html
    # What awaits an answer comes first, soonest due first.
    waiting = html[: html.index("<h2>Compensation events</h2>")]
    order = [waiting.index(f">{register[k].reference}<") for k in ("overdue", "less", "more")]
    assert order == sorted(order)
    # The compensation events with their latest quotations.
    events = html[html.index("<h2>Compensation events</h2>") : html.index("<h2>Deemed")]
    assert "Change to the cladding" in events
    assert "£12,500.00" in events and "2 days earlier" in events
    figures = stored.figures
    # Sent: the deemed event and its failure notice, three events waiting, the barred one, the
    # instruction and its quotation; six of them this month. Five wait for an answer.
    assert (figures["communications"], figures["sent_this_period"]) == (8, 6)
    assert (figures["awaiting_answer"], figures["deemed"], figures["time_barred"]) == (5, 1, 1)
    assert figures["compensation_events"] == 6
    assert register["overdue"].reference in figures["overdue_references"]
    assert register["less"].reference not in figures["overdue_references"]
    assert "Less than half left" in pdf_text(bytes(stored.pdf))


def test_issuing_the_register_is_recorded_in_words(
    w: World, register: dict[str, Communication]
) -> None:
    issue(w)

    event = Event.objects.filter(action=ReportEvent.REPORT_ISSUED).get()
    assert "issued the communications register for Contract administration" in event_sentence(event)


def test_a_register_with_no_communications_says_so(w: World) -> None:
    report = issue(w)

    assert (
        "No communication has been sent under HCC-2026-001 yet, so nothing awaits an answer "
        "and nothing has been deemed accepted or time-barred."
    ) in report.html
    assert report.figures["communications"] == 0
    # A plain contract has no compensation events to list.
    assert "Compensation events" not in report.html


def test_a_viewer_reads_the_register_but_does_not_issue_it(
    w: World, register: dict[str, Communication]
) -> None:
    wanted = report_request(
        user=w.client_viewer, report_type="communications", contract_id=w.contract.pk
    )
    _, html = report_draw(user=w.client_viewer, request=wanted)
    assert register["more"].reference in html
    with pytest.raises(Forbidden):
        report_issue(request=wanted, actor=w.client_viewer, reader=w.client_viewer)


def test_an_outsider_cannot_ask_for_the_register(w: World) -> None:
    with pytest.raises(NotFound):
        report_request(user=w.outsider, report_type="communications", contract_id=w.contract.pk)


def test_the_report_page_previews_and_issues_the_register(
    w: World, register: dict[str, Communication]
) -> None:
    browser = signed_in(w.client_manager)
    query = {"type": "communications", "contract": w.contract.pk}

    preview = browser.get(reverse("reporting:report-builder"), query)
    issued = browser.post(reverse("reporting:report-issue"), query)

    assert preview.status_code == 200
    assert "Communications register" in preview.content.decode()
    assert register["overdue"].subject in preview.content.decode()
    assert issued.status_code == 302
    report = IssuedReport.objects.get()
    assert issued["Location"] == reverse("reporting:report-detail", args=[report.pk])
    assert report.report_type == "communications"


def test_the_register_is_sent_on_schedule_like_any_contract_report(w: World) -> None:
    subscription = report_subscription_create(
        contract=w.contract,
        report_type="communications",
        frequency="weekly",
        weekday=4,
        members=[w.client_manager.username],
        actor=w.client_manager,
    )

    assert subscription.get_report_type_display() == "Communications register"
    assert subscription.audience == "Contract administration"


def test_the_report_command_writes_the_register(
    w: World, register: dict[str, Communication], tmp_path: Path
) -> None:
    out = tmp_path / "register.pdf"

    call_command(
        "report",
        "communications",
        "--contract",
        "HCC-2026-001",
        "--pdf",
        str(out),
        stdout=io.StringIO(),
    )

    assert register["overdue"].reference in pdf_text(out.read_bytes())
