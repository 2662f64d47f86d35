"""A payment cycle's notices and money as action requests, and the dashboard's money this week."""

import datetime as dt
from decimal import Decimal

import pytest

from milepost.alerts.choices import ActionKind, Channel, CloseReason
from milepost.alerts.engine import actions_due, events_fan_out
from milepost.alerts.engine.actions import measurements_due
from milepost.alerts.events import PublishedEvent
from milepost.alerts.models import ActionRequest, Notification
from milepost.finance.choices import CycleBasis, DeductionKind, PaymentRegime
from milepost.finance.cycles.services import (
    DeductionIn,
    cycle_apply,
    cycle_default_notice,
    cycle_pay_less,
    cycle_payment_notice,
    cycle_receipt_record,
    money_terms_set,
)
from milepost.finance.models import PaymentCycle
from milepost.payments.services import payment_milestone_create
from milepost.reporting.selectors import dashboard
from milepost.schedule.acceptance import deliverable_accept

from .conftest import World
from .helpers import signed_in

# Monday 2 November 2026, 9:00 in London (GMT). October's valuation period ended on Saturday 31
# October; under the Scheme its payment falls due on 7 November, the payment notice by 12
# November, a pay less notice by 17 November and the final date for payment on 24 November.
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
OCT_31 = dt.date(2026, 10, 31)

pytestmark = pytest.mark.usefixtures("clock")


def fan_out() -> None:
    """Let the worker read the new events (twice: the second run must change nothing)."""
    events_fan_out(now=dt.datetime.now(tz=dt.UTC))
    events_fan_out(now=dt.datetime.now(tz=dt.UTC))


def open_requests(**filters: object) -> list[ActionRequest]:
    return list(ActionRequest.objects.filter(closed_at__isnull=True, **filters).order_by("pk"))


def recipients(**filters: object) -> set[str]:
    return {r.recipient.username for r in open_requests(**filters)}


def terms(w: World, regime: str = PaymentRegime.SCHEME_EW) -> None:
    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime=regime,
        basis=CycleBasis.INTERIM,
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
    )


def apply(w: World, *, period_end: dt.date = OCT_31, gross: str = "100000.00") -> PaymentCycle:
    """The supplier applies for October's valuation: £100,000 less 5% retention, £95,000."""
    return cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=w.today,
        period_end=period_end,
        gross_value=gross,
    )


def notify(w: World, cycle: PaymentCycle, amount: str = "90000.00") -> PaymentCycle:
    return cycle_payment_notice(
        cycle=cycle,
        actor=w.client_manager,
        given_on=w.today,
        notified_sum=amount,
        basis="The quantity surveyor's valuation of 31 October.",
    )


# --- the payment notice --------------------------------------------------------------------------


def test_an_application_asks_the_payers_managers_for_a_payment_notice_by_its_day(w: World) -> None:
    terms(w)
    cycle = apply(w)
    fan_out()
    # The client's manager acts for the payer; its member and viewer, the consultant and the
    # supplier (who applied) are not asked.
    assert recipients() == {"cora"}
    request = open_requests()[0]
    assert request.kind == ActionKind.PAYMENT_NOTICE
    assert (request.object_type, request.object_id) == ("finance.paymentcycle", cycle.pk)
    assert request.url == f"/payment-cycles/{cycle.pk}/"
    assert request.verb == "Give the payment notice"
    assert request.sentence == (
        "Northgate Construction applied for £95,000.00 in payment cycle 1 (the period to "
        "31 Oct 2026). Harbour City Council's payment notice is due by Thu 12 Nov 2026; "
        "without one in time the sum applied for becomes the sum payable."
    )
    # A notice after its day changes nothing: the request expires when the day is over.
    assert request.expires_at == dt.datetime(2026, 11, 13, 0, 0, tzinfo=dt.UTC)
    sent = Notification.objects.filter(user=w.client_manager, event_type="action_request.opened")
    assert {n.channel for n in sent} == {Channel.INAPP, Channel.EMAIL}


