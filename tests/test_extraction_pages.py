"""The document pages: a contract's documents and upload form, the review page with its marked
citations and proposals, the edit form, creating the accepted set, the file, and the citation on
the milestone page. Services are tested in the services' own modules; here, what people see."""

import calendar
import datetime as dt
import hashlib
import html
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from milepost.contracts.models import ContractDocument
from milepost.extraction import services
from milepost.extraction.choices import ProposalKind, ProposalStatus
from milepost.extraction.kernel.model import (
    Citation,
    Context,
    Damages,
    Extraction,
    Fact,
    PartyFact,
    Proposal,
    Relative,
)
from milepost.extraction.models import Proposal as Read
from milepost.extraction.services import document_upload_and_read, proposal_decide
from milepost.extraction.values import PROPOSAL_FIELDS
from milepost.schedule.models import Citation as Cited
from milepost.schedule.models import Milestone

from .conftest import World
from .helpers import signed_in, stored_rows

pytestmark = pytest.mark.usefixtures("clock")
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

AGREEMENT = """AGREEMENT

This Agreement is made on 8 October 2026 between Harbour City Council (the "Employer") and \
Northgate Construction Ltd (the "Contractor").

1. Contract Sum
1.1 The Employer shall pay the Contractor the Contract Sum of £1,000,000.00.

2. Programme
2.1 The Contractor shall deliver the Stage 1 report by 31 March 2027.
2.2 The Contractor shall complete the foundations by 30 April 2027.
2.3 The Contractor shall not commence Stage 2 until the Employer has approved the Stage 1 \
report in writing.
2.4 The Contractor shall keep the site systems available at least 99.5% of the time in each \
calendar month.

3. Payment
3.1 The Employer shall pay thirty per cent (30%) of the Contract Sum within 14 days of \
completion of the foundations.

4. Delay damages
4.1 If the Contractor fails to complete the Works by the Date for Completion it shall pay \
liquidated damages at the rate of £[***] per week.

5. Governing law
5.1 This Agreement is governed by the law of England and Wales.
"""
CLAUSE = re.compile(r"^(\d+\.\d+) (.+)$", re.M)
BY_DATE = re.compile(r"shall (deliver|complete) (.+?) by (\d+ \w+ \d{4})")


