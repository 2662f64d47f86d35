"""Webhook endpoints of an organisation: admins register and change them, managers read them."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.accounts.selectors import organisation_get_by_slug
from milepost.alerts.models import Notification, WebhookEndpoint
from milepost.alerts.webhooks import (
    DESCRIPTION_MAX_LENGTH,
    URL_MAX_LENGTH,
    webhook_can_change,
    webhook_deliveries_for_endpoint,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_enable,
    webhook_endpoint_get_for_user,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
    webhook_endpoints_for_organisation,
)
from milepost.core.schemas import Code, InputSchema, RowId

router = Router(tags=["webhooks"])

EventTypes = list[Code]


class WebhookIn(InputSchema):
    url: str = Field(min_length=1, max_length=URL_MAX_LENGTH)
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    event_types: EventTypes = Field(
        default_factory=list,
        max_length=50,
        description="Event types to receive (see the docs); empty means every type.",
    )


class WebhookPatch(InputSchema):
    url: str | None = Field(None, min_length=1, max_length=URL_MAX_LENGTH)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    event_types: EventTypes | None = Field(None, max_length=50)


class WebhookOut(Schema):
    id: int
    organisation: str
    url: str
    description: str
    event_types: list[str]
    active: bool
    disabled_at: dt.datetime | None
    disabled_reason: str
    failing_since: dt.datetime | None
    last_success_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_organisation(obj: WebhookEndpoint) -> str:
        return obj.organisation.slug

    @staticmethod
    def resolve_active(obj: WebhookEndpoint) -> bool:
        return obj.is_active


class WebhookDetailOut(WebhookOut):
    secret: str | None = Field(
        description="The signing secret (whsec_…); shown to the organisation's admins only."
    )

    @staticmethod
    def resolve_secret(obj: WebhookEndpoint, context: dict[str, Any]) -> str | None:
        user = actor(context["request"])
        return obj.secret if webhook_can_change(user=user, organisation=obj.organisation) else None


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    status: str
    attempts: int
    send_after: dt.datetime
    sent_at: dt.datetime | None
    last_error: str


@router.get("/organisations/{slug}/webhooks", response=list[WebhookOut])
def list_webhooks(request: HttpRequest, slug: str) -> Any:
    """List an organisation's webhook endpoints (admins and managers); no secrets."""
    organisation = organisation_get_by_slug(slug=slug)
    return webhook_endpoints_for_organisation(user=actor(request), organisation=organisation)


@router.post("/organisations/{slug}/webhooks", response={201: WebhookDetailOut})
def create_webhook(request: HttpRequest, slug: str, payload: WebhookIn) -> Any:
    """Register a webhook endpoint (admins); the answer holds its signing secret."""
    organisation = organisation_get_by_slug(slug=slug)
    webhook_endpoints_for_organisation(user=actor(request), organisation=organisation)
    endpoint = webhook_endpoint_create(
        organisation=organisation, actor=actor(request), **payload.dict()
    )
    return Status(201, endpoint)


@router.get("/webhooks/{webhook_id}", response=WebhookDetailOut)
def get_webhook(request: HttpRequest, webhook_id: RowId) -> Any:
    """Read one endpoint; its secret is shown to admins only."""
    return webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)


@router.patch("/webhooks/{webhook_id}", response=WebhookDetailOut)
def update_webhook(request: HttpRequest, webhook_id: RowId, payload: WebhookPatch) -> Any:
    """Change an endpoint's URL, description or event types (admins)."""
    endpoint = webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    endpoint = webhook_endpoint_update(endpoint=endpoint, actor=actor(request), **changes)
    return endpoint


@router.delete("/webhooks/{webhook_id}", response={204: None})
def delete_webhook(request: HttpRequest, webhook_id: RowId) -> Any:
    """Delete an endpoint and its delivery history (admins)."""
    endpoint = webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)
    webhook_endpoint_delete(endpoint=endpoint, actor=actor(request))
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/rotate-secret", response=WebhookDetailOut)
def rotate_webhook_secret(request: HttpRequest, webhook_id: RowId) -> Any:
    """Replace the signing secret (admins); later messages are signed with the new one."""
    endpoint = webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)
    endpoint = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=actor(request))
    return endpoint


@router.post("/webhooks/{webhook_id}/enable", response=WebhookDetailOut)
def enable_webhook(request: HttpRequest, webhook_id: RowId) -> Any:
    """Turn a disabled endpoint back on (admins)."""
    endpoint = webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)
    endpoint = webhook_endpoint_enable(endpoint=endpoint, actor=actor(request))
    return endpoint


@router.post("/webhooks/{webhook_id}/test", response={202: DeliveryOut})
def test_webhook(request: HttpRequest, webhook_id: RowId) -> Any:
    """Queue a ``webhook.test`` message (admins); the worker delivers it shortly."""
    endpoint = webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)
    notification = webhook_endpoint_send_test(
        endpoint=endpoint, actor=actor(request), now=timezone.now()
    )
    return Status(202, notification)


@router.get("/webhooks/{webhook_id}/deliveries", response=list[DeliveryOut])
def list_webhook_deliveries(request: HttpRequest, webhook_id: RowId) -> list[Notification]:
    """List the endpoint's 50 most recent messages and how their delivery went."""
    endpoint = webhook_endpoint_get_for_user(user=actor(request), pk=webhook_id)
    return webhook_deliveries_for_endpoint(endpoint=endpoint)
