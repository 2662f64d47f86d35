"""Email delivered to a real SMTP server on loopback and read back; the one-link unsubscribe."""

import datetime as dt
import socket
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from milepost.alerts.choices import Channel, Kind
from milepost.alerts.emails import (
    email_unsubscribe,
    send_batch,
    unsubscribe_read,
    unsubscribe_token,
)
from milepost.alerts.errors import DeliveryError
from milepost.alerts.models import AlertPreference, Notification, Watch
from milepost.approvals.services import gate_create
from milepost.audit.models import Event
from milepost.contracts.choices import PartyRole
from milepost.schedule.choices import Criticality, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_create
from tests.helpers import refused

from .conftest import World
from .peers import Inbox

# A Monday in winter: London is on UTC, so every contract's today is 2 March 2026.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = START.date()
CONSEQUENCE = "Liquidated damages of 2,000 GBP a day under clause 14.2."


def absolute(name: str, pk: int) -> str:
    return f"{settings.MILEPOST_BASE_URL}{reverse(name, args=[pk])}"


def payload(milestone: Milestone, event_type: str, **extra: Any) -> dict[str, Any]:
    """A notification payload shaped as the engine stores it."""
    contract = milestone.contract
    return {
        "type": event_type,
        "summary": f"[{contract.reference}] {milestone.title}",
        "days": (milestone.due_date - TODAY).days,
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "title": contract.title,
            "url": absolute("reporting:contract-detail", contract.pk),
        },
        "milestone": {
            "id": milestone.pk,
            "title": milestone.title,
            "kind": milestone.kind,
            "criticality": milestone.criticality,
            "due_date": milestone.due_date.isoformat(),
            "status": milestone.status,
            "owner": str(milestone.owner),
            "url": absolute("milestones:milestone-detail", milestone.pk),
            "consequence": CONSEQUENCE,
        },
        **extra,
    }


def row(
    user: Any,
    milestone: Milestone | None,
    event_type: str,
    *,
    channel: str = Channel.EMAIL,
    kind: str = Kind.REMINDER,
    batch: str = "",
    catch_up: bool = False,
    data: dict[str, Any] | None = None,
    fire_on: dt.date | None = None,
) -> Notification:
    """Queue one notification row directly, as the engine would."""
    return Notification.objects.create(
        key=f"test:{event_type}:{milestone.pk if milestone else 0}:{user.pk}:{channel}:{batch}"
        f":{Notification.objects.count()}",
        kind=kind,
        channel=channel,
        event_type=event_type,
        user=user,
        contract=milestone.contract if milestone else None,
        milestone=milestone,
        payload=data if data is not None else payload(milestone, event_type),  # type: ignore[arg-type]
        send_after=START,
        batch=batch,
        catch_up=catch_up,
        fire_on=fire_on,
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def ids_of(message: EmailMessage) -> list[int]:
    """The notification ids an email says it carries."""
    return [int(part) for part in str(message["X-Milepost-Notifications"]).split(",")]


def token_of(message: EmailMessage) -> str:
    """The signed token in an email's List-Unsubscribe address."""
    return str(message["List-Unsubscribe"]).strip().strip("<>").rstrip("/").rsplit("/", 1)[1]


def second_contract(w: World) -> Milestone:
    """Another contract between the same client and supplier, with one milestone on it."""
    contract = w.other_contract(
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=200),
        active=True,
    )
    return milestone_create(
        contract=contract,
        kind="deliverable",
        title="Surface laid",
        owner=w.supplier_member,
        responsible_party=contract.parties.get(role=PartyRole.SUPPLIER),
        accepting_party=contract.parties.get(role=PartyRole.CLIENT),
        due_date=TODAY - dt.timedelta(days=4),
        acceptance_criteria="Surface tested.",
        actor=w.client_manager,
    )


# Single messages


def test_reminder_email_says_what_is_due_when_for_which_contract_and_links_to_it(
    w: World, inbox: Inbox
) -> None:
    milestone = w.deliverable(due_date=TODAY + dt.timedelta(days=7), criticality="critical")
    notification = row(w.supplier_member, milestone, "milestone.due_soon")

    send_batch([notification])

    [message] = inbox.messages
    assert message["Subject"] == "Due in 7 days: [HCC-2026-001] Foundation complete"
    assert message["To"] == "sid@example.test"
    assert message["Auto-Submitted"] == "auto-generated"
    assert ids_of(message) == [notification.pk]
    text, html = parts(message)
    link = absolute("milestones:milestone-detail", milestone.pk)
    for body in (text, html):
        assert "Monday 9 March 2026" in body
        assert "in 7 days" in body
        assert "HCC-2026-001" in body and "Harbour library extension" in body
        assert "Liquidated damages of 2,000 GBP a day" in body
        assert "Critical" in body
        assert str(w.supplier_member) in body
        assert link in body
        assert "could not send this on time" not in body