def test_a_notice_deadline_brings_the_reminder_and_escalation_forward(w: World) -> None:
    terms(w)
    # Applied on Monday for a period that ended long before: payment falls due today and the
    # notice by Saturday 7 November, sooner than the default escalation (five working days).
    apply(w, period_end=dt.date(2026, 10, 20))
    fan_out()
    request = open_requests()[0]
    assert request.remind_on == dt.date(2026, 11, 4)  # two working days, as every request
    # The deadline falls on a Saturday: escalated on the working day before it, not on the day off.
    assert request.escalate_on == dt.date(2026, 11, 6)


def test_a_payment_notice_in_time_closes_its_request_and_asks_for_the_notified_sum(
    w: World,
) -> None:
    terms(w)
    cycle = apply(w)
    fan_out()
    notify(w, cycle)
    fan_out()
    closed = ActionRequest.objects.get(kind=ActionKind.PAYMENT_NOTICE)
    assert closed.close_reason == CloseReason.TAKEN
    (pay,) = open_requests()
    assert (pay.kind, pay.recipient.username) == (ActionKind.CYCLE_PAYMENT, "cora")
    assert pay.sentence == (
        "Harbour City Council is to pay Northgate Construction £90,000.00 for payment cycle 1 "
        "(the period to 31 Oct 2026) by the final date for payment, Tue 24 Nov 2026."
    )
    assert pay.verb == "Record the payment"


def test_a_pay_less_notice_asks_again_for_the_lower_sum(w: World) -> None:
    terms(w)
    cycle = notify(w, apply(w))
    fan_out()
    cycle_pay_less(
        cycle=cycle,
        actor=w.client_manager,
        given_on=w.today,
        grounds="Defective brickwork to be taken down and rebuilt.",
        deductions=[DeductionIn(kind=DeductionKind.OTHER, amount="5000.00", description="Rework")],
    )
    fan_out()
    first = ActionRequest.objects.filter(kind=ActionKind.CYCLE_PAYMENT).order_by("pk")[0]
    assert first.close_reason == CloseReason.MOOT
    (pay,) = open_requests()
    assert "£85,000.00" in pay.sentence


def test_a_part_payment_asks_for_what_is_left_and_the_rest_closes_it(w: World) -> None:
    terms(w)
    cycle = notify(w, apply(w))
    fan_out()
    first = open_requests(kind=ActionKind.CYCLE_PAYMENT)[0]
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=w.today, amount="40000.00")
    fan_out()
    # The request for £90,000 is moot; the payer is asked for the £50,000 left.
    assert ActionRequest.objects.get(pk=first.pk).close_reason == CloseReason.MOOT
    (rest,) = open_requests(kind=ActionKind.CYCLE_PAYMENT)
    assert rest.recipient.username == "cora"
    assert "£50,000.00" in rest.sentence and "£90,000.00" not in rest.sentence
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=w.today, amount="50000.00")
    fan_out()
    assert open_requests() == []
    assert ActionRequest.objects.get(pk=rest.pk).close_reason == CloseReason.TAKEN


def test_a_late_payment_notice_that_changes_nothing_asks_for_the_money_once(
    w: World, clock
) -> None:
    terms(w)
    cycle = apply(w)
    fan_out()
    # Friday 13 November: the notice's day passed; the payer is asked for the £95,000 applied.
    clock.move_to(dt.datetime(2026, 11, 13, 9, 0, tzinfo=dt.UTC))
    actions_due(now=dt.datetime.now(tz=dt.UTC))
    (pay,) = open_requests(kind=ActionKind.CYCLE_PAYMENT)
    # A payment notice given late keeps the application as the sum payable.
    cycle_payment_notice(
        cycle=cycle,
        actor=w.client_manager,
        given_on=dt.date(2026, 11, 13),
        notified_sum="90000.00",
        basis="The quantity surveyor's valuation of 31 October.",
    )
    fan_out()
    # The same request stands: no second request, so no second email asking for the same sum.
    assert open_requests(kind=ActionKind.CYCLE_PAYMENT) == [pay]
    assert ActionRequest.objects.filter(kind=ActionKind.CYCLE_PAYMENT).count() == 1


