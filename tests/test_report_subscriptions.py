"""Report subscriptions: the distribution list's rules, the schedule, and the worker's delivery
of the PDF by email to a real SMTP server on loopback."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from pypdf import PdfReader

from milepost.accounts.models import Membership
from milepost.contracts.selectors import contract_access
from milepost.core.errors import Forbidden
from milepost.payments.services import payment_milestone_create
from milepost.reporting.choices import DeliveryStatus
from milepost.reporting.models import IssuedReport, ReportDelivery, ReportSubscription
from milepost.reporting.reports import subscriptions
from milepost.reporting.reports.subscriptions import (
    RETRY,
    SUBSCRIPTIONS_PER_TICK,
    next_run_on,
    report_subscription_create,
    report_subscription_delete,
    report_subscription_update,
    reports_due,
)

from .conftest import World
from .helpers import refused, signed_in

START = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)  # a Monday
FRIDAY = dt.datetime(2026, 12, 18, 8, 0, tzinfo=dt.UTC)


def subscribe(w: World, **options):  # type: ignore[no-untyped-def]
    fields = {
        "contract": w.contract,
        "report_type": "contract_status",
        "frequency": "weekly",
        "weekday": 4,
        "members": ["cora", "sid"],
        "emails": ["board@harbour.example.test"],
        "audience": "Harbour City Council board",
        "actor": w.client_manager,
    }
    return report_subscription_create(**{**fields, **options})


@pytest.fixture
def paid_site(w: World) -> World:
    trigger = w.deliverable("Foundation complete", due_date=START.date() + dt.timedelta(days=9))
    payment_milestone_create(
        contract=w.contract,
        title="Foundation payment (30%)",
        owner=w.client_manager,
        due_date=START.date() + dt.timedelta(days=30),
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        percentage="30",
        actor=w.client_manager,
    )
    return w


def test_a_weekly_subscription_is_next_sent_on_its_weekday(w: World) -> None:
    subscription = subscribe(w)

    assert subscription.next_run_on == dt.date(2026, 12, 18)
    assert subscription.recipients.count() == 3


def test_a_monthly_day_comes_this_month_or_next() -> None:
    assert next_run_on(
        frequency="monthly", weekday=None, day_of_month=20, after=dt.date(2026, 12, 14)
    ) == dt.date(2026, 12, 20)
    assert next_run_on(
        frequency="monthly", weekday=None, day_of_month=1, after=dt.date(2026, 12, 14)
    ) == dt.date(2027, 1, 1)


def test_the_worker_emails_the_pdf_on_the_day(paid_site: World, inbox, monkeypatch, clock) -> None:  # type: ignore[no-untyped-def]
    subscribe(paid_site)
    monkeypatch.setattr(
        "milepost.operations.management.commands.worker.close_old_connections", lambda: None
    )

    clock.move_to(FRIDAY)
    call_command("worker", "--once", "--interval", "0", stdout=io.StringIO())

    reports = [m for m in inbox.messages if "Contract status report" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in reports) == [
        "board@harbour.example.test",
        "cora@example.test",
        "sid@example.test",
    ]
    attachment = next(reports[0].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages)
    assert "HCC-2026-001" in text and "£300,000.00" in text
    html = reports[0].get_body(("html",)).get_content()
    assert "£300,000.00 planned" in html
    report = IssuedReport.objects.get()
    assert report.issued_by is None and report.scheduled_for == FRIDAY.date()
    assert report.period_start == dt.date(2026, 12, 12)


def test_a_monthly_report_caught_up_after_its_day_covers_the_month_to_that_day(
    w: World, clock
) -> None:  # type: ignore[no-untyped-def]
    clock.move_to(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC))
    subscription = subscribe(w, frequency="monthly", weekday=None, day_of_month=28, emails=[])
    # The worker was stopped over the 28th and starts again on the 30th, a day February lacks.
    late = dt.datetime(2027, 3, 30, 9, 0, tzinfo=dt.UTC)
    clock.move_to(late)

    reports_due(now=late)

    report = IssuedReport.objects.get()
    assert report.scheduled_for == dt.date(2027, 3, 28)
    assert (report.period_start, report.period_end) == (dt.date(2027, 3, 1), dt.date(2027, 3, 28))
    subscription.refresh_from_db()
    assert subscription.next_run_on == dt.date(2027, 4, 28)


def _failing_for(monkeypatch, broken: set[int]) -> None:  # type: ignore[no-untyped-def]
    issue = subscriptions.report_issue

    def report_issue(**options):  # type: ignore[no-untyped-def]
        if options["subscription"].pk in broken:
            raise RuntimeError("the figures could not be drawn")
        return issue(**options)

    monkeypatch.setattr(subscriptions, "report_issue", report_issue)


def test_a_subscription_that_cannot_be_issued_does_not_hold_up_the_others(
    w: World, monkeypatch, clock
) -> None:  # type: ignore[no-untyped-def]
    broken = [subscribe(w, emails=[]) for _ in range(SUBSCRIPTIONS_PER_TICK)]
    fine = subscribe(w, report_type="payment", emails=[])
    _failing_for(monkeypatch, {s.pk for s in broken})
    clock.move_to(FRIDAY)

    reports_due(now=FRIDAY)
    reports_due(now=FRIDAY + dt.timedelta(minutes=1))

    assert list(IssuedReport.objects.values_list("subscription", flat=True)) == [fine.pk]
    held = ReportSubscription.objects.get(pk=broken[0].pk)
    assert held.next_run_on == FRIDAY.date()  # still owed, tried again later
    assert held.failures == 1 and held.retry_after == FRIDAY + RETRY[0]
    assert "the figures could not be drawn" in held.last_error


def test_a_report_that_keeps_failing_is_given_up_for_that_day(w: World, monkeypatch, clock) -> None:  # type: ignore[no-untyped-def]
    subscription = subscribe(w, emails=[])
    _failing_for(monkeypatch, {subscription.pk})
    at = FRIDAY
    clock.move_to(at)

    for wait in [*RETRY, None]:
        reports_due(now=at)
        at += wait or dt.timedelta(0)

    subscription.refresh_from_db()
    assert subscription.next_run_on == FRIDAY.date() + dt.timedelta(days=7)
    assert (subscription.failures, subscription.retry_after) == (0, None)
    assert not IssuedReport.objects.exists()


def test_a_second_pass_on_the_same_day_sends_nothing_again(paid_site: World, inbox, clock) -> None:  # type: ignore[no-untyped-def]
    subscribe(paid_site)
    clock.move_to(FRIDAY)

    reports_due(now=FRIDAY)
    reports_due(now=FRIDAY + dt.timedelta(minutes=5))

    assert IssuedReport.objects.count() == 1
    assert len(inbox.messages) == 3
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_member_who_lost_access_gets_nothing(paid_site: World, inbox, clock) -> None:  # type: ignore[no-untyped-def]
    subscribe(paid_site, emails=[])
    # sid leaves Northgate Construction, the supplier: the contract is no longer his to see.
    Membership.objects.filter(user=paid_site.supplier_member).delete()
    clock.move_to(FRIDAY)

    reports_due(now=FRIDAY)

    assert [str(m["To"]) for m in inbox.messages] == ["cora@example.test"]
    skipped = ReportDelivery.objects.get(user=paid_site.supplier_member)
    assert skipped.status == DeliveryStatus.SKIPPED


def test_a_bad_address_names_the_field(w: World) -> None:
    with refused("invalid_email", "emails"):
        subscribe(w, emails=["not an address"])


def test_a_day_of_month_past_28_names_the_field(w: World) -> None:
    with refused("invalid_day", "day_of_month"):
        subscribe(w, frequency="monthly", weekday=None, day_of_month=29)


def test_a_person_outside_the_contract_cannot_be_listed(w: World) -> None:
    with refused("recipient_not_on_contract", "members"):
        subscribe(w, members=["otto"])


def test_only_a_manager_adds_plain_addresses(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        subscribe(w, members=["sid"], actor=w.supplier_member)


def test_a_member_may_subscribe_only_themselves(w: World) -> None:
    mine = subscribe(w, members=["sid"], emails=[], actor=w.supplier_member)

    assert [r.user for r in mine.recipients.all()] == [w.supplier_member]
    with refused("forbidden", error=Forbidden):
        subscribe(w, members=["cora"], emails=[], actor=w.supplier_member)


def test_a_viewer_is_put_on_a_distribution_list_and_sent_the_report(w: World, clock) -> None:  # type: ignore[no-untyped-def]
    # cleo is a viewer in Harbour City Council's finance team: she reads reports, never edits.
    subscription = subscribe(w, members=["cora", "cleo"], emails=[])
    clock.move_to(FRIDAY)

    reports_due(now=FRIDAY)

    assert {r.user for r in subscription.recipients.all()} == {w.client_manager, w.client_viewer}
    sent = ReportDelivery.objects.get(user=w.client_viewer)
    assert sent.status == DeliveryStatus.SENT


def test_a_viewer_may_subscribe_only_themselves(w: World) -> None:
    mine = subscribe(w, members=["cleo"], emails=[], actor=w.client_viewer)

    assert [r.user for r in mine.recipients.all()] == [w.client_viewer]
    with refused("forbidden", error=Forbidden):
        subscribe(w, members=["cleo", "cora"], emails=[], actor=w.client_viewer)
    with refused("forbidden", error=Forbidden):
        subscribe(w, members=["cleo"], actor=w.client_viewer)


def test_the_subscription_page_offers_a_viewer_themselves_alone(w: World) -> None:
    client = signed_in(w.client_viewer)
    url = f"/contracts/{w.contract.pk}/report-subscriptions/new/"

    page = client.get(url).content.decode()
    saved = client.post(
        url,
        {
            "type": "payment",
            "frequency": "weekly",
            "weekday": "4",
            "weeks": "2",
            "members": ["cleo"],
        },
    )

    assert 'value="cleo"' in page and 'value="cora"' not in page
    assert 'name="emails"' not in page
    assert saved.status_code == 302
    assert ReportSubscription.objects.get().created_by == w.client_viewer


def test_its_owner_changes_and_stops_a_subscription(w: World) -> None:
    subscription = subscribe(w)

    report_subscription_update(
        subscription=subscription, actor=w.client_manager, frequency="monthly", day_of_month=1
    )
    assert subscription.next_run_on == dt.date(2027, 1, 1)
    report_subscription_delete(subscription=subscription, actor=w.client_manager)
    assert not type(subscription).objects.exists()


def test_another_organisation_gets_404_on_the_subscriptions(w: World) -> None:
    subscription = subscribe(w)
    client = signed_in(w.outsider)

    listed = client.get(f"/api/v1/contracts/{w.contract.pk}/report-subscriptions")
    changed = client.patch(
        f"/api/v1/report-subscriptions/{subscription.pk}", "{}", content_type="application/json"
    )

    assert (listed.status_code, changed.status_code) == (404, 404)


def test_the_subscription_page_subscribes_and_the_contract_panel_lists_it(w: World) -> None:
    client = signed_in(w.client_manager)

    page = client.post(
        f"/contracts/{w.contract.pk}/report-subscriptions/new/",
        {
            "type": "payment",
            "frequency": "monthly",
            "day_of_month": "5",
            "weeks": "2",
            "members": ["cora"],
            "emails": "finance@harbour.example.test",
        },
    )
    request = RequestFactory().get("/")
    request.user = w.client_manager
    panel = render_to_string(
        "reporting/partials/contract_reports.html",
        {
            "contract": w.contract,
            "access": contract_access(user=w.client_manager, contract=w.contract),
            "request": request,
        },
    )

    assert page.status_code == 302
    assert "Payment report for Finance, monthly on day 5" in panel
    assert "finance@harbour.example.test" in panel


def test_the_subscription_page_names_the_field_at_fault(w: World) -> None:
    client = signed_in(w.client_manager)

    page = client.post(
        f"/contracts/{w.contract.pk}/report-subscriptions/new/",
        {
            "type": "payment",
            "frequency": "weekly",
            "weekday": "4",
            "weeks": "2",
            "members": ["cora"],
            "emails": "finance at harbour",
        },
    )

    assert page.status_code == 422
    assert "is not an email address" in page.content.decode()
