"""How a message reaches a webhook endpoint: the worker's side of webhooks.

Each message is a ``Notification`` row on the webhook channel. The worker (``delivery``) calls
``webhook_post`` for it, ``webhook_retry_delay`` after a failure, and ``endpoint_succeeded`` or
``endpoint_failed`` with the outcome. A message is signed as the Standard Webhooks
specification says (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256
over ``id.timestamp.body`` with the endpoint's secret). An endpoint whose messages keep failing
is disabled and its admins are told.

Before each delivery the URL is checked again (``validate_webhook_url``), and the connected
socket itself must reach a public address, unless the operator sets
``MILEPOST_WEBHOOK_ALLOW_PRIVATE``. The endpoints themselves (their services and selectors)
are ``milepost.alerts.webhooks``.
"""

import datetime as dt
import http.client
import json
import math
import random
import socket
import urllib.error
import urllib.request
from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.core.errors import DomainError

from ..errors import DeliveryError
from ..events import AlertEvent, PublishedEvent
from ..models import Notification, WebhookEndpoint
from ..webhooks import is_forbidden_address, validate_webhook_url, webhook_detail_url
from .compose import notice_send

USER_AGENT = "Milepost-Webhooks/1"

# Waits after the 1st, 2nd, … failed attempt: about three days in all (71 h 35 min), then the
# message is given up. Each wait is spread by ±20% so that a recovering receiver is not hit by
# every queued message at the same instant.
RETRY_SCHEDULE: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=14),
    dt.timedelta(hours=20),
    dt.timedelta(hours=20),
)
RETRY_JITTER = 0.2
# An endpoint is disabled only after failing without a break for this long, so one message a
# receiver refuses for ever cannot disable an endpoint that accepts the others. A message
# gives up after at least 0.8 * 71.6 h ≈ 57 h, so a real outage always passes this.
DISABLE_AFTER = dt.timedelta(hours=48)
# How much of a receiver's answer is read, and kept in an error.
ERROR_BODY_CHARS = 200


class _ForbiddenPeer(Exception):
    """The socket connected to a non-public address (the DNS answer changed after the check)."""


def _check_peer(sock: socket.socket) -> None:
    if settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE:
        return
    address = str(sock.getpeername()[0])
    if is_forbidden_address(address):
        sock.close()
        raise _ForbiddenPeer(address)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer, not a success: following it could lead anywhere.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # No proxies from the environment: the address checked must be the address reached.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _GuardedHTTPHandler(),
        _GuardedHTTPSHandler(),
        _NoRedirect(),
    )


def _fail(message: str, *, permanent: bool = False) -> NoReturn:
    raise DeliveryError(message[:500], permanent=permanent)