def test_the_payment_is_reminded_the_working_day_before_the_final_date_at_the_latest(
    w: World, clock
) -> None:
    terms(w)
    cycle = notify(w, apply(w))
    fan_out()
    pay = open_requests()[0]
    # Opened Monday 2 November: two working days, well before the final date of 24 November.
    assert (pay.remind_on, pay.escalate_on) == (dt.date(2026, 11, 4), dt.date(2026, 11, 9))
    clock.move_to(dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC))
    actions_due(now=dt.datetime.now(tz=dt.UTC))
    reminded = Notification.objects.get(
        user=w.client_manager,
        channel=Channel.INAPP,
        event_type=PublishedEvent.ACTION_REQUEST_REMINDED,
    )
    assert reminded.payload["action"]["sentence"] == pay.sentence
    assert reminded.payload["action"]["url"].endswith(f"/payment-cycles/{cycle.pk}/")


# --- a missed payment notice ---------------------------------------------------------------------


def test_a_missed_payment_notice_asks_the_payee_for_a_default_notice(w: World, clock) -> None:
    terms(w)
    cycle = apply(w)
    fan_out()
    # Friday 13 November: the payment notice's day passed with no notice.
    clock.move_to(dt.datetime(2026, 11, 13, 9, 0, tzinfo=dt.UTC))
    now = dt.datetime.now(tz=dt.UTC)
    actions_due(now=now)
    measurements_due(now=now)  # a second daily run the same day opens nothing more
    notice = ActionRequest.objects.get(kind=ActionKind.PAYMENT_NOTICE)
    assert notice.close_reason == CloseReason.EXPIRED
    (default,) = open_requests(kind=ActionKind.DEFAULT_NOTICE)
    assert default.recipient.username == "sam"
    assert default.sentence == (
        "Harbour City Council gave no payment notice for payment cycle 1 (the period to "
        "31 Oct 2026) by Thu 12 Nov 2026: the missed deadline makes the £95,000.00 applied for "
        "the sum payable. Northgate Construction may give a default notice to say so."
    )
    (pay,) = open_requests(kind=ActionKind.CYCLE_PAYMENT)
    assert pay.recipient.username == "cora"
    assert "£95,000.00" in pay.sentence
    cycle_default_notice(cycle=cycle, actor=w.supplier_manager, given_on=w.today + 11 * DAY)
    fan_out()
    assert ActionRequest.objects.get(pk=default.pk).close_reason == CloseReason.TAKEN
    # The default notice moved the final date: the old request is moot and the payer is asked
    # again, by the new date.
    assert ActionRequest.objects.get(pk=pay.pk).close_reason == CloseReason.MOOT
    (again,) = open_requests()
    cycle.refresh_from_db()
    assert again.kind == ActionKind.CYCLE_PAYMENT and again.recipient.username == "cora"
    assert cycle.final_date > dt.date(2026, 11, 24)
    assert (
        f"{cycle.final_date:%a} {cycle.final_date.day} {cycle.final_date:%b %Y}" in again.sentence
    )


def test_the_daily_scan_reads_each_missed_cycle_once(w: World, clock) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from milepost.alerts.engine.cycles import notices_missed

    terms(w)
    apply(w, period_end=dt.date(2026, 9, 30))
    apply(w, gross="200000.00")
    clock.move_to(dt.datetime(2026, 11, 13, 9, 0, tzinfo=dt.UTC))
    actions_due(now=dt.datetime.now(tz=dt.UTC))
    assert len(open_requests(kind=ActionKind.DEFAULT_NOTICE)) == 2
    # The next day the cycles already asked are not read again: one query, nothing found.
    with CaptureQueriesContext(connection) as queries:
        found = notices_missed(now=dt.datetime(2026, 11, 14, 9, 0, tzinfo=dt.UTC))
    assert found == []
    assert len(queries) == 1


