"""Action requests: opened and closed from the event log, reminded, escalated, and shown."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from milepost.accounts.choices import Role
from milepost.alerts.actions import action_rule_set
from milepost.alerts.choices import ActionKind, Channel, CloseReason, Digest, Kind, Status
from milepost.alerts.engine import actions_due, events_fan_out, tick
from milepost.alerts.events import AlertEvent, PublishedEvent
from milepost.alerts.inbox import alert_preference_set
from milepost.alerts.models import ActionRequest, Notification
from milepost.alerts.views.actions import waiting_words
from milepost.alerts.webhooks import webhook_endpoint_create
from milepost.approvals.choices import Decision
from milepost.approvals.services import gate_create, gate_decide
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.services import contract_set_status, non_working_day_add
from milepost.core.errors import Forbidden, NotFound
from milepost.milestones.models import UpdateRequest
from milepost.milestones.updates import update_request_answer, update_round_request
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.performance.services import measurement_record, performance_milestone_create
from milepost.schedule.acceptance import deliverable_accept, deliverable_reject, deliverable_submit
from milepost.schedule.changes import (
    change_request_approve,
    change_request_reject,
    change_request_submit,
    change_request_withdraw,
)
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.risks.recovery import recovery_action_add, recovery_action_complete
from milepost.schedule.services import milestone_set_status

from .conftest import World, make_user
from .helpers import refused, signed_in

# A Monday; London is on summer time (UTC+1) from 29 March. Friday 3 April 2026 is Good Friday and Monday 6 April
# Easter Monday in England: the reminder tests count working days across them.
START = dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HOLIDAY_REGION = "ENG"

pytestmark = pytest.mark.usefixtures("clock")


def fan_out() -> None:
    """Let the worker read the new events (twice: the second run must change nothing)."""
    events_fan_out(now=dt.datetime.now(tz=dt.UTC))
    events_fan_out(now=dt.datetime.now(tz=dt.UTC))


def open_requests(**filters: object) -> list[ActionRequest]:
    return list(ActionRequest.objects.filter(closed_at__isnull=True, **filters).order_by("pk"))


def recipients(**filters: object) -> set[str]:
    return {r.recipient.username for r in open_requests(**filters)}


def change(w: World, **overrides: object):
    milestone = overrides.pop("milestone", None) or w.deliverable("Structure topped out")
    fields = {
        "milestone": milestone,
        "reason": "Steel arrives late.",
        "new_due_date": milestone.due_date + 14 * DAY,
        "actor": w.supplier_manager,
    }
    fields.update(overrides)
    return change_request_submit(**fields)


# --- change requests ---------------------------------------------------------------------------


def test_a_submitted_change_asks_the_counterparty_managers_once(w: World) -> None:
    cr = change(w)
    fan_out()
    # The client and the consultant are the counterparty; the supplier asked.
    assert recipients(kind=ActionKind.CHANGE_APPROVAL) == {"cora", "connor"}
    request = open_requests(recipient=w.client_manager)[0]
    assert request.url == f"/change-requests/{cr.pk}/"
    old, new = cr.old_due_date, cr.new_due_date
    assert request.sentence == (
        f"{w.supplier_manager.username} asked Harbour City Council to approve moving Structure "
        f"topped out from {old.day} {old:%b %Y} to {new.day} {new:%b %Y}."
    )
    rows = Notification.objects.filter(user=w.client_manager, kind=Kind.ACTION)
    assert {r.channel for r in rows} == {Channel.INAPP, Channel.EMAIL}
    assert {r.event_type for r in rows} == {PublishedEvent.ACTION_REQUEST_OPENED}


def test_an_approved_change_closes_every_request_and_tells_the_proposer(w: World) -> None:
    cr = change(w)
    fan_out()
    change_request_approve(change=cr, actor=w.client_manager)
    fan_out()
    assert open_requests() == []
    closed = ActionRequest.objects.filter(kind=ActionKind.CHANGE_APPROVAL)
    assert {r.close_reason for r in closed} == {CloseReason.TAKEN}
    told = Notification.objects.get(user=w.supplier_manager, channel=Channel.INAPP)
    assert told.event_type == PublishedEvent.CHANGE_REQUEST_APPROVED
    assert told.payload["summary"].startswith("cora approved moving Structure topped out from")


def test_a_rejected_change_tells_the_proposer_why(w: World) -> None:
    cr = change(w)
    fan_out()
    change_request_reject(change=cr, actor=w.client_manager, note="The date is fixed.")
    fan_out()
    told = Notification.objects.get(user=w.supplier_manager, channel=Channel.INAPP)
    assert told.event_type == PublishedEvent.CHANGE_REQUEST_REJECTED
    assert told.payload["summary"].endswith("The date is fixed.")


def test_a_withdrawn_change_closes_its_requests_as_moot(w: World) -> None:
    cr = change(w)
    fan_out()
    change_request_withdraw(change=cr, actor=w.supplier_manager)
    fan_out()
    assert {r.close_reason for r in ActionRequest.objects.all()} == {CloseReason.MOOT}


def test_reading_the_same_events_twice_opens_nothing_twice(w: World) -> None:
    change(w)
    events_fan_out(now=START)
    first = (ActionRequest.objects.count(), Notification.objects.count())
    # A retried event (the cursor moved back, as after a crash) is read again.
    from milepost.alerts.models import WorkerCursor

    WorkerCursor.objects.filter(name="events").update(position=0)
    events_fan_out(now=START)
    assert (ActionRequest.objects.count(), Notification.objects.count()) == first


# --- gates ---------------------------------------------------------------------------------------


def gate(w: World, title: str = "Fit-out stage gate"):
    return gate_create(
        contract=w.contract,
        title=title,
        owner=w.client_manager,
        responsible_party=w.client,
        due_date=w.today + 40 * DAY,
        required_parties=[w.client, w.consultant],
        acceptance_criteria="Programme accepted.",
        actor=w.client_manager,
    )


def test_a_gate_with_nothing_before_it_asks_each_required_party(w: World) -> None:
    g = gate(w)
    fan_out()
    assert recipients(kind=ActionKind.GATE_DECISION, milestone=g) == {"cora", "connor"}


def test_a_gate_waits_for_its_predecessor_then_asks(w: World) -> None:
    before = w.deliverable("Structure topped out")
    g = gate(w)
    dependency_add(predecessor=before, successor=g, actor=w.client_manager)
    fan_out()
    # The gate.approver_required events came before the link: read in one batch, the gate
    # was already linked when the worker looked, so nothing is asked yet.
    assert open_requests(kind=ActionKind.GATE_DECISION) == []
    deliverable_accept(milestone=before, actor=w.client_manager)
    fan_out()
    assert recipients(kind=ActionKind.GATE_DECISION) == {"cora", "connor"}


def test_a_party_deciding_closes_its_own_request_only(w: World) -> None:
    g = gate(w)
    fan_out()
    gate_decide(milestone=g, party=w.client, decision=Decision.APPROVE, actor=w.client_manager)
    fan_out()
    assert recipients(kind=ActionKind.GATE_DECISION) == {"connor"}
    gate_decide(
        milestone=g, party=w.consultant, decision=Decision.APPROVE, actor=w.consultant_manager
    )
    fan_out()
    assert open_requests() == []
    assert {r.close_reason for r in ActionRequest.objects.all()} == {CloseReason.TAKEN}


# --- acceptance ----------------------------------------------------------------------------------


def test_a_submitted_deliverable_asks_the_receiving_party(w: World) -> None:
    m = w.deliverable()
    deliverable_submit(milestone=m, note="Certificate attached.", actor=w.supplier_member)
    fan_out()
    assert recipients(kind=ActionKind.ACCEPTANCE) == {"cora"}


def test_acceptance_closes_the_request_and_tells_the_owner(w: World) -> None:
    m = w.deliverable()
    deliverable_submit(milestone=m, note="Certificate attached.", actor=w.supplier_member)
    fan_out()
    deliverable_accept(milestone=m, actor=w.client_manager)
    fan_out()
    assert open_requests() == []
    assert ActionRequest.objects.get().close_reason == CloseReason.TAKEN
    told = Notification.objects.get(user=w.supplier_member, channel=Channel.INAPP)
    assert told.event_type == PublishedEvent.DELIVERABLE_ACCEPTED


def test_sending_back_tells_the_owner_what_to_change(w: World) -> None:
    m = w.deliverable()
    deliverable_submit(milestone=m, note="Certificate attached.", actor=w.supplier_member)
    fan_out()
    deliverable_reject(milestone=m, actor=w.client_manager, comment="The certificate is unsigned.")
    fan_out()
    assert open_requests() == []
    told = Notification.objects.get(user=w.supplier_member, channel=Channel.INAPP)
    assert told.event_type == PublishedEvent.DELIVERABLE_SENT_BACK
    assert "The certificate is unsigned." in told.payload["summary"]


def test_a_cancelled_milestone_closes_what_was_asked_about_it(w: World) -> None:
    m = w.deliverable()
    deliverable_submit(milestone=m, note="Certificate attached.", actor=w.supplier_member)
    change(w, milestone=m)
    fan_out()
    assert len(open_requests()) == 3
    milestone_set_status(
        milestone=m,
        status=MilestoneStatus.CANCELLED,
        reason="Scope removed.",
        actor=w.client_manager,
    )
    fan_out()
    assert open_requests() == []
    assert {r.close_reason for r in ActionRequest.objects.all()} == {CloseReason.MOOT}


def test_a_closed_contract_closes_its_requests(w: World) -> None:
    change(w)
    fan_out()
    contract_set_status(
        contract=w.contract, status=ContractStatus.TERMINATED, actor=w.client_manager
    )
    fan_out()
    assert open_requests() == []


# --- payments ------------------------------------------------------------------------------------


def test_an_invoice_asks_the_payer_and_a_payment_tells_the_payee(w: World) -> None:
    trigger = w.deliverable("Foundation complete", due_date=w.today - 5 * DAY)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    pay = payment_milestone_create(
        contract=w.contract,
        title="Foundation payment",
        owner=w.client_manager,
        due_date=w.today + 20 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount=Decimal("300000.00"),
        actor=w.client_manager,
    )
    payment_record_invoice(
        milestone=pay, invoiced_on=w.today, amount="300000.00", actor=w.supplier_manager
    )
    fan_out()
    assert recipients(kind=ActionKind.PAYMENT) == {"cora"}
    payment_record_paid(milestone=pay, paid_on=w.today, amount="100000.00", actor=w.client_manager)
    fan_out()
    # Part paid: still waiting; the payee hears of the money.
    assert recipients(kind=ActionKind.PAYMENT) == {"cora"}
    told = Notification.objects.get(user=w.supplier_manager, channel=Channel.INAPP)
    assert told.event_type == PublishedEvent.PAYMENT_RECEIVED
    assert "£100,000.00" in told.payload["summary"]
    payment_record_paid(milestone=pay, paid_on=w.today, amount="200000.00", actor=w.client_manager)
    fan_out()
    assert open_requests() == []
    assert ActionRequest.objects.get().close_reason == CloseReason.TAKEN


# --- measurements --------------------------------------------------------------------------------


def test_the_owner_is_asked_for_a_measurement_once_its_period_ends(w: World, clock) -> None:
    kpi = performance_milestone_create(
        contract=w.contract,
        title="Helpdesk availability",
        owner=w.supplier_member,
        responsible_party=w.supplier,
        due_date=w.today + 90 * DAY,
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction="at_least",
        period="week",
        measurement_start=w.today - 3 * DAY,
        actor=w.supplier_manager,
    )
    now = dt.datetime.now(tz=dt.UTC)
    actions_due(now=now)
    assert open_requests(kind=ActionKind.MEASUREMENT) == []
    later = now + 5 * DAY
    clock.move_to(later)
    actions_due(now=later)
    actions_due(now=later)
    request = open_requests(kind=ActionKind.MEASUREMENT)
    assert [r.recipient for r in request] == [w.supplier_member]
    measurement_record(
        milestone=kpi, period_start=w.today - 3 * DAY, value="99.9", actor=w.supplier_member
    )
    fan_out()
    assert open_requests() == []


# --- recovery actions and update requests --------------------------------------------------------


def test_a_recovery_action_asks_its_owner_until_done(w: World) -> None:
    late = w.deliverable("Roof on", due_date=w.today - 5 * DAY)
    action = recovery_action_add(
        milestone=late,
        cause="Crane broke down.",
        plan="Hire a second crane.",
        owner=w.supplier_member,
        new_target=w.today + 10 * DAY,
        actor=w.supplier_manager,
    )
    fan_out()
    assert recipients(kind=ActionKind.RECOVERY) == {"sid"}
    recovery_action_complete(action=action, actor=w.supplier_member)
    fan_out()
    assert open_requests() == []


def test_an_update_request_asks_the_owner_and_an_answer_closes_it(w: World) -> None:
    m = w.deliverable(owner=w.supplier_member)
    update_round_request(contract=w.contract, milestone=m, actor=w.supplier_manager)
    fan_out()
    [request] = open_requests(kind=ActionKind.PROGRESS_UPDATE)
    assert request.recipient == w.supplier_member
    assert request.url.startswith("/") and request.expires_at is not None
    assert request.escalate_on is None
    asked = UpdateRequest.objects.get()
    update_request_answer(request=asked, progress=40, note="Going well.", actor=w.supplier_member)
    fan_out()
    assert open_requests() == []


def test_an_unanswered_update_request_expires(w: World, clock) -> None:
    m = w.deliverable(owner=w.supplier_member)
    update_round_request(contract=w.contract, milestone=m, actor=w.supplier_manager)
    fan_out()
    later = dt.datetime.now(tz=dt.UTC) + 8 * DAY
    clock.move_to(later)
    actions_due(now=later)
    assert ActionRequest.objects.get().close_reason == CloseReason.EXPIRED


# --- reminders and escalation ------------------------------------------------------------------


def run_at(clock, when: dt.datetime) -> None:
    clock.move_to(when)
    while tick(now=when).busy:
        pass


def test_a_waiting_request_is_reminded_then_escalated_on_working_days(w: World, clock) -> None:
    change(w)
    run_at(clock, START)
    # An admin who joined after the request opened: not asked, but told of the escalation.
    admin = make_user("carl", w.client_org, Role.ADMIN)
    [request] = open_requests(recipient=w.client_manager)
    # Opened Monday 30 March; Good Friday (3 April), the weekend and Easter Monday do not count.
    assert request.remind_on == dt.date(2026, 4, 1)
    assert request.escalate_on == dt.date(2026, 4, 8)
    run_at(clock, dt.datetime(2026, 4, 1, 6, 59, tzinfo=dt.UTC))
    reminders = Notification.objects.filter(event_type=PublishedEvent.ACTION_REQUEST_REMINDED)
    assert not reminders.filter(status=Status.SENT)
    run_at(clock, dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC))
    reminded = Notification.objects.filter(
        event_type=PublishedEvent.ACTION_REQUEST_REMINDED, user=w.client_manager
    )
    # At Cora's hour, 08:00 in London (summer time: 07:00 UTC), once.
    assert {r.send_after for r in reminded} == {dt.datetime(2026, 4, 1, 7, 0, tzinfo=dt.UTC)}
    assert reminded.count() == 2
    run_at(clock, dt.datetime(2026, 4, 7, 9, 0, tzinfo=dt.UTC))
    assert not Notification.objects.filter(event_type=PublishedEvent.ACTION_REQUEST_ESCALATED)
    run_at(clock, dt.datetime(2026, 4, 8, 10, 0, tzinfo=dt.UTC))
    run_at(clock, dt.datetime(2026, 4, 9, 10, 0, tzinfo=dt.UTC))
    escalated = Notification.objects.filter(event_type=PublishedEvent.ACTION_REQUEST_ESCALATED)
    # To the organisation's other admins and managers, once; Cora is not told of her own delay.
    assert {(r.user, r.channel) for r in escalated} == {
        (admin, Channel.INAPP),
        (admin, Channel.EMAIL),
    }
    assert escalated[0].payload["summary"].startswith("cora has not acted since 30 Mar 2026")
    request.refresh_from_db()
    assert request.next_at is None


def test_a_progress_update_request_is_reminded_once_and_never_escalated(w: World, clock) -> None:
    m = w.deliverable(owner=w.supplier_member)
    update_round_request(contract=w.contract, milestone=m, actor=w.supplier_manager)
    run_at(clock, START)
    for days in range(1, 7):
        run_at(clock, START + days * DAY)
    sent = Notification.objects.filter(kind=Kind.ACTION, user=w.supplier_member)
    assert sorted({r.event_type for r in sent}) == [
        PublishedEvent.ACTION_REQUEST_OPENED,
        PublishedEvent.ACTION_REQUEST_REMINDED,
    ]
    assert sent.filter(event_type=PublishedEvent.ACTION_REQUEST_REMINDED).count() == 2


def test_an_organisation_sets_its_own_wait(w: World, clock) -> None:
    action_rule_set(
        actor=w.client_manager, organisation=w.client_org, remind_after=1, escalate_after=3
    )
    assert Event.objects.filter(action=AlertEvent.ACTION_RULE_SET).count() == 1
    change(w)
    run_at(clock, START)
    request = open_requests(recipient=w.client_manager)[0]
    assert (request.remind_on, request.escalate_on) == (dt.date(2026, 3, 31), dt.date(2026, 4, 2))


def test_the_wait_is_set_by_a_manager_of_the_organisation_only(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        action_rule_set(
            actor=w.client_member, organisation=w.client_org, remind_after=1, escalate_after=3
        )
    with refused("not_found", error=NotFound):
        action_rule_set(
            actor=w.outsider, organisation=w.client_org, remind_after=1, escalate_after=3
        )


def test_escalation_comes_after_the_reminder(w: World) -> None:
    with refused("escalate_before_reminder", "escalate_after"):
        action_rule_set(
            actor=w.client_manager, organisation=w.client_org, remind_after=3, escalate_after=3
        )
    with refused("invalid_remind_after", "remind_after"):
        action_rule_set(
            actor=w.client_manager, organisation=w.client_org, remind_after=0, escalate_after=3
        )


# --- the page, the dashboard, the navigation and the API -----------------------------------------


def test_the_page_lists_what_waits_oldest_first_with_a_link_to_act(w: World, clock) -> None:
    first = change(w)
    clock.shift(dt.timedelta(hours=1))
    g = gate(w)
    fan_out()
    page = signed_in(w.client_manager).get("/actions/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Approve a change") < text.index("Decide a gate")
    assert f'href="/change-requests/{first.pk}/"' in text
    assert f'href="/milestones/{g.pk}/"' in text
    assert "since today" in text
    # The navigation counts them.
    assert '<span class="count">2</span>' in text


def test_another_organisations_user_sees_none_of_them(w: World) -> None:
    change(w)
    fan_out()
    for user in (w.outsider, w.supplier_manager):
        text = signed_in(user).get("/actions/").content.decode()
        assert "Nothing is waiting for you." in text
        assert "Structure topped out" not in text


def test_the_dashboard_shows_the_waiting_panel(w: World) -> None:
    change(w)
    fan_out()
    text = signed_in(w.client_manager).get("/").content.decode()
    assert "Waiting for you" in text and "Approve or reject" in text


def test_the_api_lists_your_open_requests(w: World) -> None:
    cr = change(w)
    fan_out()
    response = signed_in(w.client_manager).get("/api/v1/me/actions")
    assert response.status_code == 200
    [item] = response.json()
    assert item["kind"] == "change_approval"
    assert item["url"].endswith(f"/change-requests/{cr.pk}/")
    assert item["organisation"] == "Harbour City Council"
    assert signed_in(w.outsider).get("/api/v1/me/actions").json() == []


def test_the_api_refuses_an_anonymous_caller(w: World, client) -> None:
    assert client.get("/api/v1/me/actions").status_code == 401
    assert client.get("/actions/").status_code == 302


def test_a_member_sees_the_wait_but_may_not_change_it(w: World) -> None:
    slug = w.client_org.slug
    page = signed_in(w.client_member).post(
        f"/actions/organisations/{slug}/", {"remind_after": 1, "escalate_after": 3}
    )
    assert page.status_code == 200
    assert "Only a manager or admin" in page.content.decode()
    assert not Event.objects.filter(action=AlertEvent.ACTION_RULE_SET).exists()
    assert signed_in(w.outsider).get(f"/actions/organisations/{slug}/").status_code == 404
    done = signed_in(w.client_manager).post(
        f"/actions/organisations/{slug}/", {"remind_after": 1, "escalate_after": 3}
    )
    assert done.status_code == 302
    assert Event.objects.filter(action=AlertEvent.ACTION_RULE_SET).count() == 1


# --- the whole loop, on a real SMTP server --------------------------------------------------------


def test_the_approver_is_emailed_approves_from_the_link_and_the_proposer_hears(
    w: World, inbox, clock
) -> None:
    cr = change(w)
    run_at(clock, START)
    [asked] = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "cora@example.test"]
    body = asked.get_body(("plain",)).get_content()
    link = f"https://milepost.example.test/change-requests/{cr.pk}/"
    assert "asked Harbour City Council to approve moving Structure topped out from" in body
    assert f"Approve or reject: {link}" in body
    page = signed_in(w.client_manager).post(
        link.removeprefix("https://milepost.example.test"), {"approve": "1", "note": "Agreed."}
    )
    assert page.status_code == 302
    run_at(clock, START + dt.timedelta(minutes=5))
    [told] = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "sam@example.test"]
    assert "cora approved moving Structure topped out" in told.get_body(("plain",)).get_content()
    assert "approved" in told["Subject"]


def test_the_asked_organisations_webhooks_hear_of_the_request_and_its_close(w: World) -> None:
    # (Only queued here: nothing is posted, the address is not on loopback.)
    admin = make_user("ada", w.client_org, Role.ADMIN)
    endpoint = webhook_endpoint_create(
        organisation=w.client_org, url="https://93.184.215.14/hooks/milepost", actor=admin
    )
    cr = change(w)
    fan_out()
    change_request_approve(change=cr, actor=w.client_manager)
    fan_out()
    hooks = Notification.objects.filter(endpoint=endpoint, kind=Kind.ACTION)
    # Cora's and Ada's requests (both manage the client), each opened then closed.
    assert sorted(h.event_type for h in hooks) == [
        PublishedEvent.ACTION_REQUEST_CLOSED,
        PublishedEvent.ACTION_REQUEST_CLOSED,
        PublishedEvent.ACTION_REQUEST_OPENED,
        PublishedEvent.ACTION_REQUEST_OPENED,
    ]
    closed = hooks.filter(event_type=PublishedEvent.ACTION_REQUEST_CLOSED).first()
    assert closed is not None and closed.payload["action"]["state"] == "taken"


def test_a_digest_reader_finds_the_request_under_waiting_for_you(w: World, clock) -> None:
    alert_preference_set(user=w.client_manager, actor=w.client_manager, digest=Digest.DAILY)
    change(w)
    run_at(clock, START)
    run_at(clock, START + DAY)
    [message] = [m for m in mail.outbox if m.to == ["cora@example.test"]]
    assert "Waiting for you" in message.body
    assert "Approve or reject: http" in message.body


def test_the_contracts_own_days_off_do_not_count(w: World, clock) -> None:
    non_working_day_add(
        contract=w.contract, day=dt.date(2026, 3, 31), reason="Site closed.", actor=w.client_manager
    )
    change(w)
    run_at(clock, START)
    request = open_requests(recipient=w.client_manager)[0]
    assert request.remind_on == dt.date(2026, 4, 2)


def test_opening_the_in_app_notice_leads_where_the_action_is_taken(w: World, clock) -> None:
    cr = change(w)
    run_at(clock, START)
    row = Notification.objects.get(user=w.client_manager, channel=Channel.INAPP)
    response = signed_in(w.client_manager).post(f"/notifications/{row.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/change-requests/{cr.pk}/"


def test_how_long_a_request_waited_counts_days_on_the_contracts_own_calendar(w: World) -> None:
    # 13:00 UTC on 1 June is 01:00 on 2 June in Auckland: a request opened five minutes ago
    # waits "since today" there, though the two instants fall on different UTC dates.
    w.contract.time_zone = "Pacific/Auckland"
    now = dt.datetime(2026, 6, 1, 13, 0, tzinfo=dt.UTC)
    request = ActionRequest(contract=w.contract, opened_at=now - dt.timedelta(minutes=5))
    assert waiting_words(request, now) == "since today"
    request.opened_at = now - dt.timedelta(hours=2)  # 23:00 on 1 June, Auckland time
    assert waiting_words(request, now) == "since yesterday"