def webhook_body(notification: Notification, *, now: dt.datetime) -> str:
    """Return the JSON body of a message: its type, the moment it is sent, and its data."""
    timestamp = now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    message = {
        "type": notification.event_type,
        "timestamp": timestamp,
        "data": notification.payload,
    }
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def webhook_headers(
    endpoint: WebhookEndpoint, *, msg_id: str, now: dt.datetime, body: str
) -> dict[str, str]:
    """Return the Standard Webhooks headers that sign ``body`` with the endpoint's secret."""
    # sign() reads the timestamp as UTC (it replaces the zone), so hand it a UTC one.
    now = now.astimezone(dt.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(msg_id, now, body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def webhook_post(notification: Notification) -> None:
    """Send one message to its endpoint; raise DeliveryError unless it answers 2xx.

    Every attempt is signed afresh at the moment it is sent: the same ``webhook-id`` each time,
    but a new timestamp and signature, made with the endpoint's URL and secret as they are now
    (not as they were when the worker claimed the message), so a retry, or a message sent long
    after it was queued or after a secret rotation, verifies at a receiver with a 5-minute
    tolerance.
    """
    if notification.endpoint_id is None:
        _fail("The message has no webhook endpoint.", permanent=True)
    endpoint = WebhookEndpoint.objects.filter(pk=notification.endpoint_id).first()
    if endpoint is None:
        _fail("The endpoint was deleted.", permanent=True)
    notification.endpoint = endpoint
    if endpoint.disabled_at is not None:
        _fail("The endpoint is disabled.", permanent=True)
    try:
        validate_webhook_url(endpoint.url)
    except DomainError as exc:
        _fail(exc.message, permanent=exc.code != "webhook_url_unresolvable")
    # Taken after the address check (DNS may be slow), just before the request is made.
    now = timezone.now()
    body = webhook_body(notification, now=now)
    headers = webhook_headers(endpoint, msg_id=notification.message_id, now=now, body=body)
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked: http or https)
        endpoint.url, data=body.encode(), headers=headers, method="POST"
    )
    timeout = settings.MILEPOST_WEBHOOK_TIMEOUT
    try:
        with _opener().open(request, timeout=timeout) as response:
            response.read(ERROR_BODY_CHARS)
    except urllib.error.HTTPError as exc:
        with exc:
            text = exc.read(ERROR_BODY_CHARS * 4).decode("utf-8", "replace")[:ERROR_BODY_CHARS]
        _fail(f"HTTP {exc.code}: {text}".strip())
    except _ForbiddenPeer as exc:
        _fail(f"The host connected to {exc}, a non-public address.", permanent=True)
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            _fail(f"No answer within {timeout:g} seconds.")
        _fail(f"Could not connect: {reason}")
    except TimeoutError:
        _fail(f"No answer within {timeout:g} seconds.")
    except (OSError, http.client.HTTPException) as exc:
        _fail(f"Connection failed: {exc.__class__.__name__} {exc}".strip())


def webhook_retry_delay(attempts: int) -> dt.timedelta | None:
    """Return how long to wait after ``attempts`` failed tries, or None to give up."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[max(attempts, 1) - 1]
    return base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)


def endpoint_succeeded(endpoint: WebhookEndpoint | None, *, now: dt.datetime) -> None:
    """Record that the endpoint accepted a message: it is no longer failing."""
    if endpoint is None:
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_success_at=now, failing_since=None)
    endpoint.last_success_at, endpoint.failing_since = now, None


def endpoint_failed(endpoint: WebhookEndpoint | None, *, now: dt.datetime, gave_up: bool) -> None:
    """Record a failed delivery; disable an endpoint that has failed for days without a break.

    ``gave_up`` says the message used up its retries. The endpoint is disabled (and its admins
    told) only then, and only if nothing succeeded since its failures began ``DISABLE_AFTER``
    ago or longer.
    """
    if endpoint is None:
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    if not gave_up:
        return
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        if locked is None or locked.disabled_at is not None or locked.failing_since is None:
            return
        since = locked.failing_since
        if locked.last_success_at is not None and locked.last_success_at >= since:
            return
        if now - since < DISABLE_AFTER:
            return
        locked.disabled_at = now
        locked.disabled_reason = (
            f"Every delivery has failed since {since.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
            "and a message used up its retries."
        )
        locked.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
        event_record(
            actor=None,
            action=AlertEvent.WEBHOOK_ENDPOINT_DISABLED,
            obj=locked,
            after={"disabled_reason": locked.disabled_reason, "failing_since": since},
        )
        _tell_admins_disabled(locked, now=now)
    endpoint.disabled_at, endpoint.disabled_reason = locked.disabled_at, locked.disabled_reason
    endpoint.failing_since = locked.failing_since


def _tell_admins_disabled(endpoint: WebhookEndpoint, *, now: dt.datetime) -> None:
    admins = User.objects.filter(
        memberships__organisation_id=endpoint.organisation_id,
        memberships__role=Role.ADMIN,
        is_active=True,
    )
    event_type = PublishedEvent.NOTICE_WEBHOOK_DISABLED
    summary = f"The webhook endpoint {endpoint.url} was disabled after failing for days."
    assert endpoint.disabled_at is not None
    notice_send(
        users=list(admins),
        key=f"notice:endpoint-disabled:{endpoint.pk}:{endpoint.disabled_at.isoformat()}",
        event_type=event_type,
        summary=summary,
        payload={"type": event_type, "summary": summary, "url": webhook_detail_url(endpoint)},
        now=now,
    )
