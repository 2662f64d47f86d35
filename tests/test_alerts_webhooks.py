"""Webhook endpoints: signed delivery to a real receiver on loopback, the SSRF guard, retries,
disabling after persistent failure, the services' rules, the API and the pages."""

import base64
import datetime as dt
import json
import socket
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from milepost.accounts.choices import Role
from milepost.accounts.services import organisation_create
from milepost.alerts import webhooks
from milepost.alerts.choices import Channel, Kind, Status
from milepost.alerts.engine.webhook_delivery import (
    RETRY_SCHEDULE,
    endpoint_failed,
    endpoint_succeeded,
    webhook_post,
    webhook_retry_delay,
)
from milepost.alerts.errors import DeliveryError
from milepost.alerts.models import Notification, WebhookEndpoint
from milepost.alerts.webhooks import (
    EVENT_TYPE_NAMES,
    endpoints_for,
    validate_webhook_url,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_enable,
    webhook_endpoint_get_for_user,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
    webhook_endpoints_for_user,
)
from milepost.audit.models import Event
from milepost.contracts.choices import PartyRole
from milepost.contracts.services import party_add
from milepost.core.errors import DomainError, Forbidden, NotFound
from tests.helpers import refused

from .conftest import make_user
from .peers import Receiver, webhook_receiver

API = "/api/v1"
# A public literal address: resolving it needs no network.
PUBLIC_URL = "https://93.184.215.14/hooks/milepost"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as found:
        yield found


@pytest.fixture(autouse=True)
def _public_only(settings):
    # The operator setting may be on in the environment; each test says when it wants it.
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def private_ok(settings):
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = True
    return settings


@pytest.fixture
def admin(world):
    return make_user("ada", world.client_org, Role.ADMIN)


def _endpoint(admin, url=PUBLIC_URL, **fields) -> WebhookEndpoint:
    return webhook_endpoint_create(
        organisation=admin.memberships.get().organisation, url=url, actor=admin, **fields
    )


def _message(endpoint: WebhookEndpoint, **fields) -> Notification:
    values = {
        "key": f"test:{Notification.objects.count()}",
        "kind": Kind.UPDATE,
        "channel": Channel.WEBHOOK,
        "event_type": "milestone.met",
        "endpoint": endpoint,
        "payload": {"type": "milestone.met", "summary": "Foundation complete was met."},
        "send_after": timezone.now(),
        **fields,
    }
    return Notification.objects.create(**values)


# Delivery


def test_webhook_post_delivers_a_body_the_receiver_verifies(world, admin, receiver, private_ok):
    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret = endpoint.secret
    message = _message(endpoint)

    webhook_post(message)

    (got,) = receiver.received
    assert got.verified
    assert got.path == "/hooks/milepost"
    assert got.headers["webhook-id"] == message.message_id == f"msg_{message.pk}"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "Milepost-Webhooks/1"
    assert got.headers["webhook-signature"].startswith("v1,")
    body = json.loads(got.body)
    assert body["type"] == "milestone.met"
    assert body["data"] == message.payload
    sent_at = dt.datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert sent_at.utcoffset() == dt.timedelta(0)
    assert int(got.headers["webhook-timestamp"]) == int(sent_at.timestamp())
    # The signature binds the body: a changed body no longer verifies.
    tampered = got.body.replace(b"milestone.met", b"milestone.missed")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, got.headers)


def test_a_retry_carries_the_same_webhook_id(world, admin, receiver, private_ok):
    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret = endpoint.secret
    message = _message(endpoint)

    webhook_post(message)
    webhook_post(message)

    assert receiver.verified_ids == [message.message_id, message.message_id]


# Monday 09:00 UTC: the moment the tests below queue a message.
QUEUED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _stamp(got) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), tz=dt.UTC)


def test_a_message_sent_days_after_it_was_queued_is_signed_when_it_is_sent(
    world, admin, receiver, private_ok
):
    # Given a message queued on Monday morning
    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret = endpoint.secret
    with time_machine.travel(QUEUED, tick=False):
        message = _message(endpoint)

    # When it is first sent on Thursday
    thursday = QUEUED + dt.timedelta(days=3)
    with time_machine.travel(thursday, tick=False):
        webhook_post(message)

    # Then the receiver, whose clock reads Thursday, verifies it: it is stamped Thursday
    (got,) = receiver.received
    assert got.verified, got.error
    assert _stamp(got) == thursday
    assert json.loads(got.body)["timestamp"] == "2026-03-05T09:00:00Z"