def read_fixed(text: str, *, pages: list[int] | None = None) -> Extraction:
    """A fixed reader of the test agreements, so these page tests do not follow the extractor's
    figures: a clause "shall deliver X by <date>" is a deliverable, "per cent" a payment after
    the foundations, "liquidated damages" blank delay damages."""
    ctx = Context(text=text, pages=pages or [])
    found = Extraction(text_sha256=hashlib.sha256(text.encode()).hexdigest())
    keys: dict[str, str] = {}
    for match in CLAUSE.finditer(text):
        number, words = match.group(1), match.group(2)
        cite = ctx.cite(match.start(2), match.end(2))
        cite = Citation(cite.start, cite.end, cite.quote, cite.page, number)
        # As the extractor does: proposals are keyed p1..pn among themselves; damages have none.
        key = f"p{len(found.proposals) + 1}"
        if "monthly progress report" in words:
            found.proposals.append(
                Proposal(
                    kind="deliverable",
                    title="Monthly progress report",
                    citation=cite,
                    confidence=0.9,
                    recurring="monthly",
                    key=key,
                )
            )
        elif dated := BY_DATE.search(words):
            verb, what, day = dated.groups()
            d, month, year = day.split()
            due = dt.date(int(year), list(calendar.month_name).index(month), int(d))
            title = f"{verb.capitalize()} {what.removeprefix('the ')}"
            found.proposals.append(
                Proposal(
                    kind="deliverable",
                    title=title,
                    citation=cite,
                    confidence=0.9,
                    due=due,
                    key=key,
                    ambiguous=["due"] if "April" in day else [],
                )
            )
            keys[what] = key
        elif "shall not commence" in words:
            found.proposals.append(
                Proposal(
                    kind="gate",
                    title="Employer approves the Stage 1 report",
                    citation=cite,
                    confidence=0.85,
                    parties=["Employer"],
                    key=key,
                )
            )
        elif "available at least" in words:
            found.proposals.append(
                Proposal(
                    kind="performance",
                    title="Site systems availability",
                    citation=cite,
                    confidence=0.85,
                    target=Decimal("99.5"),
                    unit="%",
                    direction="at_least",
                    period="month",
                    key=key,
                )
            )
        elif "per cent" in words:
            found.proposals.append(
                Proposal(
                    kind="payment",
                    title="Payment: 30% on completion of the foundations",
                    citation=cite,
                    confidence=0.6,
                    percent=Decimal(30),
                    amount=Decimal("300000.00") if "£300,000.00" in words else None,
                    currency="GBP" if "£300,000.00" in words else None,
                    relative=Relative("completion of the foundations", 14, "calendar"),
                    depends_on=keys.get("the foundations"),
                    key=key,
                )
            )
        elif "liquidated damages" in words and "£2,500" in words:
            # a rate whose period the text does not state
            found.damages.append(
                Damages(citation=cite, rate=Decimal(2500), currency="GBP", confidence=0.7)
            )
        elif "liquidated damages" in words:
            found.damages.append(
                Damages(citation=cite, per="week", blank=True, currency="GBP", confidence=0.8)
            )
    start = text.index("Harbour City Council")
    found.parties = [
        PartyFact("Harbour City Council", "Employer", ctx.cite(start, start + 20)),
        PartyFact("Northgate Construction Ltd", "Contractor", ctx.cite(start, start + 20)),
    ]
    sum_at = text.find("£1,000,000.00")
    if sum_at >= 0:
        found.facts = {
            "contract_sum": Fact("950000.00", ctx.cite(sum_at, sum_at + 13)),
            "currency": Fact("GBP", ctx.cite(sum_at, sum_at + 13)),
        }
    return found


@pytest.fixture(autouse=True)
def fixed_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_kernel_extract", read_fixed)


def upload(w: World, text: str = AGREEMENT, title: str = "Signed agreement") -> ContractDocument:
    return document_upload_and_read(
        contract=w.contract,
        upload=SimpleUploadedFile("agreement.txt", text.encode(), content_type="text/plain"),
        title=title,
        actor=w.supplier_manager,
    )


def of_kind(document: ContractDocument, kind: str) -> Read:
    found = Read.objects.filter(document=document, kind=kind).order_by("position").first()
    assert found is not None, f"no {kind} read from the agreement"
    return found


def invalid_field(text: str) -> str:
    """The first field marked invalid on a form page, with its error and input."""
    start = text.index('<div class="field invalid">')
    end = min(
        i for i in (text.find('<div class="field', start + 1), text.find("</form>", start)) if i > 0
    )
    chunk = text[start:end]
    assert 'class="errorlist' in chunk
    return chunk


def review(document: ContractDocument) -> str:
    return reverse("extraction:document-review", args=[document.pk])


def test_a_manager_uploads_a_document_and_lands_on_its_review(w: World) -> None:
    # given the client's manager on the contract's documents page
    browser = signed_in(w.supplier_manager)
    url = reverse("extraction:documents", args=[w.contract.pk])
    assert "Upload and read" in browser.get(url).content.decode()

    # when they upload the agreement
    response = browser.post(
        url,
        {"title": "Signed agreement", "file": SimpleUploadedFile("a.txt", AGREEMENT.encode())},
    )

    # then it is stored, read, and its review page opens
    document = ContractDocument.objects.get(contract=w.contract)
    assert response.status_code == 302
    assert response["Location"] == review(document)
    listing = browser.get(url).content.decode()
    assert "Signed agreement" in listing
    assert "waiting for review" in listing


def test_a_refused_upload_keeps_the_title_and_says_why_beside_the_file(w: World) -> None:
    browser = signed_in(w.supplier_manager)
    url = reverse("extraction:documents", args=[w.contract.pk])
    before = stored_rows()

    response = browser.post(
        url,
        {"title": "Signed agreement v2", "file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")},
    )

    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="Signed agreement v2"' in text
    assert 'name="file"' in invalid_field(text)
    assert stored_rows() == before


