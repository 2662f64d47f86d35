"""Webhook pages: an organisation's endpoints, and one endpoint with its recent deliveries.

Admins of the organisation change them; its managers may read them (without the secret).
A refused form is shown again with the error on the field the rule names (422).
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.accounts.selectors import organisation_get_by_slug
from milepost.alerts.models import WebhookEndpoint
from milepost.alerts.webhooks import (
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
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error
from milepost.web.feedback import run_action

from ..forms import WebhookForm


def _save(form: WebhookForm, write: Any) -> WebhookEndpoint | None:
    """Run ``write`` on valid form data; show a refusal on the field it names."""
    if not form.is_bound or not form.is_valid():
        return None
    try:
        return cast(WebhookEndpoint, write(form.cleaned_data))
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest, slug: str) -> HttpResponse:
    """List an organisation's webhook endpoints; its admins register new ones here."""
    user = cast(User, request.user)
    organisation = organisation_get_by_slug(slug=slug)
    endpoints = webhook_endpoints_for_organisation(user=user, organisation=organisation)
    can_change = webhook_can_change(user=user, organisation=organisation)
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if form.is_bound and not can_change:
        raise Forbidden(f"Only an admin of {organisation} may register webhooks.")
    created = _save(
        form,
        lambda data: webhook_endpoint_create(organisation=organisation, actor=user, **data),
    )
    if created is not None:
        messages.success(
            request, "Webhook endpoint created. Copy its signing secret to your receiver."
        )
        return redirect("webhook-detail", pk=created.pk)
    context = {
        "organisation": organisation,
        "endpoints": endpoints,
        "can_change": can_change,
        "form": form,
    }
    return render(request, "alerts/webhooks/list.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one endpoint, its secret (admins) and its recent deliveries; admins edit it."""
    user = cast(User, request.user)
    endpoint = webhook_endpoint_get_for_user(user=user, pk=pk)
    can_change = webhook_can_change(user=user, organisation=endpoint.organisation)
    form = WebhookForm(
        request.POST if request.method == "POST" else None,
        initial=WebhookForm.initial_for(endpoint),
    )
    if form.is_bound and not can_change:
        raise Forbidden(f"Only an admin of {endpoint.organisation} may change its webhooks.")
    if _save(form, lambda data: webhook_endpoint_update(endpoint=endpoint, actor=user, **data)):
        messages.success(request, "Webhook endpoint saved.")
        return redirect("webhook-detail", pk=endpoint.pk)
    if form.errors:
        endpoint.refresh_from_db()
    context = {
        "endpoint": endpoint,
        "organisation": endpoint.organisation,
        "can_change": can_change,
        "form": form,
        "deliveries": webhook_deliveries_for_endpoint(endpoint=endpoint),
    }
    return render(
        request, "alerts/webhooks/detail.html", context, status=422 if form.errors else 200
    )


@login_required
@require_POST
def post_webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    endpoint = webhook_endpoint_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: webhook_endpoint_rotate_secret(endpoint=endpoint, actor=user),
        "Secret rotated: messages are now signed with the new secret. Update your receiver.",
    )
    return redirect("webhook-detail", pk=pk)


@login_required
@require_POST
def post_webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    endpoint = webhook_endpoint_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: webhook_endpoint_enable(endpoint=endpoint, actor=user),
        "Webhook endpoint enabled.",
    )
    return redirect("webhook-detail", pk=pk)


@login_required
@require_POST
def post_webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    endpoint = webhook_endpoint_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: webhook_endpoint_send_test(endpoint=endpoint, actor=user, now=timezone.now()),
        "Test message queued; it appears under recent deliveries once sent.",
    )
    return redirect("webhook-detail", pk=pk)


@login_required
@require_POST
def post_webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    endpoint = webhook_endpoint_get_for_user(user=user, pk=pk)
    slug = endpoint.organisation.slug
    if run_action(
        request,
        lambda: webhook_endpoint_delete(endpoint=endpoint, actor=user),
        f"Webhook endpoint {endpoint.url} deleted.",
    ):
        return redirect("webhook-list", slug=slug)
    return redirect("webhook-detail", pk=pk)


urlpatterns = [
    path("organisations/<slug:slug>/webhooks/", webhook_list, name="webhook-list"),
    path("webhooks/<int:pk>/", webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/rotate-secret/", post_webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/enable/", post_webhook_enable, name="webhook-enable"),
    path("webhooks/<int:pk>/test/", post_webhook_test, name="webhook-test"),
    path("webhooks/<int:pk>/delete/", post_webhook_delete, name="webhook-delete"),
]
