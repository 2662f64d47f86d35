"""Webhook endpoints: their services and selectors, and how a message reaches one.

An organisation's admins register URLs that receive milestone events as JSON, signed as the
Standard Webhooks specification says (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``: HMAC-SHA256 over ``id.timestamp.body`` with the endpoint's secret).
Each message is a ``Notification`` row on the webhook channel; the worker calls
``webhook_post`` for it, ``webhook_retry_delay`` after a failure, and ``endpoint_succeeded`` or
``endpoint_failed`` with the outcome. An endpoint whose messages keep failing is disabled and
its admins are told.

A URL must not reach the server's own network (server-side request forgery): every address its
host resolves to must be public, checked when it is saved, again before each delivery, and on
the connected socket itself, unless the operator sets ``MILEPOST_WEBHOOK_ALLOW_PRIVATE``.
"""

import base64
import datetime as dt
import http.client
import ipaddress
import json
import math
import random
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from typing import Any, NoReturn
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, Organisation, User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes

from .choices import Channel, Kind
from .errors import DeliveryError
from .models import Notification, WebhookEndpoint

# The event types an endpoint may subscribe to; an endpoint with none listed gets them all.
# ``webhook.test`` is not among them: a test message goes to its endpoint whatever it lists.
EVENT_TYPES: tuple[tuple[str, str], ...] = (
    ("milestone.due_soon", "A reminder: a milestone is due soon."),
    ("milestone.overdue", "A milestone is past its due date and not yet met."),
    ("milestone.escalated", "An overdue milestone was escalated to managers."),
    ("milestone.created", "A milestone was added to a contract."),
    ("milestone.status_update", "Someone posted a status update on a milestone."),
    ("milestone.met", "A milestone was met."),
    ("milestone.missed", "A milestone was missed."),
    ("milestone.status_changed", "A milestone's status changed."),
    ("milestone.rescheduled", "A milestone's due date moved."),
    ("gate.decided", "A gate (approval) was decided."),
    ("payment.recorded", "A payment was invoiced or paid."),
)
EVENT_TYPE_NAMES = tuple(name for name, _ in EVENT_TYPES)
TEST_EVENT_TYPE = "webhook.test"

URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200
USER_AGENT = "Milepost-Webhooks/1"
EDITABLE_FIELDS = ("url", "description", "event_types")

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


# Access


def _role(*, user: User, organisation: Organisation) -> str | None:
    """Return the user's role in the organisation, or None when they are not a member."""
    return (
        Membership.objects.filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )


def _require_admin(*, actor: User, organisation: Organisation, what: str) -> None:
    """Let admins through; managers may look but not change (403); anyone else sees nothing."""
    role = _role(user=actor, organisation=organisation)
    if role == Role.ADMIN:
        return
    if role == Role.MANAGER:
        raise Forbidden(f"Only an admin of {organisation} may change its webhooks.")
    raise NotFound(what)


def webhook_can_change(*, user: User, organisation: Organisation) -> bool:
    """Return whether the user may create and change the organisation's webhooks (an admin)."""
    return _role(user=user, organisation=organisation) == Role.ADMIN


# Validation


