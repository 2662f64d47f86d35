"""A person's own profile page, and the page a locked-out sign-in gets."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from milepost.core.errors import DomainError
from milepost.core.forms import add_domain_error

from .forms import ProfileForm
from .models import User
from .services import PROFILE_FIELDS, user_update_profile
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
            return redirect("web:profile")
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