def test_the_worker_signs_each_message_when_it_sends_it_not_when_its_tick_began(
    world, admin, receiver, private_ok
):
    # Given a message due at 09:00 and a worker whose tick began then
    from milepost.alerts.engine import deliver_due

    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret = endpoint.secret
    with time_machine.travel(QUEUED, tick=False):
        message = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=QUEUED)

    # When the message's turn comes ten minutes later (slow receivers before it in the batch)
    later = QUEUED + dt.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        deliver_due(now=QUEUED)

    # Then it is stamped with the moment it left, and verifies at the receiver
    (got,) = receiver.received
    assert got.verified, got.error
    assert got.headers["webhook-id"] == message.message_id
    assert _stamp(got) == later


def test_each_attempt_of_a_message_has_the_same_id_and_its_own_timestamp_and_signature(
    world, admin, receiver, private_ok
):
    # Given a message whose first attempt the receiver answers with 503 on Monday at 09:00
    from milepost.alerts.engine import tick

    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret, receiver.status = endpoint.secret, 503
    with time_machine.travel(QUEUED, tick=False):
        message = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=QUEUED)
        tick(now=QUEUED)

    # When the retry goes two hours later and the receiver accepts it
    receiver.status = 204
    retry = QUEUED + dt.timedelta(hours=2)
    with time_machine.travel(retry, tick=False):
        tick(now=retry)

    # Then both attempts verified, carry one webhook-id, and each its own timestamp and signature
    first, second = receiver.received
    assert first.verified and second.verified, receiver.refused
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.message_id
    assert (_stamp(first), _stamp(second)) == (QUEUED, retry)
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    # And the first attempt's headers, replayed with the retry, would have been refused
    with time_machine.travel(retry, tick=False), pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(second.body, first.headers)


def test_a_message_claimed_before_a_secret_rotation_is_signed_with_the_new_secret(
    world, admin, receiver, private_ok
):
    # Given a message the worker has already loaded, endpoint and all
    endpoint = _endpoint(admin, url=receiver.url)
    message = _message(endpoint)
    claimed = Notification.objects.select_related("endpoint").get(pk=message.pk)

    # When an admin rotates the secret and sets the new one at the receiver before it is sent
    rotated = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=admin)
    receiver.secret = rotated.secret
    webhook_post(claimed)

    # Then the receiver verifies it: it was signed with the secret in force when it was sent
    (got,) = receiver.received
    assert got.verified, got.error


def test_a_message_whose_endpoint_was_disabled_after_the_claim_is_not_sent(
    world, admin, receiver, private_ok
):
    # Given a message the worker has already loaded
    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret = endpoint.secret
    claimed = Notification.objects.select_related("endpoint").get(pk=_message(endpoint).pk)

    # When the endpoint is disabled before the message is sent
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=timezone.now())

    # Then sending it fails for good and the receiver hears nothing
    with pytest.raises(DeliveryError, match="disabled") as failure:
        webhook_post(claimed)
    assert failure.value.permanent
    assert receiver.received == []


def test_a_receiver_with_another_secret_refuses_the_signature(world, admin, receiver, private_ok):
    endpoint = _endpoint(admin, url=receiver.url)
    other = _endpoint(admin, url=receiver.url)
    receiver.secret = other.secret

    with pytest.raises(DeliveryError, match="HTTP 401"):
        webhook_post(_message(endpoint))

    (got,) = receiver.received
    assert not got.verified


def test_an_error_answer_is_a_delivery_error_with_status_and_body(
    world, admin, receiver, private_ok
):
    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret, receiver.status = endpoint.secret, 500

    with pytest.raises(DeliveryError, match="HTTP 500: receiver says no") as caught:
        webhook_post(_message(endpoint))

    assert not caught.value.permanent
    assert len(receiver.received) == 1