def _is_forbidden_address(address: str) -> bool:
    """Return whether an IP address is one a webhook may not reach: anything not public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and the 6to4 and Teredo forms carry an IPv4 address inside.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and _is_forbidden_address(str(inner)):
            return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        # Shared (carrier-grade NAT), documentation and other special ranges.
        or not ip.is_global
    )


def _host_and_port(url: str, *, field: str) -> tuple[str, int]:
    """Check a URL's shape and scheme and return its host and port."""
    if len(url) > URL_MAX_LENGTH:
        raise DomainError(
            "too_long", f"The URL has at most {URL_MAX_LENGTH} characters.", field=field
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DomainError(
            "webhook_url_scheme", "The URL must start with https:// (or http://).", field=field
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
        port = parts.port
    except (ValidationError, ValueError) as exc:
        raise DomainError("invalid_url", "Enter a valid URL.", field=field) from exc
    if parts.username is not None or parts.password is not None:
        raise DomainError(
            "invalid_url",
            "The URL may not hold a user name or password; use the signature to authenticate.",
            field=field,
        )
    host = parts.hostname or ""
    return host, port or (443 if parts.scheme == "https" else 80)


def _resolve(host: str, port: int) -> list[str]:
    """Return every address the host resolves to (a literal IP resolves to itself)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def validate_webhook_url(url: str, *, field: str = "url") -> None:
    """Refuse a URL that is malformed, not http(s), or resolves to a non-public address."""
    host, port = _host_and_port(url, field=field)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise DomainError(
            "webhook_url_unresolvable", f"The host “{host}” could not be resolved.", field=field
        ) from exc
    if not addresses:
        raise DomainError(
            "webhook_url_unresolvable", f"The host “{host}” has no address.", field=field
        )
    if settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE:
        return
    forbidden = [a for a in addresses if _is_forbidden_address(a)]
    if forbidden:
        raise DomainError(
            "webhook_url_forbidden",
            f"The host “{host}” resolves to {forbidden[0]}, a loopback, private, link-local or "
            "otherwise non-public address; webhooks may only reach public addresses.",
            field=field,
        )


def _validate_event_types(event_types: Any) -> list[str]:
    """Return the event types in their canonical order, refusing any unknown one."""
    if isinstance(event_types, str) or not isinstance(event_types, list | tuple):
        raise DomainError(
            "invalid_event_types", "Event types must be a list of names.", field="event_types"
        )
    for name in event_types:
        if name not in EVENT_TYPE_NAMES:
            raise DomainError(
                "unknown_event_type",
                f"“{name}” is not an event type; choose from {', '.join(EVENT_TYPE_NAMES)}.",
                field="event_types",
            )
    return [name for name in EVENT_TYPE_NAMES if name in event_types]


def _validate_description(description: str) -> str:
    description = description.strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            "too_long",
            f"The description has at most {DESCRIPTION_MAX_LENGTH} characters.",
            field="description",
        )
    return description


def _new_secret() -> str:
    """Return a Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _snapshot(endpoint: WebhookEndpoint, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    # Never the secret: events are read by everyone who can see the audit log.
    return {name: getattr(endpoint, name) for name in fields if name != "secret"}


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return (
        WebhookEndpoint.objects.select_for_update()
        .select_related("organisation")
        .get(pk=endpoint.pk)
    )


# Services


@transaction.atomic
def webhook_endpoint_create(
    *,
    organisation: Organisation,
    url: str,
    description: str = "",
    event_types: list[str] | tuple[str, ...] = (),
    actor: User,
) -> WebhookEndpoint:
    """Register a URL that receives the organisation's milestone events; admins only."""
    _require_admin(actor=actor, organisation=organisation, what="organisation")
    url = url.strip()
    validate_webhook_url(url)
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        description=_validate_description(description),
        event_types=_validate_event_types(event_types),
        secret=_new_secret(),
        created_by=actor,
    )
    event_record(
        actor=actor,
        action="webhook_endpoint.created",
        obj=endpoint,
        after={"organisation": organisation.slug, **_snapshot(endpoint, EDITABLE_FIELDS)},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor: User, **changes: Any
) -> WebhookEndpoint:
    """Change an endpoint's URL, description or event types; admins only."""
    _require_admin(actor=actor, organisation=endpoint.organisation, what="webhook endpoint")
    endpoint = _locked(endpoint)
    if "event_types" in changes:
        changes["event_types"] = _validate_event_types(changes["event_types"])
    if "description" in changes:
        changes["description"] = _validate_description(str(changes["description"]))
    changed, before = apply_changes(endpoint, changes, editable=EDITABLE_FIELDS, snapshot=_snapshot)
    if not changed:
        return endpoint
    if "url" in changed:
        validate_webhook_url(endpoint.url)
    endpoint.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action="webhook_endpoint.updated",
        obj=endpoint,
        before=before,
        after=_snapshot(endpoint, changed),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    """Remove an endpoint and its delivery history; admins only."""
    _require_admin(actor=actor, organisation=endpoint.organisation, what="webhook endpoint")
    endpoint = _locked(endpoint)
    event_record(
        actor=actor,
        action="webhook_endpoint.deleted",
        obj=endpoint,
        before={"organisation": endpoint.organisation.slug, **_snapshot(endpoint, EDITABLE_FIELDS)},
    )
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """Replace the signing secret; messages from now on are signed with the new one."""
    _require_admin(actor=actor, organisation=endpoint.organisation, what="webhook endpoint")
    endpoint = _locked(endpoint)
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    event_record(actor=actor, action="webhook_endpoint.secret_rotated", obj=endpoint)
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """Turn a disabled endpoint back on, with a clean record of failures."""
    _require_admin(actor=actor, organisation=endpoint.organisation, what="webhook endpoint")
    endpoint = _locked(endpoint)
    if endpoint.disabled_at is None:
        raise DomainError("webhook_endpoint_active", "This endpoint is already enabled.")
    validate_webhook_url(endpoint.url)
    before = {"disabled_at": endpoint.disabled_at, "disabled_reason": endpoint.disabled_reason}
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failing_since = None
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "failing_since", "updated_at"])
    event_record(actor=actor, action="webhook_endpoint.enabled", obj=endpoint, before=before)
    return endpoint


