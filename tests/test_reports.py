"""Stakeholder reports: each report's figures on a small contract, its PDF, issued snapshots,
access, validation, the web pages, the API and the `report` command."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from milepost.audit.models import Event
from milepost.contracts.services import contract_update
from milepost.core.errors import Forbidden, NotFound
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.reporting.events import ReportEvent
from milepost.reporting.models import IssuedReport
from milepost.reporting.reports.issue import report_draw, report_issue, report_request
from milepost.reporting.reports.render import report_pdf
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.changes import change_request_submit
from milepost.schedule.choices import Criticality
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.risks.early_warnings import early_warning_raise

from .conftest import World
from .helpers import refused, signed_in

START = dt.datetime(2026, 12, 15, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 15)


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def site(w: World) -> World:
    """The contract with met, missed and coming key dates, two payments, a change and a risk."""
    foundation = w.deliverable(
        "Foundation complete",
        due_date=TODAY - dt.timedelta(days=2),
        criticality=Criticality.CRITICAL,
    )
    deliverable_accept(milestone=foundation, actor=w.client_manager)
    roof = w.deliverable(
        "Roof complete", due_date=TODAY - dt.timedelta(days=3), criticality=Criticality.CRITICAL
    )
    fitout = w.deliverable("Fit-out", due_date=TODAY + dt.timedelta(days=10))
    dependency_add(predecessor=roof, successor=fitout, actor=w.supplier_manager)
    first = payment_milestone_create(
        contract=w.contract,
        title="Foundation payment (30%)",
        owner=w.client_manager,
        due_date=TODAY + dt.timedelta(days=20),
        payer=w.client,
        payee=w.supplier,
        trigger=foundation,
        percentage="30",
        retention_percent="5",
        actor=w.client_manager,
    )
    payment_record_invoice(
        milestone=first,
        invoiced_on=TODAY,
        amount="300000",
        actor=w.supplier_manager,
    )
    payment_record_paid(milestone=first, paid_on=TODAY, amount="100000", actor=w.client_manager)
    payment_milestone_create(
        contract=w.contract,
        title="Roof payment (40%)",
        owner=w.client_manager,
        due_date=TODAY + dt.timedelta(days=5),
        payer=w.client,
        payee=w.supplier,
        trigger=roof,
        percentage="40",
        actor=w.client_manager,
    )
    change_request_submit(
        milestone=fitout,
        new_due_date=TODAY + dt.timedelta(days=24),
        reason="Late steel delivery",
        actor=w.supplier_manager,
    )
    early_warning_raise(
        contract=w.contract,
        title="Crane availability",
        likelihood=4,
        impact=5,
        milestones=[fitout],
        owner=w.supplier_member,
        actor=w.supplier_member,
    )
    return w


def draw(w: World, report_type: str, user=None, **options):  # type: ignore[no-untyped-def]
    user = user or w.client_manager
    wanted = report_request(
        user=user,
        report_type=report_type,
        contract_id=None if report_type == "portfolio" else w.contract.pk,
        **options,
    )
    return report_draw(user=user, request=wanted)


def test_contract_status_report_gives_health_key_dates_money_changes_and_risks(site: World) -> None:
    context, html = draw(site, "contract_status")

    figures = context["figures"]
    assert figures["met_this_period"] == 1  # Foundation complete, accepted today
    assert figures["missed_this_period"] == 1  # Roof complete, due three days ago and open
    assert figures["money"] == {
        "planned": "£700,000.00",
        "invoiced": "£300,000.00",
        "paid": "£100,000.00",
        "retention": "£15,000.00",
        "at_risk": "£400,000.00",  # the roof payment waits on an overdue trigger within 5 days
    }
    assert figures["open_change_requests"] == 1
    assert figures["open_early_warnings"] == 1
    assert figures["stages"] == {"Whole contract": "red"}
    assert context["period"].start == dt.date(2026, 12, 1)
    assert "Late steel delivery" not in html  # the reason is not a figure; the impact is
    assert "Crane availability" in html
    assert "Red: overdue" in html
    assert "<svg" in html  # the timeline


def test_status_report_stages_end_at_gates(site: World) -> None:
    from milepost.approvals.services import gate_create

    gate_create(
        contract=site.contract,
        title="Fit-out stage gate",
        owner=site.supplier_member,
        responsible_party=site.supplier,
        due_date=TODAY + dt.timedelta(days=1),
        required_parties=[site.client],
        acceptance_criteria="Programme accepted.",
        actor=site.client_manager,
    )

    context, _ = draw(site, "contract_status")

    assert [(s.name, s.rag) for s in context["stages"].rows] == [
        ("Up to Fit-out stage gate", "red"),
        ("After Fit-out stage gate", "amber"),
    ]


def test_look_ahead_lists_milestones_by_owner_with_their_predecessors(site: World) -> None:
    context, html = draw(site, "look_ahead", weeks=2)

    assert context["period"].end == TODAY + dt.timedelta(days=13)
    assert context["figures"]["milestones_due"] == 2  # Fit-out and the roof payment
    # Fit-out waits on Roof complete, and the roof payment on its trigger.
    assert context["figures"]["waiting_on_predecessors"] == 2
    assert "Roof complete: in progress" in html or "Roof complete: scheduled" in html


def test_portfolio_ranks_the_users_contracts_by_next_critical_date(site: World) -> None:
    site.other_contract(active=True)

    context, html = draw(site, "portfolio")

    assert context["figures"]["order"] == ["HCC-2026-001", "HCC-2026-002"]
    assert context["figures"]["money_at_risk"] == {"GBP": "£400,000.00"}
    assert "HCC-2026-002" in html


def test_payment_report_gives_due_invoiced_overdue_and_paid_and_the_cash_flow(site: World) -> None:
    context, html = draw(site, "payment")

    figures = context["figures"]
    assert figures["invoiced"] == "£300,000.00"
    assert figures["paid"] == "£100,000.00"
    assert figures["overdue_count"] == 0
    assert figures["due_count"] == 0
    assert len(context["flows"]) == 1 and context["flows"][0].paid_total == Decimal("100000.00")
    assert 'class="chart"' in html


def test_the_pdf_holds_the_contracts_figures(site: World) -> None:
    _, html = draw(site, "contract_status")

    text = pdf_text(report_pdf(html))

    assert "HCC-2026-001" in text
    assert "£700,000.00" in text and "£15,000.00" in text


def test_the_pdf_fetches_nothing_from_outside(site: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    def no_network(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the renderer reached out")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)

    pdf = report_pdf('<p>Hi</p><img src="http://127.0.0.1:9/x.png"><img src="file:///etc/passwd">')

    assert pdf.startswith(b"%PDF")


def test_an_issued_report_stays_as_it_was_when_the_data_changes(site: World) -> None:
    wanted = report_request(
        user=site.client_manager, report_type="contract_status", contract_id=site.contract.pk
    )
    report = report_issue(request=wanted, actor=site.client_manager, reader=site.client_manager)
    html, pdf = report.html, bytes(report.pdf)

    site.deliverable("A new milestone", due_date=TODAY + dt.timedelta(days=3))
    stored = IssuedReport.objects.get(pk=report.pk)

    assert (stored.html, bytes(stored.pdf)) == (html, pdf)
    assert stored.figures["milestones"] == 5
    assert Event.objects.filter(action=ReportEvent.REPORT_ISSUED, object_id=report.pk).exists()
    with pytest.raises(Exception, match="cannot be changed"):
        stored.save()


def test_a_report_on_a_contract_with_the_longest_reference_and_title_is_issued(w: World) -> None:
    contract_update(
        contract=w.contract, reference="R" * 64, title="T" * 200, actor=w.client_manager
    )
    wanted = report_request(
        user=w.client_manager, report_type="contract_status", contract_id=w.contract.pk
    )

    report = report_issue(request=wanted, actor=w.client_manager, reader=w.client_manager)

    stored = IssuedReport.objects.get(pk=report.pk)
    assert stored.title == f"Contract status report: {'R' * 64} {'T' * 200}"


def test_a_viewer_may_not_issue_a_report(site: World) -> None:
    wanted = report_request(
        user=site.client_viewer, report_type="contract_status", contract_id=site.contract.pk
    )
    with refused("forbidden", error=Forbidden):
        report_issue(request=wanted, actor=site.client_viewer, reader=site.client_viewer)


def test_another_organisation_cannot_draw_the_contracts_report(site: World) -> None:
    with refused("not_found", error=NotFound):
        report_request(user=site.outsider, report_type="payment", contract_id=site.contract.pk)


@pytest.mark.parametrize(
    ("options", "code", "field"),
    [
        ({"report_type": "gantt"}, "invalid_report_type", "type"),
        ({"report_type": "payment", "contract_id": None}, "contract_required", "contract"),
        ({"start": TODAY, "end": TODAY - dt.timedelta(days=1)}, "invalid_period", "to"),
        ({"start": TODAY - dt.timedelta(days=400)}, "invalid_period", "from"),
        ({"report_type": "look_ahead", "weeks": 3}, "invalid_weeks", "weeks"),
        ({"audience": "x" * 121}, "too_long", "audience"),
    ],
)
def test_a_bad_request_names_the_field(site: World, options, code, field) -> None:  # type: ignore[no-untyped-def]
    asked = {"report_type": "contract_status", "contract_id": site.contract.pk, **options}
    with refused(code, field):
        report_request(user=site.client_manager, **asked)


def test_the_report_page_previews_and_issues_and_the_snapshot_page_shows_it(site: World) -> None:
    client = signed_in(site.client_manager)
    query = f"?type=contract_status&contract={site.contract.pk}"

    page = client.get("/reports/" + query)
    pdf = client.get("/reports/pdf/" + query)
    issued = client.post(
        "/reports/issue/", {"type": "contract_status", "contract": site.contract.pk}
    )
    report = IssuedReport.objects.get()
    shown = client.get(f"/reports/{report.pk}/")
    contract_page = client.get(f"/contracts/{site.contract.pk}/")

    assert page.status_code == 200 and b"Health by stage" in page.content
    assert pdf["Content-Type"] == "application/pdf" and "£700,000.00" in pdf_text(pdf.content)
    assert issued.status_code == 302 and issued["Location"] == f"/reports/{report.pk}/"
    assert shown.content.decode() == report.html
    assert "sha256-" in shown["Content-Security-Policy"]
    assert contract_page.status_code == 200
    assert f'href="/reports/{report.pk}/"' in contract_page.content.decode()


def test_a_refused_issue_returns_to_the_preview_without_the_csrf_token(site: World) -> None:
    client = signed_in(site.client_viewer)

    refused_issue = client.post(
        "/reports/issue/",
        {
            "type": "contract_status",
            "contract": site.contract.pk,
            "audience": "Board",
            "csrfmiddlewaretoken": "a-secret-token",
        },
    )

    assert refused_issue.status_code == 302
    assert refused_issue["Location"] == (
        f"/reports/?type=contract_status&contract={site.contract.pk}&audience=Board"
    )
    assert not IssuedReport.objects.exists()


def test_the_report_page_refuses_another_organisations_contract(site: World) -> None:
    client = signed_in(site.outsider)
    report = report_issue(
        request=report_request(
            user=site.client_manager, report_type="payment", contract_id=site.contract.pk
        ),
        actor=site.client_manager,
        reader=site.client_manager,
    )

    assert client.get(f"/reports/?type=payment&contract={site.contract.pk}").status_code == 404
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.get(f"/reports/{report.pk}/pdf/").status_code == 404


def test_the_report_page_names_the_field_at_fault(site: World) -> None:
    client = signed_in(site.client_manager)

    page = client.get(
        f"/reports/?type=payment&contract={site.contract.pk}&start=2026-12-10&end=2026-12-01"
    )

    assert page.status_code == 422
    assert b"The period must end on or after the day it starts." in page.content


def test_the_api_issues_a_report_and_reads_it_back(site: World) -> None:
    client = signed_in(site.supplier_manager)

    made = client.post(
        "/api/v1/reports",
        json.dumps({"type": "payment", "contract_id": site.contract.pk, "from": "2026-12-01"}),
        content_type="application/json",
    )
    body = made.json()
    read = client.get(f"/api/v1/reports/{body['id']}")
    pdf = client.get(f"/api/v1/reports/{body['id']}/pdf")

    assert made.status_code == 201
    assert read.json()["figures"]["paid"] == "£100,000.00"
    assert "£100,000.00" in pdf_text(pdf.content)


def test_the_api_hides_another_organisations_contract(site: World) -> None:
    client = signed_in(site.outsider)

    answer = client.get(f"/api/v1/reports/draw?type=payment&contract_id={site.contract.pk}")

    assert answer.status_code == 404


def test_the_report_command_writes_a_pdf(site: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "status.pdf"

    call_command(
        "report",
        "contract_status",
        "--contract",
        "HCC-2026-001",
        "--as",
        "cora",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-15",
        "--pdf",
        str(out),
        stdout=io.StringIO(),
    )

    assert "£700,000.00" in pdf_text(out.read_bytes())


def test_the_status_report_says_what_was_decided_in_the_period_as_the_history_does(
    site: World,
) -> None:
    context, html = draw(site, "contract_status")

    sentences = [row["sentence"] for row in context["decisions"].rows]
    assert context["figures"]["decisions_this_period"] == len(sentences) == 2
    assert "Foundation complete" in sentences[1] and "accepted" in sentences[1]
    assert "£100,000.00" in sentences[0]  # the payment recorded today, the latest first
    for sentence in sentences:
        assert sentence in html

    earlier = draw(
        site,
        "contract_status",
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
    )[0]
    assert earlier["decisions"].rows == []