def test_a_redirect_is_a_failure_and_is_not_followed(world, admin, receiver, private_ok):
    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret, receiver.status = endpoint.secret, 302

    with pytest.raises(DeliveryError, match="HTTP 302"):
        webhook_post(_message(endpoint))

    assert [r.path for r in receiver.received] == ["/hooks/milepost"]


def test_a_refused_connection_is_a_delivery_error(world, admin, private_ok):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = _endpoint(admin, url=f"http://127.0.0.1:{port}/")

    with pytest.raises(DeliveryError, match="Could not connect") as caught:
        webhook_post(_message(endpoint))

    assert not caught.value.permanent


def test_a_private_address_is_refused_again_at_delivery(world, admin, receiver, private_ok):
    endpoint = _endpoint(admin, url=receiver.url)
    private_ok.MILEPOST_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(DeliveryError, match="non-public") as caught:
        webhook_post(_message(endpoint))

    assert caught.value.permanent
    assert receiver.received == []


def test_an_address_that_changes_to_private_after_the_check_is_refused_on_the_socket(
    world, admin, receiver, settings, monkeypatch
):
    # The check sees a public address; the connection then reaches loopback (DNS rebinding).
    endpoint = _endpoint(admin, url=PUBLIC_URL)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
    endpoint.refresh_from_db()
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: ["93.184.215.14"])

    with pytest.raises(DeliveryError, match=r"connected to 127\.0\.0\.1") as caught:
        webhook_post(_message(endpoint))

    assert caught.value.permanent
    assert receiver.received == []


# The SSRF guard


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/hook",
        "http://10.0.0.1/",
        "https://192.168.1.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
    ],
)
def test_refuses_urls_that_reach_a_non_public_address(url, settings):
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(DomainError) as caught:
        validate_webhook_url(url, field="endpoint_url")

    assert caught.value.code == "webhook_url_forbidden"
    assert caught.value.field == "endpoint_url"


def test_accepts_a_public_address(settings):
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = False
    validate_webhook_url("https://93.184.215.14/hook")
    validate_webhook_url("http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/hook")


def test_operator_setting_allows_loopback(settings):
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = True
    validate_webhook_url("http://127.0.0.1:9000/hook")
    validate_webhook_url("http://localhost/hook")


def test_refuses_a_host_when_any_of_its_addresses_is_private(settings, monkeypatch):
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = False
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)

    with pytest.raises(DomainError) as caught:
        validate_webhook_url("https://hooks.example.com/in")

    assert caught.value.code == "webhook_url_forbidden"
    assert "10.1.2.3" in caught.value.message


def test_refuses_a_host_that_does_not_resolve(settings, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)

    with pytest.raises(DomainError) as caught:
        validate_webhook_url("https://hooks.example.com/in")

    assert (caught.value.code, caught.value.field) == ("webhook_url_unresolvable", "url")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://93.184.215.14/", "webhook_url_scheme"),
        ("javascript:alert(1)", "webhook_url_scheme"),
        ("https://", "invalid_url"),
        ("https://93.184.215.14:99999/", "invalid_url"),
        ("https://user:pw@93.184.215.14/", "invalid_url"),
        ("https://93.184.215.14/" + "a" * 500, "too_long"),
    ],
)
def test_refuses_malformed_urls_naming_the_field(url, code):
    with pytest.raises(DomainError) as caught:
        validate_webhook_url(url)

    assert (caught.value.code, caught.value.field) == (code, "url")


# Retries


def test_retry_waits_grow_to_about_three_days_then_give_up():
    bases = list(RETRY_SCHEDULE)
    assert bases == sorted(bases)
    assert bases[0] == dt.timedelta(seconds=5)
    # The schedule itself spans about three days (71 h 35 min) ...
    planned = sum(bases, dt.timedelta())
    assert dt.timedelta(days=2.5) <= planned <= dt.timedelta(days=3.5)
    for _ in range(50):
        waits = [webhook_retry_delay(n) for n in range(1, len(bases) + 1)]
        assert all(w is not None for w in waits)
        for wait, base in zip(waits, bases, strict=True):
            assert base * 0.8 <= wait <= base * 1.2
        # ... and jitter moves the whole by at most a fifth either way (each wait is drawn on
        # its own, so the total may fall anywhere in that band, just under 2.4 days included).
        total = sum(waits, dt.timedelta())
        assert planned * 0.8 <= total <= planned * 1.2
    assert webhook_retry_delay(len(bases) + 1) is None
    assert webhook_retry_delay(100) is None


