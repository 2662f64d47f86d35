"""Webhook endpoints: who may change them, what URL they may have, their services and selectors.

An organisation's admins register URLs that receive milestone events as JSON, signed as the
Standard Webhooks specification says. How a message reaches an endpoint (building and signing
it, the HTTP POST, retries, and disabling an endpoint that keeps failing) is the worker's part:
``milepost.alerts.engine.webhook_delivery``.

A URL must not reach the server's own network (server-side request forgery): every address its
host resolves to must be public, checked when it is saved, again before each delivery, and on
the connected socket itself, unless the operator sets ``MILEPOST_WEBHOOK_ALLOW_PRIVATE``.
"""

import base64
import datetime as dt
import ipaddress
import secrets
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, Organisation, User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes

from .choices import Channel, Kind
from .events import AlertEvent, PublishedEvent
from .models import Notification, WebhookEndpoint

# The event types an endpoint may subscribe to; an endpoint with none listed gets them all.
# ``webhook.test`` is not among them: a test message goes to its endpoint whatever it lists.
EVENT_TYPES: tuple[tuple[PublishedEvent, str], ...] = (
    (PublishedEvent.MILESTONE_DUE_SOON, "A reminder: a milestone is due soon."),
    (PublishedEvent.MILESTONE_OVERDUE, "A milestone is past its due date and not yet met."),
    (PublishedEvent.MILESTONE_ESCALATED, "An overdue milestone was escalated to managers."),
    (PublishedEvent.MILESTONE_CREATED, "A milestone was added to a contract."),
    (PublishedEvent.MILESTONE_STATUS_UPDATE, "Someone posted a status update on a milestone."),
    (PublishedEvent.MILESTONE_MET, "A milestone was met."),
    (PublishedEvent.MILESTONE_MISSED, "A milestone was missed."),
    (PublishedEvent.MILESTONE_STATUS_CHANGED, "A milestone's status changed."),
    (PublishedEvent.MILESTONE_RESCHEDULED, "A milestone's due date moved."),
    (PublishedEvent.GATE_DECIDED, "A gate (approval) was decided."),
    (PublishedEvent.PAYMENT_RECORDED, "A payment was invoiced or paid."),
    (PublishedEvent.ACTION_REQUEST_OPENED, "Someone in your organisation was asked to act."),
    (PublishedEvent.ACTION_REQUEST_REMINDED, "A request to act was reminded."),
    (PublishedEvent.ACTION_REQUEST_ESCALATED, "A request to act waited too long: escalated."),
    (PublishedEvent.ACTION_REQUEST_CLOSED, "A request to act was done or is no longer needed."),
)
EVENT_TYPE_NAMES = tuple(name.value for name, _ in EVENT_TYPES)
TEST_EVENT_TYPE = PublishedEvent.WEBHOOK_TEST

URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200
EDITABLE_FIELDS = ("url", "description", "event_types")


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


def is_forbidden_address(address: str) -> bool:
    """Return whether an IP address is one a webhook may not reach: anything not public.

    Delivery asks it again of the address the socket connected to.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and the 6to4 and Teredo forms carry an IPv4 address inside.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and is_forbidden_address(str(inner)):
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
    forbidden = [a for a in addresses if is_forbidden_address(a)]
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
        action=AlertEvent.WEBHOOK_ENDPOINT_CREATED,
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
        action=AlertEvent.WEBHOOK_ENDPOINT_UPDATED,
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
        action=AlertEvent.WEBHOOK_ENDPOINT_DELETED,
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
    event_record(actor=actor, action=AlertEvent.WEBHOOK_ENDPOINT_SECRET_ROTATED, obj=endpoint)
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
    event_record(
        actor=actor, action=AlertEvent.WEBHOOK_ENDPOINT_ENABLED, obj=endpoint, before=before
    )
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
        payload={"type": TEST_EVENT_TYPE, "summary": summary, "url": webhook_detail_url(endpoint)},
        send_after=now,
    )
    event_record(
        actor=actor,
        action=AlertEvent.WEBHOOK_ENDPOINT_TEST_SENT,
        obj=endpoint,
        after={"notification": notification.pk},
    )
    return notification


def webhook_detail_url(endpoint: WebhookEndpoint) -> str:
    """Return the absolute address of the endpoint's page, for messages that point to it."""
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
