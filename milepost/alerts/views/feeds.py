"""Calendar feeds: the public token URL a calendar application reads, and the page to manage them."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from milepost.accounts.models import User
from milepost.core.errors import NotFound
from milepost.web.feedback import message_form_errors, run_action

from ..feeds import (
    feed_body,
    feed_token_by_secret,
    feed_token_get_for_user,
    feed_token_get_or_create,
    feed_token_revoke,
    feed_token_rotate,
    feed_token_touch,
    feed_tokens_for_user,
    feed_url,
    feed_webcal_url,
)
from ..forms import ContractFeedForm


# The token in the URL is the credential: no login, and nothing cached by shared caches.
@require_safe
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """Answer the feed's iCalendar text; 304 if the client's copy is current."""
    feed = feed_token_by_secret(secret=token)
    if feed is None:
        raise Http404("No such calendar feed.")
    now = timezone.now()
    body = feed_body(token=feed, now=now)
    feed_token_touch(token=feed, now=now)
    wanted = _etags(request.headers.get("If-None-Match", ""))
    if body.etag in wanted or "*" in wanted:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body.content, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="milepost.ics"'
    response["ETag"] = body.etag
    if body.last_modified is not None:
        response["Last-Modified"] = http_date(body.last_modified.timestamp())
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["X-Robots-Tag"] = "noindex"
    return response


def _etags(header: str) -> set[str]:
    # Weak or strong, a match means the same text: the body is the same bytes either way.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _page(request: HttpRequest, form: ContractFeedForm, status: int = 200) -> HttpResponse:
    user = cast(User, request.user)
    tokens = feed_tokens_for_user(user=user)
    rows = [(t, feed_url(t), feed_webcal_url(t)) for t in tokens]
    context = {
        "personal": next((row for row in rows if row[0].contract_id is None), None),
        "contract_rows": [row for row in rows if row[0].contract_id is not None],
        "form": form,
    }
    return render(request, "alerts/feeds/feed_list.html", context, status=status)


# never_cache: the page holds the secret URLs.
@never_cache
@login_required
def feed_list(request: HttpRequest) -> HttpResponse:
    """Show the person's calendar feeds with their URLs and what can be done with them."""
    return _page(request, ContractFeedForm(user=cast(User, request.user)))


@never_cache
@login_required
@require_POST
def post_feed_personal(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    run_action(
        request,
        lambda: feed_token_get_or_create(user=user, actor=user),
        "Your personal calendar feed is ready; copy its address into your calendar.",
    )
    return redirect("calendar-feeds")


@never_cache
@login_required
@require_POST
def post_feed_contract(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = ContractFeedForm(request.POST, user=user)
    if not form.is_valid():
        message_form_errors(request, form)
        return _page(request, form, status=422)
    contract = form.cleaned_data["contract"]
    run_action(
        request,
        lambda: feed_token_get_or_create(user=user, contract=contract, actor=user),
        f"The calendar feed of {contract.reference} is ready.",
    )
    return redirect("calendar-feeds")


@never_cache
@login_required
@require_POST
def post_feed_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    feed = feed_token_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: feed_token_rotate(token=feed, actor=user),
        "New address made; the old one no longer works. Subscribe again with the new one.",
        raise_=(NotFound,),
    )
    return redirect("calendar-feeds")


@login_required
@require_POST
def post_feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    feed = feed_token_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: feed_token_revoke(token=feed, actor=user),
        "Calendar feed turned off; its address no longer works.",
        raise_=(NotFound,),
    )
    return redirect("calendar-feeds")


urlpatterns: list[URLPattern] = [
    path("feeds/<str:token>.ics", feed_ics, name="feed-ics"),
    path("account/calendar/", feed_list, name="calendar-feeds"),
    path("account/calendar/personal/", post_feed_personal, name="calendar-feed-personal"),
    path("account/calendar/contract/", post_feed_contract, name="calendar-feed-contract"),
    path("account/calendar/<int:pk>/rotate/", post_feed_rotate, name="calendar-feed-rotate"),
    path("account/calendar/<int:pk>/revoke/", post_feed_revoke, name="calendar-feed-revoke"),
]