def test_retry_waits_are_spread_by_jitter():
    assert len({webhook_retry_delay(3) for _ in range(20)}) > 1


# Failing and disabling


def test_a_failure_marks_the_endpoint_failing_without_disabling_it(world, admin):
    endpoint = _endpoint(admin)
    now = timezone.now()

    endpoint_failed(endpoint, now=now, gave_up=False)
    endpoint_failed(endpoint, now=now + dt.timedelta(hours=1), gave_up=False)

    endpoint.refresh_from_db()
    assert endpoint.failing_since == now
    assert endpoint.disabled_at is None


def test_a_success_clears_failing_since(world, admin):
    endpoint = _endpoint(admin)
    now = timezone.now()
    endpoint_failed(endpoint, now=now, gave_up=False)

    endpoint_succeeded(endpoint, now=now + dt.timedelta(minutes=5))

    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert endpoint.last_success_at == now + dt.timedelta(minutes=5)


def test_persistent_failure_disables_the_endpoint_and_tells_the_admins(world, admin):
    second_admin = make_user("abe", world.client_org, Role.ADMIN)
    endpoint = _endpoint(admin)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - dt.timedelta(days=3))

    endpoint_failed(endpoint, now=now, gave_up=True)
    endpoint_failed(endpoint, now=now + dt.timedelta(minutes=1), gave_up=True)

    endpoint.refresh_from_db()
    assert endpoint.disabled_at == now
    assert "failed" in endpoint.disabled_reason
    (event,) = Event.objects.filter(action="webhook_endpoint.disabled")
    assert event.actor is None and event.object_id == endpoint.pk
    notices = Notification.objects.filter(kind=Kind.NOTICE, event_type="notice.webhook_disabled")
    assert {n.user for n in notices} == {admin, second_admin}
    assert notices.filter(channel=Channel.INAPP).count() == 2
    assert all(n.payload["url"].endswith(f"/webhooks/{endpoint.pk}/") for n in notices)
    assert endpoints_for(contract=world.contract, event_type="milestone.met") == []


def test_an_endpoint_with_a_success_after_failing_since_is_not_disabled(world, admin):
    endpoint = _endpoint(admin)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=now - dt.timedelta(days=3), last_success_at=now - dt.timedelta(hours=1)
    )

    endpoint_failed(endpoint, now=now, gave_up=True)

    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None
    assert not Notification.objects.filter(kind=Kind.NOTICE).exists()


def test_one_message_giving_up_does_not_disable_an_endpoint_failing_only_briefly(world, admin):
    endpoint = _endpoint(admin)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - dt.timedelta(hours=2))

    endpoint_failed(endpoint, now=now, gave_up=True)

    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None


# Services: access


def test_only_an_admin_may_register_an_endpoint(world, admin):
    endpoint = _endpoint(admin)
    assert endpoint.organisation == world.client_org
    assert endpoint.created_by == admin

    with refused("forbidden", error=Forbidden):
        webhook_endpoint_create(
            organisation=world.client_org, url=PUBLIC_URL, actor=world.client_manager
        )
    for stranger in (world.outsider, world.client_member):
        with refused("not_found", error=NotFound):
            webhook_endpoint_create(organisation=world.client_org, url=PUBLIC_URL, actor=stranger)


@pytest.mark.parametrize(
    "change",
    [
        lambda e, u: webhook_endpoint_update(endpoint=e, actor=u, description="x"),
        lambda e, u: webhook_endpoint_delete(endpoint=e, actor=u),
        lambda e, u: webhook_endpoint_rotate_secret(endpoint=e, actor=u),
        lambda e, u: webhook_endpoint_enable(endpoint=e, actor=u),
        lambda e, u: webhook_endpoint_send_test(endpoint=e, actor=u, now=timezone.now()),
    ],
)
def test_managers_may_not_change_an_endpoint_and_outsiders_do_not_find_it(world, admin, change):
    endpoint = _endpoint(admin)
    with refused("forbidden", error=Forbidden):
        change(endpoint, world.client_manager)
    with refused("not_found", error=NotFound):
        change(endpoint, world.outsider)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_admins_and_managers_see_endpoints_and_others_do_not(world, admin):
    endpoint = _endpoint(admin)

    assert list(webhook_endpoints_for_user(user=admin)) == [endpoint]
    assert webhook_endpoint_get_for_user(user=world.client_manager, pk=endpoint.pk) == endpoint
    for stranger in (world.client_member, world.client_viewer, world.outsider):
        with refused("not_found", error=NotFound):
            webhook_endpoint_get_for_user(user=stranger, pk=endpoint.pk)