def test_message_id_is_stable_when_the_same_row_is_sent_again(w: World, inbox: Inbox) -> None:
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon")

    send_batch([notification])
    send_batch([notification])

    first, second = inbox.messages
    assert first["Message-ID"] == f"<msg_{notification.pk}@milepost.example.test>"
    assert second["Message-ID"] == first["Message-ID"]


def test_email_offers_one_click_unsubscribe_that_works(w: World, inbox: Inbox) -> None:
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon")

    send_batch([notification])

    [message] = inbox.messages
    header = str(message["List-Unsubscribe"]).strip()
    base = "https://milepost.example.test"
    assert header.startswith(f"<{base}/unsubscribe/") and header.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>")
    text, html = parts(message)
    assert url in text and url in html
    # What a mail provider does with the two headers (RFC 8058).
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix(base),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not email_on(w.supplier_member)


def test_overdue_and_escalation_subjects_count_the_days_late(w: World, inbox: Inbox) -> None:
    milestone = w.deliverable(due_date=TODAY - dt.timedelta(days=3))
    send_batch([row(w.supplier_member, milestone, "milestone.overdue")])
    escalation = payload(milestone, "milestone.escalated", days=-5)
    send_batch([row(w.supplier_manager, milestone, "milestone.escalated", data=escalation)])

    overdue, escalated = inbox.messages
    assert overdue["Subject"] == "Overdue by 3 days: [HCC-2026-001] Foundation complete"
    assert "3 days ago" in parts(overdue)[0]
    assert (
        escalated["Subject"] == "Escalation: [HCC-2026-001] Foundation complete overdue by 5 days"
    )


def test_stakeholder_update_shows_the_text_and_unsubscribes_from_its_watch(
    w: World, inbox: Inbox
) -> None:
    milestone = w.deliverable()
    event = {
        "id": 1,
        "action": "milestone.status_update",
        "actor": "sid",
        "occurred_at": "2026-03-02T08:30:00+00:00",
        "text": "Pour delayed by rain; crew back on Thursday.",
        "before": None,
        "after": None,
    }
    data = payload(milestone, "milestone.status_update", event=event, watch=f"c{w.contract.pk}")
    send_batch(
        [row(w.client_manager, milestone, "milestone.status_update", kind=Kind.UPDATE, data=data)]
    )

    [message] = inbox.messages
    assert message["Subject"] == "Status update on [HCC-2026-001] Foundation complete"
    assert unsubscribe_read(token=token_of(message)).scope == f"watch:c{w.contract.pk}"
    text, html = parts(message)
    for body in (text, html):
        assert "Pour delayed by rain; crew back on Thursday." in body
        assert "sid, 2 Mar 2026 08:30" in body
        assert "updates about the contract HCC-2026-001" in body


def test_notice_uses_its_summary_and_link(w: World, inbox: Inbox) -> None:
    data = {
        "type": "notice.webhook_disabled",
        "summary": "Webhook https://hooks.example.test/in was disabled after 3 days of failures.",
        "url": "https://milepost.example.test/webhooks/4/",
    }
    send_batch([row(w.outsider, None, "notice.webhook_disabled", kind=Kind.NOTICE, data=data)])

    [message] = inbox.messages
    assert message["Subject"] == data["summary"]
    text, html = parts(message)
    assert data["url"] in text and data["url"] in html


def test_late_single_reminder_says_it_is_late(w: World, inbox: Inbox) -> None:
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon", catch_up=True)

    send_batch([notification])

    text, html = parts(inbox.messages[0])
    assert "Milepost could not send this on time; here is where things stand now." in text
    assert "Milepost could not send this on time; here is where things stand now." in html


# Bundles