def test_a_cycle_paid_in_full_is_never_asked_for_a_default_notice(w: World, clock) -> None:
    terms(w)
    cycle = apply(w)
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=w.today, amount="95000.00")
    fan_out()
    clock.move_to(dt.datetime(2026, 11, 13, 9, 0, tzinfo=dt.UTC))
    actions_due(now=dt.datetime.now(tz=dt.UTC))
    assert open_requests() == []


# --- net 30 --------------------------------------------------------------------------------------


def test_an_invoice_on_net_30_asks_only_for_the_payment(w: World) -> None:
    terms(w, regime=PaymentRegime.NET_30)
    apply(w)
    fan_out()
    (pay,) = open_requests()
    assert pay.kind == ActionKind.CYCLE_PAYMENT
    assert "£95,000.00" in pay.sentence and "Wed 2 Dec 2026" in pay.sentence


# --- a stage ------------------------------------------------------------------------------------


def test_a_stage_asks_for_its_notice_and_leaves_the_money_to_its_invoice(w: World) -> None:
    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime=PaymentRegime.SCHEME_EW,
        basis=CycleBasis.STAGES,
        payer=w.client,
        payee=w.supplier,
    )
    trigger = w.deliverable("Foundations complete", due_date=w.today - 10 * DAY)
    deliverable_accept(milestone=trigger, actor=w.client_manager, met_on=w.today - 5 * DAY)
    stage = payment_milestone_create(
        contract=w.contract,
        title="Foundation payment",
        owner=w.client_manager,
        due_date=w.today + 30 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount="100000.00",
        actor=w.client_manager,
    )
    cycle = cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=w.today,
        period_end=w.today,
        gross_value="100000.00",
        milestone=stage,
    )
    fan_out()
    asked = {(r.kind, r.recipient.username) for r in open_requests()}
    assert asked == {(ActionKind.PAYMENT_NOTICE, "cora"), (ActionKind.PAYMENT, "cora")}
    assert (
        "payment cycle 1 (Foundation payment)" in open_requests(kind="payment_notice")[0].sentence
    )
    notify(w, cycle, "100000.00")
    fan_out()
    assert {(r.kind, r.recipient.username) for r in open_requests()} == {
        (ActionKind.PAYMENT, "cora")
    }
    # The dashboard lists the stage once, with the payments due, not with the valuations.
    final = dt.datetime.combine(cycle.final_date, dt.time(9), tzinfo=dt.UTC)
    assert dashboard(user=w.client_manager, now=final).money == []


# --- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_shows_the_notices_and_money_due_this_week(w: World, clock) -> None:
    terms(w)
    cycle = apply(w)
    # Monday 9 November: the payment notice is due on Thursday.
    clock.move_to(dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC))
    board = dashboard(user=w.client_manager, now=dt.datetime.now(tz=dt.UTC))
    assert [(n.cycle.pk, n.deadline) for n in board.notices] == [(cycle.pk, dt.date(2026, 11, 12))]
    assert board.money == []
    # Monday 23 November: £95,000 falls due tomorrow.
    clock.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    board = dashboard(user=w.client_manager, now=dt.datetime.now(tz=dt.UTC))
    assert [(m.cycle.pk, m.outstanding) for m in board.money] == [(cycle.pk, Decimal("95000.00"))]
    page = signed_in(w.supplier_manager).get("/").content.decode()
    assert "Valuations: money due this week" in page and "£95,000.00" in page
    assert "Tue 24 Nov 2026" in page