def test_a_viewer_reads_why_instead_of_the_upload_form_and_the_buttons(w: World) -> None:
    document = upload(w)
    viewer = signed_in(w.client_viewer)

    listing = viewer.get(reverse("extraction:documents", args=[w.contract.pk])).content.decode()
    page = viewer.get(review(document)).content.decode()

    assert "Upload and read" not in listing
    assert 'class="reason"' in listing
    assert "Signed agreement" in page
    assert ">Accept</button>" not in page and ">Reject</button>" not in page
    assert 'class="reason"' in page


def test_the_review_page_marks_each_citation_and_says_each_value_in_words(w: World) -> None:
    document = upload(w)
    deliverable = of_kind(document, ProposalKind.DELIVERABLE)
    key = deliverable.proposed["key"]

    text = signed_in(w.supplier_manager).get(review(document)).content.decode()

    # the cited words are marked in the text, and the proposal links to its mark
    mark = re.search(rf'<mark id="cite-{key}"[^>]*>(.*?)</mark>', text, re.S)
    assert mark is not None
    assert deliverable.proposed["citation"]["quote"][:30] in mark.group(1)
    assert f'href="#cite-{key}"' in text
    # values in words, the confidence plainly, and the buttons
    assert "Due 31 Mar 2027" in text
    assert "Read with confidence" in text or "Check this" in text
    assert ">Accept</button>" in text
    assert "What the contract says" in text
    # the facts read, compared with the contract's record where they differ
    assert "£950,000.00" in text and "Milepost has £1,000,000.00" in text
    # a date open to doubt and a blank rate are flagged, never filled in
    assert "The date can be read two ways (day and month): check it." in text
    assert "The rate is left blank in the contract" in text
    assert "None" not in re.sub(r"<[^>]+>", "", text.split('id="main"')[1])


def test_an_outsider_finds_none_of_the_document_pages(w: World) -> None:
    document = upload(w)
    proposal = of_kind(document, ProposalKind.DELIVERABLE)
    browser = signed_in(w.outsider)
    before = stored_rows()

    for url in (
        reverse("extraction:documents", args=[w.contract.pk]),
        review(document),
        reverse("extraction:document-file", args=[document.pk]),
        reverse("extraction:proposal-edit", args=[proposal.pk]),
    ):
        assert browser.get(url).status_code == 404, url
    for url in (
        reverse("extraction:document-apply", args=[document.pk]),
        reverse("extraction:proposal-decide", args=[proposal.pk, "accept"]),
        reverse("extraction:proposal-edit", args=[proposal.pk]),
    ):
        assert browser.post(url, {"title": "x"}).status_code == 404, url
    assert stored_rows() == before