def test_digest_is_one_email_grouped_per_contract_with_gates_awaiting_the_reader(
    w: World, inbox: Inbox, django_assert_max_num_queries: Any
) -> None:
    with time_machine.travel(START, tick=False):
        soon = w.deliverable("Foundation complete", due_date=TODAY + dt.timedelta(days=2))
        met = w.deliverable("Site cleared", due_date=TODAY - dt.timedelta(days=1))
        other = second_contract(w)
        gate = gate_create(
            contract=w.contract,
            title="Design freeze approved",
            owner=w.client_manager,
            responsible_party=w.client,
            due_date=TODAY + dt.timedelta(days=10),
            required_parties=[w.client],
            acceptance_criteria="Design signed off.",
            actor=w.client_manager,
        )
    reader = w.client_manager
    rows = [
        row(reader, soon, "milestone.due_soon", channel=Channel.DIGEST, batch="d1"),
        row(reader, met, "milestone.met", channel=Channel.DIGEST, kind=Kind.UPDATE, batch="d1"),
        row(reader, other, "milestone.overdue", channel=Channel.DIGEST, batch="d1"),
    ]
    for notification in rows:
        notification.user = reader

    with time_machine.travel(START, tick=False), django_assert_max_num_queries(4):
        send_batch(rows)

    [message] = inbox.messages
    assert message["Subject"] == "Your Milepost digest: 3 updates"
    assert message["Message-ID"] == "<msg_d1@milepost.example.test>"
    assert ids_of(message) == [r.pk for r in rows]
    text, html = parts(message)
    first = text.index("== HCC-2026-001 Harbour library extension ==")
    second = text.index("== HCC-2026-002 Harbour car park resurfacing ==")
    assert first < text.index("Due soon") < text.index("Met") < text.index("Gates waiting on you")
    assert text.index("Gates waiting on you") < second < text.index("Overdue or slipped")
    assert "Design freeze approved: waiting for your decision for Harbour City Council" in text
    assert absolute("milestones:milestone-detail", gate.pk) in text
    for body in (text, html):
        assert absolute("milestones:milestone-detail", soon.pk) in body
        assert absolute("milestones:milestone-detail", other.pk) in body
        assert "Harbour car park resurfacing" in body


def test_catch_up_bundle_lists_each_milestone_once_as_it_stands_now(w: World, inbox: Inbox) -> None:
    with time_machine.travel(START, tick=False):
        late = w.deliverable("Foundation complete", due_date=TODAY - dt.timedelta(days=2))
        done = w.deliverable("Site cleared", due_date=TODAY + dt.timedelta(days=3))
        Milestone.objects.filter(pk=done.pk).update(status=MilestoneStatus.MET)
    user = w.supplier_member
    rows = [
        row(
            user,
            late,
            "milestone.due_soon",
            batch="c1",
            catch_up=True,
            fire_on=TODAY - dt.timedelta(days=3),
        ),
        row(
            user,
            late,
            "milestone.due_soon",
            batch="c1",
            catch_up=True,
            fire_on=TODAY - dt.timedelta(days=2),
        ),
        row(
            user,
            done,
            "milestone.due_soon",
            batch="c1",
            catch_up=True,
            fire_on=TODAY - dt.timedelta(days=4),
        ),
    ]

    with time_machine.travel(START, tick=False):
        send_batch(rows)

    [message] = inbox.messages
    assert message["Subject"] == "Catch-up: 2 reminders while Milepost was offline"
    assert ids_of(message) == [r.pk for r in rows]
    text, html = parts(message)
    for body in (text, html):
        assert "here is where things stand now" in body
        assert body.count("Foundation complete") == 1
        assert "Saturday 28 February 2026" in body and "2 days ago" in body
        assert "Now met: nothing more is due" in body


def test_large_digest_keeps_every_line_within_the_smtp_limit(w: World, inbox: Inbox) -> None:
    notices = [
        row(
            w.outsider,
            None,
            "notice.webhook_disabled",
            channel=Channel.DIGEST,
            kind=Kind.NOTICE,
            batch="big",
            data={"type": "notice.webhook_disabled", "summary": f"Notice {n}", "url": ""},
        )
        for n in range(300)
    ]

    send_batch(notices)

    [message] = inbox.messages
    assert message["Subject"] == "Your Milepost digest: 300 updates"
    assert ids_of(message) == [n.pk for n in notices]
    assert "== General ==" in parts(message)[0]
    assert max(len(line) for line in inbox.raw[0].splitlines()) <= 998


# Failures


def test_refused_recipient_is_a_permanent_failure(w: World, inbox: Inbox) -> None:
    inbox.refuse = "550 5.1.1 No such mailbox"
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon")

    with pytest.raises(DeliveryError) as caught:
        send_batch([notification])

    assert caught.value.permanent
    assert "550" in str(caught.value)
    assert inbox.messages == []


def test_temporarily_refused_recipient_is_retried(w: World, inbox: Inbox) -> None:
    inbox.refuse = "451 4.7.1 Greylisted, try again later"
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon")

    with pytest.raises(DeliveryError) as caught:
        send_batch([notification])

    assert not caught.value.permanent