# Services: what they do and what they refuse


def test_create_makes_a_standard_webhooks_secret_and_records_no_secret(world, admin):
    endpoint = _endpoint(admin, description=" Finance system ", event_types=["milestone.met"])

    assert endpoint.secret.startswith("whsec_")
    assert len(base64.b64decode(endpoint.secret.removeprefix("whsec_"))) == 24
    assert endpoint.description == "Finance system"
    event = Event.objects.get(action="webhook_endpoint.created")
    assert event.object_id == endpoint.pk and event.actor == admin
    assert event.after["url"] == PUBLIC_URL
    assert event.after["event_types"] == ["milestone.met"]
    assert endpoint.secret not in json.dumps([event.before, event.after])
    assert "secret" not in event.after


def test_each_endpoint_gets_its_own_secret(world, admin):
    assert _endpoint(admin).secret != _endpoint(admin).secret


@pytest.mark.parametrize(
    ("fields", "code", "field_name"),
    [
        ({"url": "http://127.0.0.1/"}, "webhook_url_forbidden", "url"),
        ({"url": "mailto:ops@example.com"}, "webhook_url_scheme", "url"),
        ({"description": "d" * 201}, "too_long", "description"),
        (
            {"event_types": ["milestone.met", "milestone.exploded"]},
            "unknown_event_type",
            "event_types",
        ),
        ({"event_types": "milestone.met"}, "invalid_event_types", "event_types"),
    ],
)
def test_create_refuses_invalid_input_naming_the_field(world, admin, fields, code, field_name):
    values = {"url": PUBLIC_URL, **fields}
    with refused(code, field_name):
        webhook_endpoint_create(organisation=world.client_org, actor=admin, **values)
    assert not WebhookEndpoint.objects.exists()


def test_event_types_are_kept_in_the_documented_order_without_repeats(world, admin):
    endpoint = _endpoint(
        admin, event_types=["payment.recorded", "milestone.due_soon", "payment.recorded"]
    )
    assert endpoint.event_types == ["milestone.due_soon", "payment.recorded"]
    assert set(endpoint.event_types) <= set(EVENT_TYPE_NAMES)


def test_update_changes_fields_and_records_before_and_after(world, admin):
    endpoint = _endpoint(admin)
    new_url = "https://93.184.215.15/v2"

    webhook_endpoint_update(
        endpoint=endpoint, actor=admin, url=new_url, event_types=["gate.decided"]
    )

    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types) == (new_url, ["gate.decided"])
    event = Event.objects.get(action="webhook_endpoint.updated")
    assert event.before == {"url": PUBLIC_URL, "event_types": []}
    assert event.after == {"url": new_url, "event_types": ["gate.decided"]}


def test_update_refuses_a_private_url_and_unknown_fields(world, admin):
    endpoint = _endpoint(admin)
    with refused("webhook_url_forbidden", "url"):
        webhook_endpoint_update(endpoint=endpoint, actor=admin, url="http://10.0.0.1/")
    with refused("not_editable", "secret"):
        webhook_endpoint_update(endpoint=endpoint, actor=admin, secret="whsec_mine")
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC_URL
    assert not Event.objects.filter(action="webhook_endpoint.updated").exists()


def test_delete_removes_the_endpoint_and_records_it(world, admin):
    endpoint = _endpoint(admin)
    pk = endpoint.pk

    webhook_endpoint_delete(endpoint=endpoint, actor=admin)

    assert not WebhookEndpoint.objects.filter(pk=pk).exists()
    event = Event.objects.get(action="webhook_endpoint.deleted")
    assert event.object_id == pk and event.before["url"] == PUBLIC_URL
    assert "secret" not in event.before