def test_the_file_downloads_for_the_contracts_people(w: World) -> None:
    document = upload(w)

    response = signed_in(w.supplier_viewer).get(
        reverse("extraction:document-file", args=[document.pk])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AGREEMENT.encode()
    assert "attachment" in response["Content-Disposition"]


def test_a_refused_edit_keeps_what_was_typed_with_the_error_beside_the_field(w: World) -> None:
    document = upload(w)
    proposal = of_kind(document, ProposalKind.DELIVERABLE)
    url = reverse("extraction:proposal-edit", args=[proposal.pk])
    browser = signed_in(w.supplier_manager)
    form = browser.get(url).content.decode()
    assert 'name="accepting_party"' in form and f">{w.client_org.name}<" in form

    # when the reviewer types a new title and a date far outside the contract's term
    response = browser.post(
        url,
        {
            "title": "Stage 1 report issued",
            "due_date": "1990-01-01",
            "criticality": "standard",
            "then": "save",
        },
    )

    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="Stage 1 report issued"' in text
    assert 'name="due_date"' in invalid_field(text)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING and not proposal.edited


def test_accept_edit_reject_and_create_then_the_milestone_shows_its_citation(w: World) -> None:
    document = upload(w)
    browser = signed_in(w.supplier_manager)
    report, foundations = Read.objects.filter(
        document=document, kind=ProposalKind.DELIVERABLE
    ).order_by("position")[:2]
    payment = of_kind(document, ProposalKind.PAYMENT)

    # when the reviewer edits and accepts one, accepts another and rejects the payment
    edited = browser.post(
        reverse("extraction:proposal-edit", args=[report.pk]),
        {
            "title": "Stage 1 report issued",
            "due_date": "2027-03-31",
            "owner": str(w.supplier_member.pk),
            "responsible_party": str(w.supplier.pk),
            "accepting_party": str(w.client.pk),
            "criticality": "standard",
            "acceptance_criteria": "The Employer accepts the Stage 1 report.",
            "then": "accept",
        },
    )
    assert edited.status_code == 302, edited.content.decode()[:2000]
    browser.post(reverse("extraction:proposal-decide", args=[foundations.pk, "accept"]))
    browser.post(reverse("extraction:proposal-decide", args=[payment.pk, "reject"]))
    page = browser.get(review(document)).content.decode()
    assert "Create 2 milestones" in page

    # and creates them
    created = browser.post(reverse("extraction:document-apply", args=[document.pk]))

    assert created.status_code == 302
    milestone = Milestone.objects.get(contract=w.contract, title="Stage 1 report issued")
    citation = Cited.objects.get(milestone=milestone)
    assert citation.document == document
    text = browser.get(reverse("milestones:milestone-detail", args=[milestone.pk]))
    body = text.content.decode()
    assert f"From clause {citation.clause} of" in body
    assert f"{review(document)}#cite-at-{citation.start}" in body
    assert f'id="cite-at-{citation.start}"' in browser.get(review(document)).content.decode()
    assert not Milestone.objects.filter(contract=w.contract, kind="payment").exists()


def test_a_refused_create_names_the_proposal_to_fix(w: World) -> None:
    document = upload(w)
    payment = of_kind(document, ProposalKind.PAYMENT)
    browser = signed_in(w.supplier_manager)
    # a payment whose trigger (the foundations) is left unaccepted cannot be created alone
    proposal_decide(proposal=payment, decision="accept", actor=w.supplier_manager)
    before = stored_rows()

    response = browser.post(reverse("extraction:document-apply", args=[document.pk]))

    text = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was created." in text
    alert = text[text.index('role="alert"') :]
    alert = alert[: alert.index("</div>")]
    assert "“Payment: 30% on completion of the foundations”" in alert
    assert "Complete foundations" in alert
    assert stored_rows() == before


def test_the_review_page_reads_in_as_many_queries_for_many_proposals_as_for_few(
    w: World, django_assert_num_queries
) -> None:
    few = upload(w)
    many = upload(
        w,
        AGREEMENT
        + "".join(
            f"\n5.{n} The Contractor shall deliver the drawing pack {n} by {1 + n % 28} June 2027.\n"
            for n in range(1, 21)
        ),
        title="Schedule of drawings",
    )
    browser = signed_in(w.supplier_manager)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        browser.get(review(few))
    assert (
        Read.objects.filter(document=many).count() > Read.objects.filter(document=few).count() + 10
    )
    with django_assert_num_queries(len(small.captured_queries)):
        browser.get(review(many))


def test_the_contract_page_links_to_its_documents(w: World) -> None:
    text = (
        signed_in(w.client_viewer)
        .get(reverse("reporting:contract-detail", args=[w.contract.pk]))
        .content.decode()
    )

    assert 'href="#documents"' in text
    assert reverse("extraction:documents", args=[w.contract.pk]) in text


def test_the_edit_form_shows_the_fields_of_each_kind_with_the_contracts_choices(w: World) -> None:
    document = upload(w)
    browser = signed_in(w.supplier_manager)

    for kind in ProposalKind.values:
        proposal = of_kind(document, kind)
        text = browser.get(reverse("extraction:proposal-edit", args=[proposal.pk])).content.decode()

        for name in PROPOSAL_FIELDS[kind]:
            assert f'name="{name}"' in text, (kind, name)
        assert "None" not in re.sub(r"<[^>]+>", "", text.split('id="main"')[1]), kind
    gate = (
        signed_in(w.supplier_manager)
        .get(reverse("extraction:proposal-edit", args=[of_kind(document, "gate").pk]))
        .content.decode()
    )
    assert f'value="{w.consultant.pk}"' in gate and "Arden Project Management" in gate


IDS = re.compile(r'\bid="([^"]+)"')
# Damages (1.2) read between two proposals: the extractor keys the proposals p1 and p2.
CLASHING = """AGREEMENT

This Agreement is made on 8 October 2026 between Harbour City Council (the "Employer") and \
Northgate Construction Ltd (the "Contractor").

1.1 The Contractor shall deliver the design report by 31 March 2027.
1.2 If the Contractor is late it shall pay liquidated damages at the rate of £[***] per week.
1.3 The Contractor shall complete the foundations by 30 April 2027.
"""


def test_delay_damages_read_between_proposals_keep_their_own_name_on_the_page(w: World) -> None:
    document = upload(w, CLASHING)
    damages = of_kind(document, ProposalKind.DAMAGES)
    foundations = Read.objects.get(document=document, proposed__key="p2")
    browser = signed_in(w.supplier_manager)

    text = browser.get(review(document)).content.decode()

    # then no id is used twice, and the damages card is titled as damages
    ids = IDS.findall(text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    title = re.search(r'<h4 id="title-d1">(.*?)</h4>', text)
    assert title is not None and title.group(1) == "Delay damages"
    assert re.search(r'<h4 id="title-p2">Complete foundations</h4>', text)
    mark = re.search(r'<mark id="cite-d1"[^>]*>(.*?)</mark>', text, re.S)
    assert mark is not None and "liquidated damages" in mark.group(1)
    # and deciding on each lands back on its own card
    for proposal, key in ((damages, "d1"), (foundations, "p2")):
        decided = browser.post(reverse("extraction:proposal-decide", args=[proposal.pk, "reject"]))
        assert decided["Location"].endswith(f"#proposal-{key}")


def form_values(text: str) -> dict[str, object]:
    """What a browser posts for the page's first form as drawn (inputs, choices, text areas)."""
    then = text.index('name="then"')
    form = text[text.rindex("<form", 0, then) : text.index("</form>", then)]
    values: dict[str, object] = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name.group(1) == "csrfmiddlewaretoken":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        got = value.group(1) if value else ""
        if kind and kind.group(1) == "checkbox":
            values.setdefault(name.group(1), [])
            values[name.group(1)].append(got)  # type: ignore[union-attr]
        else:
            values[name.group(1)] = got
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = body.strip()
    return {k: html.unescape(v) if isinstance(v, str) else v for k, v in values.items()}


STATED_TWICE = AGREEMENT.replace(
    "(30%) of the Contract Sum", "(30%) of the Contract Sum (£300,000.00)"
)


def test_a_payment_read_as_a_percentage_and_an_amount_saves_untouched(w: World) -> None:
    document = upload(w, STATED_TWICE)
    payment = of_kind(document, ProposalKind.PAYMENT)
    url = reverse("extraction:proposal-edit", args=[payment.pk])
    browser = signed_in(w.supplier_manager)
    form = browser.get(url).content.decode()
    # the form shows one basis, the percentage, with the amount read beside it
    assert "Read as £300,000.00 in the text" in form
    card = browser.get(review(document)).content.decode()
    assert "30% of the contract sum" in card and "Amount: £300,000.00" not in card

    # when the reviewer saves the form as it is drawn
    response = browser.post(url, {**form_values(form), "then": "save"})

    # then it saves, and the payment is still 30%
    assert response.status_code == 302, invalid_field(response.content.decode())
    payment.refresh_from_db()
    assert payment.values["percentage"] == "30" and payment.values["amount"] is None


def test_an_accepted_proposal_is_saved_not_accepted_again(w: World) -> None:
    document = upload(w)
    proposal = of_kind(document, ProposalKind.DELIVERABLE)
    proposal_decide(proposal=proposal, decision="accept", actor=w.supplier_manager)
    url = reverse("extraction:proposal-edit", args=[proposal.pk])
    browser = signed_in(w.supplier_manager)
    pending = browser.get(
        reverse("extraction:proposal-edit", args=[of_kind(document, "gate").pk])
    ).content.decode()
    assert "Save and accept" in pending

    form = browser.get(url).content.decode()
    assert "Save and accept" not in form and ">Save</button>" in form
    response = browser.post(url, {**form_values(form), "title": "Stage 1 report issued"})

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.values["title"] == "Stage 1 report issued"


def test_a_refused_save_keeps_every_value_typed(w: World) -> None:
    document = upload(w)
    payment = of_kind(document, ProposalKind.PAYMENT)
    foundations = Read.objects.get(document=document, proposed__key="p2")
    url = reverse("extraction:proposal-edit", args=[payment.pk])
    typed = {
        "title": "Second stage payment",
        "due_date": "1990-01-01",
        "payer": str(w.client.pk),
        "payee": str(w.supplier.pk),
        "amount": "12,345.00",
        "trigger": foundations.proposed["key"],
        "owner": str(w.supplier_member.pk),
        "criticality": "standard",
        "acceptance_criteria": "Paid on the certificate.",
        "then": "accept",
    }

    response = signed_in(w.supplier_manager).post(url, typed)

    text = response.content.decode()
    assert response.status_code == 422
    assert 'name="due_date"' in invalid_field(text)
    drawn = form_values(text)
    for name in ("title", "due_date", "payer", "payee", "trigger", "owner", "criticality"):
        assert drawn[name] == typed[name], name
    assert drawn["amount"].replace(",", "") in ("12345.00", "12345")  # type: ignore[union-attr]
    assert drawn["acceptance_criteria"] == "Paid on the certificate."
    payment.refresh_from_db()
    assert payment.status == ProposalStatus.PENDING and not payment.edited


REPORTS = AGREEMENT + "\n6.1 The Contractor shall submit a monthly progress report.\n"


def test_the_page_says_before_create_what_cannot_be_created_yet(w: World) -> None:
    document = upload(w)
    payment = of_kind(document, ProposalKind.PAYMENT)
    report = of_kind(document, ProposalKind.DELIVERABLE)
    proposal_decide(proposal=payment, decision="accept", actor=w.supplier_manager)
    services.proposal_edit(
        proposal=report, values={"owner": None, "due_date": None}, actor=w.supplier_manager
    )
    proposal_decide(proposal=report, decision="accept", actor=w.supplier_manager)

    text = signed_in(w.supplier_manager).get(review(document)).content.decode()

    ready = text[text.index('id="not-ready"') :]
    ready = ready[: ready.index("</div>")]
    assert "Payment: 30% on completion of the foundations" in ready
    assert "accept “Complete foundations” too" in ready
    assert "Deliver Stage 1 report" in ready
    assert "choose a due date" in ready and "choose an owner" in ready


def test_the_create_button_counts_the_milestones_a_recurring_proposal_makes(w: World) -> None:
    document = upload(w, REPORTS)
    report = Read.objects.get(document=document, proposed__title="Monthly progress report")
    deliverable = of_kind(document, ProposalKind.DELIVERABLE)
    for proposal in (report, deliverable, of_kind(document, ProposalKind.DAMAGES)):
        proposal_decide(proposal=proposal, decision="accept", actor=w.supplier_manager)
    services.proposal_edit(
        proposal=of_kind(document, ProposalKind.DAMAGES),
        values={"rate": "1000", "milestone": deliverable.proposed["key"]},
        actor=w.supplier_manager,
    )
    browser = signed_in(w.supplier_manager)

    text = browser.get(review(document)).content.decode()
    button = re.search(r"<button type=\"submit\">(Create (\d+) milestones[^<]*)</button>", text)
    assert button is not None and button.group(1).endswith("and delay damages")
    # (the damages are left out here: on a signed contract only the client may set them)
    proposal_decide(
        proposal=of_kind(document, ProposalKind.DAMAGES),
        decision="reopen",
        actor=w.supplier_manager,
    )
    created = browser.post(reverse("extraction:document-apply", args=[document.pk]))

    assert created.status_code == 302, created.content.decode()
    made = Milestone.objects.filter(contract=w.contract).count()
    assert made == int(button.group(2)) > 2


def test_delay_damages_alone_set_the_damages_and_say_no_period_the_text_does_not_state(
    w: World,
) -> None:
    document = upload(
        w,
        AGREEMENT.replace("at the rate of £[***] per week", "of £2,500 for each instance"),
    )
    damages = of_kind(document, ProposalKind.DAMAGES)
    proposal_decide(proposal=damages, decision="accept", actor=w.supplier_manager)

    text = signed_in(w.supplier_manager).get(review(document)).content.decode()

    assert "£2,500.00 per (not stated) of delay" in text
    assert "per day of delay" not in text
    assert ">Set the delay damages</button>" in text
    assert "say whether the rate is per day or per week" in text


def test_the_reviewers_recurrence_wins_on_the_card(w: World) -> None:
    document = upload(w, REPORTS)
    report = Read.objects.get(document=document, proposed__title="Monthly progress report")
    browser = signed_in(w.supplier_manager)
    assert "Every month" in browser.get(review(document)).content.decode()

    services.proposal_edit(
        proposal=report,
        values={"recurring": None, "due_date": w.today.isoformat()},
        actor=w.supplier_manager,
    )

    assert "Every month" not in browser.get(review(document)).content.decode()


def test_an_upload_without_a_title_takes_the_files_name(w: World) -> None:
    browser = signed_in(w.supplier_manager)

    response = browser.post(
        reverse("extraction:documents", args=[w.contract.pk]),
        {"title": "", "file": SimpleUploadedFile("Framework agreement.txt", AGREEMENT.encode())},
    )

    assert response.status_code == 302
    assert ContractDocument.objects.get(contract=w.contract).title == "Framework agreement"


HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


def read_hostile(text: str, *, pages: list[int] | None = None) -> Extraction:
    ctx = Context(text=text, pages=pages or [])
    at = text.index(HOSTILE)
    cite = ctx.cite(at, at + len(HOSTILE))
    found = Extraction(text_sha256=hashlib.sha256(text.encode()).hexdigest())
    found.proposals.append(
        Proposal(
            kind="gate",
            title=f"Approve {HOSTILE}",
            citation=Citation(cite.start, cite.end, cite.quote, cite.page, HOSTILE[:30]),
            confidence=0.4,
            parties=[HOSTILE],
            trigger=HOSTILE,
            key="p1",
        )
    )
    found.parties = [PartyFact(HOSTILE, HOSTILE, cite)]
    found.warnings = [HOSTILE]
    return found


def test_every_word_from_the_document_is_escaped(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a document whose text, title, file name, proposal, quote, clause and parties hold markup
    monkeypatch.setattr(services, "_kernel_extract", read_hostile)
    document = document_upload_and_read(
        contract=w.contract,
        upload=SimpleUploadedFile(f"{HOSTILE}.txt", f"1.1 {HOSTILE} approves.".encode()),
        title=HOSTILE,
        actor=w.supplier_manager,
    )
    gate = of_kind(document, ProposalKind.GATE)
    milestone = w.deliverable()
    Cited.objects.create(
        milestone=milestone,
        document=document,
        clause=HOSTILE[:40],
        start=4,
        end=4 + len(HOSTILE),
        quote=HOSTILE,
    )
    browser = signed_in(w.supplier_manager)

    for url in (
        review(document),
        reverse("extraction:documents", args=[w.contract.pk]),
        reverse("extraction:proposal-edit", args=[gate.pk]),
        reverse("milestones:milestone-detail", args=[milestone.pk]),
    ):
        text = browser.get(url).content.decode()

        # then each page shows the words, escaped, and runs none of them
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url
        assert "<script>alert(1)" not in text, url
        assert "<img src=x" not in text, url


def test_the_review_page_stays_within_its_queries_with_many_accepted_proposals(
    w: World, django_assert_max_num_queries
) -> None:
    many = upload(
        w,
        REPORTS
        + "".join(
            f"\n7.{n} The Contractor shall deliver the drawing pack {n} by {1 + n % 28} June 2027.\n"
            for n in range(1, 41)
        ),
    )
    for proposal in Read.objects.filter(document=many):
        proposal_decide(proposal=proposal, decision="accept", actor=w.supplier_manager)
    browser = signed_in(w.supplier_manager)

    with django_assert_max_num_queries(30):
        text = browser.get(review(many)).content.decode()

    assert text.count('class="proposal accepted"') > 40


def test_the_reviewer_sets_how_a_deliverable_repeats_on_its_form(w: World) -> None:
    document = upload(w)
    report = of_kind(document, ProposalKind.DELIVERABLE)
    url = reverse("extraction:proposal-edit", args=[report.pk])
    browser = signed_in(w.supplier_manager)
    form = form_values(browser.get(url).content.decode())
    assert form["recurring"] == ""

    response = browser.post(url, {**form, "recurring": "monthly", "then": "save"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.values["recurring"] == "monthly"
    assert "Every month" in browser.get(review(document)).content.decode()


def test_a_repeating_deliverable_with_a_first_date_is_counted_as_it_is_created(w: World) -> None:
    document = upload(w, REPORTS)
    report = Read.objects.get(document=document, proposed__title="Monthly progress report")
    first = w.today + dt.timedelta(days=10)
    services.proposal_edit(
        proposal=report, values={"due_date": first.isoformat()}, actor=w.supplier_manager
    )
    proposal_decide(proposal=report, decision="accept", actor=w.supplier_manager)
    browser = signed_in(w.supplier_manager)

    button = re.search(r"Create (\d+) milestones?</button>", browser.get(review(document)).text)
    created = browser.post(reverse("extraction:document-apply", args=[document.pk]))

    assert created.status_code == 302, created.content.decode()
    assert button is not None
    made = Milestone.objects.filter(contract=w.contract)
    assert made.count() == int(button.group(1)) > 1
    assert min(m.due_date for m in made) == first


FACTS_AGREEMENT = """ARTICLES OF AGREEMENT

This Agreement is made on 3 March 2025 between Harbour City Council (the "Employer") and \
Northgate Construction Ltd (the "Contractor").

1. The Contract Sum is £2,400,000.00.
2. This Agreement shall continue for a term of twelve (12) months.
3. The Employer shall retain five per cent (5%) of each payment, one half of which shall be \
released at Practical Completion and the balance at the end of the Defects Period.
4. The Employer shall pay each invoice within 45 days of receipt of a valid invoice.
5. This Agreement is governed by the law of Scotland.
"""


def test_what_the_contract_says_is_set_beside_the_contracts_record_where_they_differ(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from milepost.extraction.kernel import extract

    # given an agreement read by the real extractor, whose facts differ from Milepost's record
    monkeypatch.setattr(services, "_kernel_extract", extract)
    document = upload(w, FACTS_AGREEMENT)

    # when the reviewer opens its page
    text = html.unescape(signed_in(w.supplier_manager).get(review(document)).content.decode())
    says = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text.split("What the contract says")[1]))

    # then each fact is said in words with the contract's record beside it where it differs
    assert "Contract date 3 Mar 2025" in says
    assert f"Milepost has the contract starting {w.contract.start_date.day}" in says
    assert "twelve (12) months" in says
    assert "Scotland" in says
    assert "£2,400,000.00" in says and "Milepost has £" in says
    assert "5% held back" in says
    assert "Payment within 45 days of a valid invoice" in says
