"""Waiting for you: the person's open action requests, and how long their organisation waits."""

import datetime as dt
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Organisation, User
from milepost.accounts.selectors import memberships_for_user
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, NotFound
from milepost.core.forms import add_domain_error

from ..actions import action_rule_for, action_rule_set
from ..forms import ActionRuleForm
from ..models import ActionRequest
from ..selectors import actions_waiting


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def waiting_words(request: ActionRequest, now: dt.datetime | None = None) -> str:
    """How long a request has waited, in words: "since today", "for 3 days"."""
    zone_name = request.contract.time_zone
    days = (local_today(zone_name, now) - local_today(zone_name, request.opened_at)).days
    if days <= 0:
        return "since today"
    return "since yesterday" if days == 1 else f"for {days} days"


@login_required
@require_GET
def actions_waiting_list(request: HttpRequest) -> HttpResponse:
    """List every open request addressed to the person, oldest first, each with its link."""
    user = _user(request)
    now = timezone.now()
    rows = list(actions_waiting(user=user))
    for row in rows:
        row.waiting = waiting_words(row, now)  # type: ignore[attr-defined]
    managed = [
        (m.organisation, action_rule_for(organisation=m.organisation))
        for m in memberships_for_user(user=user).order_by("organisation__name")
        if at_least(m.role, Role.MANAGER)
    ]
    return render(request, "alerts/actions/list.html", {"rows": rows, "managed": managed})


@login_required
@require_http_methods(["GET", "POST"])
def action_rule_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Show and change after how many working days the organisation's requests are reminded
    and escalated; only its managers and admins see the form."""
    user = _user(request)
    organisation = get_object_or_404(Organisation, slug=slug)
    member = memberships_for_user(user=user).filter(organisation=organisation).first()
    if member is None:
        raise NotFound("organisation")
    current = action_rule_for(organisation=organisation)
    form = ActionRuleForm(
        request.POST if request.method == "POST" else None,
        initial={"remind_after": current.remind_after, "escalate_after": current.escalate_after},
    )
    may_change = at_least(member.role, Role.MANAGER)
    if may_change and form.is_bound and form.is_valid():
        try:
            action_rule_set(actor=user, organisation=organisation, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Saved how long requests to {organisation} wait.")
            return redirect("actions-waiting")
    context = {"organisation": organisation, "form": form, "may_change": may_change}
    return render(request, "alerts/actions/rule.html", context, status=422 if form.errors else 200)


urlpatterns = [
    path("actions/", actions_waiting_list, name="actions-waiting"),
    path("actions/organisations/<slug:slug>/", action_rule_edit, name="action-rule"),
]