def test_the_dashboard_cash_flow_counts_money_received_on_valuations(w: World, clock) -> None:
    terms(w)
    cycle = apply(w)
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    cycle_receipt_record(
        cycle=cycle, actor=w.client_manager, paid_on=dt.date(2026, 11, 20), amount="60000"
    )

    board = dashboard(user=w.client_manager, now=dt.datetime.now(tz=dt.UTC))

    [flow] = board.flows
    november = next(m for m in flow.months if m.month == dt.date(2026, 11, 1))
    assert (flow.currency, november.paid, flow.paid_total) == (
        "GBP",
        Decimal("60000.00"),
        Decimal("60000.00"),
    )
    # Nobody outside the contract's parties sees it.
    assert dashboard(user=w.outsider, now=dt.datetime.now(tz=dt.UTC)).flows == []


def test_the_dashboard_shows_no_money_of_contracts_the_user_cannot_see(w: World, clock) -> None:
    terms(w)
    apply(w)
    clock.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    board = dashboard(user=w.outsider, now=dt.datetime.now(tz=dt.UTC))
    assert (board.money, board.notices) == ([], [])


# --- the contract page ---------------------------------------------------------------------------


def test_the_contract_page_links_to_its_money_pages(w: World) -> None:
    page = signed_in(w.supplier_member).get(f"/contracts/{w.contract.pk}/").content.decode()
    for path in ("money", "retention", "damages", "cash-flow"):
        assert f'href="/contracts/{w.contract.pk}/{path}/"' in page, path


# --- the API -------------------------------------------------------------------------------------


def test_api_lists_the_money_and_notices_due_this_week(w: World, clock) -> None:
    terms(w)
    cycle = apply(w)
    clock.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    answer = signed_in(w.client_manager).get("/api/v1/me/money-due")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["first"], body["last"]) == ("2026-11-23", "2026-11-29")
    (money,) = body["money"]
    assert (money["cycle_id"], money["outstanding"], money["overdue"]) == (
        cycle.pk,
        "95000.00",
        False,
    )
    assert money["payer"] == "Harbour City Council"


def test_api_money_due_lists_the_first_of_each_with_how_many_there_are(w: World, clock) -> None:
    terms(w)
    september = apply(w, period_end=dt.date(2026, 9, 30))
    apply(w, gross="200000.00")
    # Friday 6 November: both payment notices fall due this week (and September's last day for
    # a pay less notice); nothing is payable yet.
    clock.move_to(dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.UTC))
    body = signed_in(w.client_manager).get("/api/v1/me/money-due?limit=1").json()
    assert [n["cycle_id"] for n in body["notices"]] == [september.pk]
    assert body["notices_total"] == 3
    # Monday 23 November: both are payable by their final dates, September's overdue.
    clock.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    body = signed_in(w.client_manager).get("/api/v1/me/money-due?limit=1").json()
    assert [(m["cycle_id"], m["overdue"]) for m in body["money"]] == [(september.pk, True)]
    assert body["money_total"] == 2
    board = dashboard(user=w.client_manager, now=dt.datetime.now(tz=dt.UTC), money=1)
    assert (len(board.money), board.money_total) == (1, 2)


def test_api_money_due_shows_an_outsider_nothing_and_a_stranger_is_refused(w: World, clock) -> None:
    terms(w)
    apply(w)
    clock.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    body = signed_in(w.outsider).get("/api/v1/me/money-due").json()
    assert (body["money"], body["notices"]) == ([], [])
    from django.test import Client

    assert Client().get("/api/v1/me/money-due").status_code == 401


def test_the_contract_page_adds_up_its_payment_cycles(w: World) -> None:
    terms(w)
    cycle = notify(w, apply(w))
    cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=w.today, amount="40000.00")
    page = signed_in(w.supplier_member).get(f"/contracts/{w.contract.pk}/").content.decode()
    # Applied £95,000; the notice pays £90,000, of which £40,000 is paid: £5,000 held back.
    assert (
        "£95,000.00 applied for in 1 payment cycle; £40,000.00 paid, £50,000.00 outstanding, "
        "and £5,000.00 held back by the payer's notices." in page
    )
    assert '<a href="#money">Money</a>' in page