@transaction.atomic
def webhook_endpoint_send_test(
    *, endpoint: WebhookEndpoint, actor: User, now: dt.datetime
) -> Notification:
    """Queue a ``webhook.test`` message to the endpoint; the worker delivers it."""
    _require_admin(actor=actor, organisation=endpoint.organisation, what="webhook endpoint")
    endpoint = _locked(endpoint)
    if endpoint.disabled_at is not None:
        raise DomainError(
            "webhook_endpoint_disabled", "This endpoint is disabled; enable it to send a test."
        )
    summary = f"A test message from Milepost for {endpoint.organisation}."
    notification = Notification.objects.create(
        key=f"webhook-test:{endpoint.pk}:{uuid.uuid4().hex}",
        kind=Kind.NOTICE,
        channel=Channel.WEBHOOK,
        event_type=TEST_EVENT_TYPE,
        endpoint=endpoint,
        payload={"type": TEST_EVENT_TYPE, "summary": summary, "url": _detail_url(endpoint)},
        send_after=now,
    )
    event_record(
        actor=actor,
        action="webhook_endpoint.test_sent",
        obj=endpoint,
        after={"notification": notification.pk},
    )
    return notification


def _detail_url(endpoint: WebhookEndpoint) -> str:
    return settings.MILEPOST_BASE_URL + reverse("webhook-detail", args=[endpoint.pk])


# Selectors


def webhook_endpoints_for_user(*, user: User) -> QuerySet[WebhookEndpoint]:
    """Return the endpoints of the organisations where the user is an admin or manager."""
    return WebhookEndpoint.objects.filter(
        organisation__memberships__user=user,
        organisation__memberships__role__in=[Role.ADMIN, Role.MANAGER],
    ).select_related("organisation")


def webhook_endpoints_for_organisation(
    *, user: User, organisation: Organisation
) -> QuerySet[WebhookEndpoint]:
    """Return an organisation's endpoints for one of its admins or managers.

    A non-member gets NotFound; a member or viewer gets Forbidden.
    """
    role = _role(user=user, organisation=organisation)
    if role is None:
        raise NotFound("organisation")
    if role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden(f"Only admins and managers of {organisation} may see its webhooks.")
    return WebhookEndpoint.objects.filter(organisation=organisation).select_related("organisation")


def webhook_endpoint_get_for_user(*, user: User, pk: int) -> WebhookEndpoint:
    """Return one endpoint the user may see (an admin or manager of its organisation)."""
    endpoint = webhook_endpoints_for_user(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise NotFound("webhook endpoint")
    return endpoint


def endpoints_for(*, contract: Contract, event_type: str) -> list[WebhookEndpoint]:
    """Return the active endpoints of the contract's parties that take this event type."""
    endpoints = WebhookEndpoint.objects.filter(
        disabled_at__isnull=True, organisation__parties__contract=contract
    ).distinct()
    # Filtered here: SQLite cannot ask whether a JSON list contains a value.
    return [e for e in endpoints if not e.event_types or event_type in e.event_types]


def webhook_deliveries_for_endpoint(
    *, endpoint: WebhookEndpoint, limit: int = 50
) -> list[Notification]:
    """Return the endpoint's most recent messages, newest first."""
    return list(
        Notification.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")[:limit]
    )


# Delivery


class _ForbiddenPeer(Exception):
    """The socket connected to a non-public address (the DNS answer changed after the check)."""


def _check_peer(sock: socket.socket) -> None:
    if settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE:
        return
    address = str(sock.getpeername()[0])
    if _is_forbidden_address(address):
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
            action="webhook_endpoint.disabled",
            obj=locked,
            after={"disabled_reason": locked.disabled_reason, "failing_since": since},
        )
        _tell_admins_disabled(locked, now=now)
    endpoint.disabled_at, endpoint.disabled_reason = locked.disabled_at, locked.disabled_reason
    endpoint.failing_since = locked.failing_since


def _tell_admins_disabled(endpoint: WebhookEndpoint, *, now: dt.datetime) -> None:
    # Imported here: the engine imports this module for delivery.
    from milepost.alerts.engine import notice_send

    admins = User.objects.filter(
        memberships__organisation_id=endpoint.organisation_id,
        memberships__role=Role.ADMIN,
        is_active=True,
    )
    event_type = "notice.webhook_disabled"
    summary = f"The webhook endpoint {endpoint.url} was disabled after failing for days."
    assert endpoint.disabled_at is not None
    notice_send(
        users=list(admins),
        key=f"notice:endpoint-disabled:{endpoint.pk}:{endpoint.disabled_at.isoformat()}",
        event_type=event_type,
        summary=summary,
        payload={"type": event_type, "summary": summary, "url": _detail_url(endpoint)},
        now=now,
    )