def test_server_down_is_a_failure_worth_retrying(w: World, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon")

    with pytest.raises(DeliveryError) as caught:
        send_batch([notification])

    assert not caught.value.permanent


def test_user_without_email_address_is_a_permanent_failure(w: World, inbox: Inbox) -> None:
    w.supplier_member.email = ""
    notification = row(w.supplier_member, w.deliverable(), "milestone.due_soon")

    with pytest.raises(DeliveryError) as caught:
        send_batch([notification])

    assert caught.value.permanent
    assert inbox.messages == []


# Unsubscribe


def email_on(user: Any) -> bool:
    preference = AlertPreference.objects.filter(user=user).first()
    return preference is None or preference.email


def test_unsubscribe_get_asks_and_changes_nothing(w: World) -> None:
    url = reverse("unsubscribe", args=[unsubscribe_token(w.supplier_member, "email")])

    response = Client().get(url)

    assert response.status_code == 200
    assert b"Stop these emails?" in response.content
    assert email_on(w.supplier_member)
    assert not Event.objects.filter(action="alert_preference.unsubscribed").exists()


def test_unsubscribe_post_turns_email_off_and_records_it(w: World) -> None:
    url = reverse("unsubscribe", args=[unsubscribe_token(w.supplier_member, "email")])

    response = Client(enforce_csrf_checks=True).post(url)

    assert response.status_code == 200
    assert b"You will no longer receive emails from Milepost" in response.content
    assert not email_on(w.supplier_member)
    event = Event.objects.get(action="alert_preference.unsubscribed")
    assert event.actor == w.supplier_member
    assert event.object_type == "alerts.alertpreference"
    assert (event.before, event.after) == ({"email": True}, {"email": False})


def test_one_click_post_from_a_mail_provider_needs_no_csrf_token(w: World) -> None:
    url = reverse("unsubscribe", args=[unsubscribe_token(w.supplier_member, "email")])

    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert not email_on(w.supplier_member)


def test_unsubscribe_from_a_watch_removes_only_that_watch(w: World) -> None:
    milestone = w.deliverable()
    Watch.objects.create(user=w.client_manager, contract=w.contract)
    kept = Watch.objects.create(user=w.client_manager, milestone=milestone)
    url = reverse(
        "unsubscribe", args=[unsubscribe_token(w.client_manager, f"watch:c{w.contract.pk}")]
    )

    response = Client().post(url)

    assert b"You will no longer receive updates about the contract HCC-2026-001" in response.content
    assert list(Watch.objects.filter(user=w.client_manager)) == [kept]
    assert email_on(w.client_manager)
    event = Event.objects.get(action="alert_preference.unsubscribed")
    assert event.object_type == "alerts.watch" and event.contract_id == w.contract.pk
    again = Client().post(url)
    assert again.status_code == 200
    assert b"already stopped" in again.content
    assert Event.objects.filter(action="alert_preference.unsubscribed").count() == 1


def test_tampered_unsubscribe_link_is_refused_and_changes_nothing(w: World) -> None:
    token = unsubscribe_token(w.supplier_member, "email")
    forged = token.replace(token[:5], "AAAAA", 1)

    response = Client().post(reverse("unsubscribe", args=[forged]))

    assert response.status_code == 400
    assert b"This unsubscribe link is not valid." in response.content
    assert email_on(w.supplier_member)


def test_link_signed_for_another_purpose_is_refused(w: World) -> None:
    from django.core import signing

    token = signing.dumps({"u": w.supplier_member.pk, "s": "email"}, salt="something.else")

    response = Client().post(reverse("unsubscribe", args=[token]))

    assert response.status_code == 400
    assert email_on(w.supplier_member)


def test_unsubscribe_service_refuses_an_unknown_scope(w: World) -> None:
    with refused("invalid_scope", "scope"):
        email_unsubscribe(user=w.supplier_member, scope="everything")


def test_unsubscribe_service_is_idempotent(w: World) -> None:
    assert email_unsubscribe(user=w.supplier_member, scope="email") is True
    assert email_unsubscribe(user=w.supplier_member, scope="email") is False
    assert Event.objects.filter(action="alert_preference.unsubscribed").count() == 1


def test_critical_milestone_criticality_is_named(w: World, inbox: Inbox) -> None:
    milestone = w.deliverable(criticality=Criticality.STANDARD)
    send_batch([row(w.supplier_member, milestone, "milestone.met", kind=Kind.UPDATE)])

    [message] = inbox.messages
    assert message["Subject"] == "Met: [HCC-2026-001] Foundation complete"
    assert "Criticality: Standard" in parts(message)[0]
