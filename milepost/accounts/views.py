"""A person's own profile page, their API tokens, and the page a locked-out sign-in gets."""

import secrets
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from milepost.core.errors import DomainError, NotFound
from milepost.core.forms import add_domain_error
from milepost.web.feedback import run_action

from .forms import ApiTokenForm, ProfileForm
from .models import User
from .selectors import api_token_get_for_user, api_tokens_for_user
from .services import PROFILE_FIELDS, api_token_create, api_token_revoke, user_update_profile
from .throttle import lockout_message


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Show and change the signed-in person's name, email and time zone."""
    user = cast(User, request.user)
    initial = {name: getattr(user, name) for name in PROFILE_FIELDS}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            user_update_profile(user=user, actor=user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    status = 422 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: object
) -> HttpResponse:
    """Answer a sign-in refused by the lockout (django-axes' ``AXES_LOCKOUT_CALLABLE``): 429.

    The same page for every username, known or not, on ``/login/`` and ``/admin/login/``.
    """
    return render(
        request, "registration/locked_out.html", {"message": lockout_message()}, status=429
    )


USED_TOKEN_FORMS = "used_token_forms"
USED_TOKEN_FORMS_KEPT = 20


def _new_token_form() -> ApiTokenForm:
    return ApiTokenForm(initial={"form_id": secrets.token_urlsafe(16)})


# never_cache: the response to a successful POST holds the new secret, which no cache may keep.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """List the person's API tokens and create one; its secret is in this response only."""
    user = cast(User, request.user)
    form = ApiTokenForm(request.POST) if request.method == "POST" else _new_token_form()
    created = None
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        used: list[str] = request.session.get(USED_TOKEN_FORMS, [])
        if data["form_id"] and data["form_id"] in used:
            # The same form again, as a reload after creating sends it: never a second token.
            messages.info(
                request,
                "This form was already sent and its token created; its secret was shown once. "
                "If you did not copy it, revoke the token and create another.",
            )
            form, status = _new_token_form(), 409
        else:
            try:
                created = api_token_create(
                    user=user,
                    name=data["name"],
                    read_only=data["read_only"],
                    expires_at=data["expires_at"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if data["form_id"]:
                    used = [*used, data["form_id"]][-USED_TOKEN_FORMS_KEPT:]
                    request.session[USED_TOKEN_FORMS] = used
                form = _new_token_form()
    context = {
        "tokens": api_tokens_for_user(user=user),
        "now": timezone.now(),
        "form": form,
        "created": created,
    }
    return render(
        request, "accounts/token_list.html", context, status=422 if form.errors else status
    )


@login_required
@require_POST
def post_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    token = api_token_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: api_token_revoke(token=token, actor=user),
        f"Token “{token.name}” revoked; it no longer works.",
        raise_=(NotFound,),
    )
    return redirect("accounts:token-list")