def test_rotating_replaces_the_secret_and_records_no_secret(world, admin):
    endpoint = _endpoint(admin)
    old = endpoint.secret

    rotated = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=admin)

    assert rotated.secret.startswith("whsec_") and rotated.secret != old
    event = Event.objects.get(action="webhook_endpoint.secret_rotated")
    dumped = json.dumps([event.before, event.after])
    assert old not in dumped and rotated.secret not in dumped


def test_enable_turns_a_disabled_endpoint_back_on_with_a_clean_record(world, admin):
    endpoint = _endpoint(admin)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=now, disabled_reason="It kept failing.", failing_since=now
    )

    webhook_endpoint_enable(endpoint=endpoint, actor=admin)

    endpoint.refresh_from_db()
    assert (endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since) == (
        None,
        "",
        None,
    )
    assert Event.objects.filter(action="webhook_endpoint.enabled").exists()


def test_enable_refuses_an_endpoint_that_is_already_enabled(world, admin):
    with pytest.raises(DomainError) as caught:
        webhook_endpoint_enable(endpoint=_endpoint(admin), actor=admin)
    assert caught.value.code == "webhook_endpoint_active"


def test_send_test_queues_one_new_webhook_message_each_time(world, admin):
    endpoint = _endpoint(admin)
    now = timezone.now()

    first = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=now)
    second = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=now)

    assert first.key != second.key
    for message in (first, second):
        assert (message.channel, message.kind, message.event_type) == (
            Channel.WEBHOOK,
            Kind.NOTICE,
            "webhook.test",
        )
        assert (message.endpoint, message.status, message.send_after) == (
            endpoint,
            Status.PENDING,
            now,
        )


def test_send_test_refuses_a_disabled_endpoint(world, admin):
    endpoint = _endpoint(admin)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=timezone.now())
    with refused("webhook_endpoint_disabled"):
        webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=timezone.now())


# Selectors for the engine and the pages


def test_endpoints_for_a_contract_are_its_parties_active_endpoints_taking_the_type(
    world, admin, django_assert_num_queries
):
    every = _endpoint(admin)
    met_only = _endpoint(admin, event_types=["milestone.met"])
    disabled = _endpoint(admin)
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(disabled_at=timezone.now())
    stranger_admin = make_user("oz", world.outsider_org, Role.ADMIN)
    webhook_endpoint_create(organisation=world.outsider_org, url=PUBLIC_URL, actor=stranger_admin)

    with django_assert_num_queries(1):
        met = endpoints_for(contract=world.contract, event_type="milestone.met")
    assert met == [every, met_only]
    assert endpoints_for(contract=world.contract, event_type="gate.decided") == [every]


def test_an_organisation_party_in_two_roles_gets_each_endpoint_once(world, admin):
    other = organisation_create(name="Second Party Ltd", actor=None)
    other_admin = make_user("sal", other, Role.ADMIN)
    party_add(
        contract=world.contract,
        organisation=other,
        role=PartyRole.CONSULTANT,
        actor=world.client_manager,
    )
    endpoint = webhook_endpoint_create(organisation=other, url=PUBLIC_URL, actor=other_admin)

    assert endpoints_for(contract=world.contract, event_type="milestone.met") == [endpoint]


# The worker, end to end


def test_the_worker_delivers_a_test_message_once_signed_with_its_stable_id(
    world, admin, receiver, private_ok
):
    from milepost.alerts.engine import tick

    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret = endpoint.secret
    message = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=timezone.now())

    tick(now=timezone.now())
    tick(now=timezone.now())

    assert receiver.verified_ids == [message.message_id]
    assert json.loads(receiver.received[0].body)["type"] == "webhook.test"
    message.refresh_from_db()
    assert message.status == Status.SENT
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None


def test_the_worker_retries_a_failed_message_later_and_marks_the_endpoint_failing(
    world, admin, receiver, private_ok
):
    from milepost.alerts.engine import tick

    endpoint = _endpoint(admin, url=receiver.url)
    receiver.secret, receiver.status = endpoint.secret, 503
    message = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=timezone.now())
    now = timezone.now()

    tick(now=now)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error.startswith("HTTP 503")
    assert now + dt.timedelta(seconds=4) <= message.send_after <= now + dt.timedelta(seconds=6)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == now

    receiver.status = 200
    tick(now=message.send_after)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert receiver.verified_ids == [message.message_id, message.message_id]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


