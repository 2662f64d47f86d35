"""The one-link unsubscribe page: a GET asks, a POST (a person's or a mail provider's) acts.

Mail scanners follow links, so a GET never changes anything. The POST needs no login and no
CSRF token: RFC 8058 one-click requests come from mail providers with the body
``List-Unsubscribe=One-Click``, and the signed token in the URL is the proof.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from milepost.core.errors import DomainError

from ..emails import PREFERENCES_FALLBACK, email_unsubscribe, unsubscribe_read


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = unsubscribe_read(token=token)
    except DomainError as error:
        return render(
            request,
            "alerts/unsubscribe/invalid.html",
            {"message": error.message, "fallback": PREFERENCES_FALLBACK},
            status=400,
        )
    context: dict[str, object] = {"link": link, "fallback": PREFERENCES_FALLBACK}
    if request.method == "POST":
        context["changed"] = email_unsubscribe(user=link.user, scope=link.scope)
        return render(request, "alerts/unsubscribe/done.html", context)
    return render(request, "alerts/unsubscribe/confirm.html", context)


urlpatterns: list[URLPattern] = [
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
]
