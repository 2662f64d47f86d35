"""The bell's list of in-app notifications, alert preferences, and watch buttons."""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.accounts.selectors import memberships_for_user
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import DomainError
from milepost.core.forms import add_domain_error
from milepost.schedule.selectors import milestone_get_for_user

from ..forms import AlertPreferenceForm, WatchForm
from ..inbox import (
    alert_preference_for,
    alert_preference_set,
    inbox_for_user,
    is_watching,
    notification_get_for_user,
    notification_mark_read,
    notifications_mark_all_read,
    watch_add,
    watch_remove,
    watches_for_user,
)
from ..models import Notification

NOTIFICATION_PAGE = 50


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """List the person's in-app notifications, newest first, a page at a time."""
    unread = request.GET.get("unread") == "1"
    rows = inbox_for_user(user=_user(request), unread=unread)
    page = Paginator(rows, NOTIFICATION_PAGE).get_page(request.GET.get("page"))
    return render(request, "alerts/inbox/list.html", {"page": page, "unread": unread})


def _back_to_list(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notification-list")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_get_for_user(user=_user(request), pk=pk)
    notification_mark_read(user=_user(request), notification=notification)
    return _back_to_list(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=_user(request))
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return _back_to_list(request)


def notification_target(request: HttpRequest, notification: Notification) -> str:
    """Where a notification leads: its milestone, its contract, or a notice's own local link."""
    action = notification.payload.get("action") or {}
    if isinstance(action, dict) and action.get("state", "open") == "open":
        # A request to act leads where it is acted on (a change request, an update link).
        target = str(action.get("url") or "").removeprefix(settings.MILEPOST_BASE_URL)
        if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}
        ):
            return target
    if notification.milestone_id:
        return reverse("milestones:milestone-detail", args=[notification.milestone_id])
    if notification.contract_id:
        return reverse("reporting:contract-detail", args=[notification.contract_id])
    url = str(notification.payload.get("url") or "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("notification-list")


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a notification read and go to what it is about."""
    notification = notification_get_for_user(user=_user(request), pk=pk)
    notification_mark_read(user=_user(request), notification=notification)
    return redirect(notification_target(request, notification))


@login_required
@require_http_methods(["GET", "POST"])
def alert_preferences(request: HttpRequest) -> HttpResponse:
    """Show and change how and when the person hears from Milepost, and what they watch."""
    user = _user(request)
    current = alert_preference_for(user=user)
    initial = {name: getattr(current, name) for name in AlertPreferenceForm.base_fields}
    form = AlertPreferenceForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            alert_preference_set(user=user, actor=user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("alert-preferences")
    context = {
        "form": form,
        "watches": watches_for_user(user=user),
        "memberships": memberships_for_user(user=user).order_by("organisation__name"),
    }
    return render(
        request, "alerts/inbox/preferences.html", context, status=422 if form.errors else 200
    )


def _watch(request: HttpRequest, target: dict[str, Any], detail: str, noun: str) -> HttpResponse:
    """Show the button (GET; a partial for htmx) or watch or unwatch (POST)."""
    user = _user(request)
    ((kind, obj),) = target.items()
    url = reverse(f"{kind}-watch", args=[obj.pk])
    if request.method == "POST":
        form = WatchForm(request.POST)
        if not form.is_valid():
            return HttpResponse("Say watch or unwatch.", status=400)
        if form.cleaned_data["action"] == "watch":
            watch_add(user=user, **target)
            done = f"You are watching this {noun}; you will hear of its updates."
        else:
            watch_remove(user=user, **target)
            done = f"You no longer watch this {noun}."
        if not request.htmx:  # type: ignore[attr-defined]
            messages.success(request, done)
            back = form.cleaned_data["next"]
            if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                return redirect(back)
            return redirect(detail, pk=obj.pk)
    context = {
        "watching": is_watching(user=user, **target),
        "action_url": url,
        "noun": noun,
        "target": obj,
        "detail": reverse(detail, args=[obj.pk]),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "alerts/inbox/partials/watch_button.html", context)
    return render(request, "alerts/inbox/watch.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_watch(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=_user(request), pk=pk)
    return _watch(request, {"contract": contract}, "reporting:contract-detail", "contract")


@login_required
@require_http_methods(["GET", "POST"])
def milestone_watch(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=_user(request), pk=pk)
    return _watch(request, {"milestone": milestone}, "milestones:milestone-detail", "milestone")


urlpatterns = [
    path("notifications/", notification_list, name="notification-list"),
    path("notifications/read-all/", notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read/", notification_read, name="notification-read"),
    path("notifications/<int:pk>/open/", notification_open, name="notification-open"),
    path("account/notifications/", alert_preferences, name="alert-preferences"),
    path("contracts/<int:pk>/watch/", contract_watch, name="contract-watch"),
    path("milestones/<int:pk>/watch/", milestone_watch, name="milestone-watch"),
]