# API


@pytest.fixture
def api_as():
    def as_user(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return as_user


def test_api_lists_endpoints_without_secrets_to_members_of_the_organisation(world, admin, api_as):
    endpoint = _endpoint(admin)
    url = f"{API}/organisations/{world.client_org.slug}/webhooks"

    response = api_as(world.client_manager).get(url)

    assert response.status_code == 200
    (listed,) = response.json()
    assert listed["id"] == endpoint.pk and listed["active"] is True
    assert "secret" not in listed and endpoint.secret not in response.content.decode()
    assert api_as(world.outsider).get(url).status_code == 404


def test_api_creates_an_endpoint_for_an_admin_with_its_secret(world, admin, api_as):
    url = f"{API}/organisations/{world.client_org.slug}/webhooks"
    body = {"url": PUBLIC_URL, "event_types": ["milestone.met"]}

    response = api_as(admin).post(url, body, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["secret"] == WebhookEndpoint.objects.get().secret
    forbidden = api_as(world.client_manager).post(url, body, content_type="application/json")
    assert forbidden.status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_api_refuses_a_private_url_naming_the_field(world, admin, api_as):
    url = f"{API}/organisations/{world.client_org.slug}/webhooks"
    response = api_as(admin).post(url, {"url": "http://10.0.0.1/"}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_url_forbidden"
    assert response.json()["error"]["field"] == "url"


def test_api_detail_shows_the_secret_to_admins_only(world, admin, api_as):
    endpoint = _endpoint(admin)
    url = f"{API}/webhooks/{endpoint.pk}"

    assert api_as(admin).get(url).json()["secret"] == endpoint.secret
    assert api_as(world.client_manager).get(url).json()["secret"] is None
    assert api_as(world.outsider).get(url).status_code == 404


def test_api_patch(world, admin, api_as):
    endpoint = _endpoint(admin)
    url = f"{API}/webhooks/{endpoint.pk}"

    response = api_as(admin).patch(url, {"description": "ERP"}, content_type="application/json")

    assert response.status_code == 200 and response.json()["description"] == "ERP"
    forbidden = api_as(world.client_manager).patch(
        url, {"description": "Mine"}, content_type="application/json"
    )
    assert forbidden.status_code == 403


def test_api_delete(world, admin, api_as):
    endpoint = _endpoint(admin)
    url = f"{API}/webhooks/{endpoint.pk}"

    assert api_as(world.client_manager).delete(url).status_code == 403
    assert api_as(admin).delete(url).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_api_rotate_secret(world, admin, api_as):
    endpoint = _endpoint(admin)
    url = f"{API}/webhooks/{endpoint.pk}/rotate-secret"

    assert api_as(world.client_manager).post(url).status_code == 403
    response = api_as(admin).post(url)
    assert response.status_code == 200
    assert response.json()["secret"] not in ("", None, endpoint.secret)


def test_api_enable(world, admin, api_as):
    endpoint = _endpoint(admin)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=timezone.now())
    url = f"{API}/webhooks/{endpoint.pk}/enable"

    assert api_as(world.client_manager).post(url).status_code == 403
    response = api_as(admin).post(url)
    assert response.status_code == 200 and response.json()["active"] is True


def test_api_send_test(world, admin, api_as):
    endpoint = _endpoint(admin)
    url = f"{API}/webhooks/{endpoint.pk}/test"

    assert api_as(world.client_manager).post(url).status_code == 403
    response = api_as(admin).post(url)
    assert response.status_code == 202
    assert response.json()["event_type"] == "webhook.test"
    assert response.json()["status"] == "pending"


def test_api_deliveries(world, admin, api_as):
    endpoint = _endpoint(admin)
    message = webhook_endpoint_send_test(endpoint=endpoint, actor=admin, now=timezone.now())
    url = f"{API}/webhooks/{endpoint.pk}/deliveries"

    response = api_as(world.client_manager).get(url)

    assert response.status_code == 200
    assert [(d["id"], d["message_id"]) for d in response.json()] == [
        (message.pk, message.message_id)
    ]
    assert api_as(world.outsider).get(url).status_code == 404


# Pages


def test_admin_sees_the_list_and_registers_an_endpoint(world, admin, api_as):
    page = reverse("webhook-list", args=[world.client_org.slug])
    client = api_as(admin)
    assert 'id="id_url"' in client.get(page).content.decode()

    response = client.post(page, {"url": PUBLIC_URL, "event_types": ["milestone.met"]})

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhook-detail", args=[endpoint.pk])
    detail = client.get(response["Location"]).content.decode()
    assert endpoint.secret in detail and "<details>" in detail
    assert PUBLIC_URL in client.get(page).content.decode()


def test_a_refused_url_is_shown_on_its_field_and_the_input_is_kept(world, admin, api_as):
    page = reverse("webhook-list", args=[world.client_org.slug])

    response = api_as(admin).post(page, {"url": "http://169.254.169.254/", "description": "Cloud"})

    assert response.status_code == 422
    assert response.context["form"].errors["url"]
    body = response.content.decode()
    assert 'value="http://169.254.169.254/"' in body and 'value="Cloud"' in body
    assert not WebhookEndpoint.objects.exists()


def test_manager_reads_the_pages_without_forms_or_secret(world, admin, api_as):
    endpoint = _endpoint(admin)
    client = api_as(world.client_manager)

    listing = client.get(reverse("webhook-list", args=[world.client_org.slug]))
    detail = client.get(reverse("webhook-detail", args=[endpoint.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    assert 'id="id_url"' not in listing.content.decode()
    assert endpoint.secret not in detail.content.decode()
    assert reverse("webhook-rotate", args=[endpoint.pk]) not in detail.content.decode()
    posted = client.post(reverse("webhook-list", args=[world.client_org.slug]), {"url": PUBLIC_URL})
    assert posted.status_code == 403
    assert client.post(reverse("webhook-delete", args=[endpoint.pk])).status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_outsider_gets_404_on_the_pages(world, admin, api_as):
    endpoint = _endpoint(admin)
    client = api_as(world.outsider)

    assert client.get(reverse("webhook-list", args=[world.client_org.slug])).status_code == 404
    assert client.get(reverse("webhook-detail", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook-test", args=[endpoint.pk])).status_code == 404


def test_admin_edits_tests_rotates_and_deletes_from_the_detail_page(world, admin, api_as):
    endpoint = _endpoint(admin)
    client = api_as(admin)
    detail = reverse("webhook-detail", args=[endpoint.pk])

    edited = client.post(detail, {"url": PUBLIC_URL, "description": "ERP", "event_types": []})
    assert edited.status_code == 302
    refused = client.post(detail, {"url": "http://[::1]/", "description": "ERP"})
    assert refused.status_code == 422 and refused.context["form"].errors["url"]
    client.post(reverse("webhook-test", args=[endpoint.pk]))
    page = client.get(detail).content.decode()
    assert "webhook.test" in page and "Pending" in page
    old = endpoint.secret
    client.post(reverse("webhook-rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.description == "ERP" and endpoint.secret != old
    deleted = client.post(reverse("webhook-delete", args=[endpoint.pk]))
    assert deleted["Location"] == reverse("webhook-list", args=[world.client_org.slug])
    assert not WebhookEndpoint.objects.exists()


def test_pages_show_a_disabled_endpoint_with_its_reason(world, admin, api_as):
    endpoint = _endpoint(admin)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=timezone.now(), disabled_reason="Every delivery has failed."
    )
    client = api_as(admin)

    listing = client.get(reverse("webhook-list", args=[world.client_org.slug])).content.decode()
    detail = client.get(reverse("webhook-detail", args=[endpoint.pk])).content.decode()

    for body in (listing, detail):
        assert "Disabled" in body and "Every delivery has failed." in body
    assert reverse("webhook-enable", args=[endpoint.pk]) in detail
    assert reverse("webhook-test", args=[endpoint.pk]) not in detail


def test_a_member_below_manager_may_not_see_the_organisations_webhooks(world, admin, api_as):
    client = api_as(world.client_member)

    assert client.get(reverse("webhook-list", args=[world.client_org.slug])).status_code == 403
    assert client.get(f"{API}/organisations/{world.client_org.slug}/webhooks").status_code == 403
