"""Reminder rules pages: the rule in force at one level, where it comes from, and its override."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import User
from milepost.accounts.selectors import memberships_for_user
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error
from milepost.schedule.selectors import milestone_get_for_user

from ..choices import Channel
from ..forms import ReminderRuleForm
from ..rules import reminder_rule_clear, reminder_rule_in_force, reminder_rule_set
from ..timing import Rule

SOURCES = {
    "milestone": "this milestone's own rule",
    "contract": "the contract's rule",
    "organisation": "the owning organisation's default",
    "default": "Milepost's built-in default",
}
# Who may change each level, as the services decide it; shown to those who may not.
CHANGERS = {
    "organisation": "managers and admins of the organisation",
    "contract": "managers and admins of the organisation that owns the contract",
    "milestone": "managers and admins of a party to the contract",
}


def _initial(rule: Rule) -> dict[str, Any]:
    return {
        "offsets": ", ".join(str(day) for day in sorted(rule.offsets, reverse=True)),
        "working_days": rule.working_days,
        "overdue_every": rule.overdue_every,
        "escalate_after": rule.escalate_after,
        "escalate_critical_to_counterparty": rule.escalate_critical_to_counterparty,
        "channels": list(rule.channels),
    }


def _page(
    request: HttpRequest, level: str, scope: dict[str, Any], can_change: bool, extra: dict[str, Any]
) -> HttpResponse:
    """Show the rule in force at ``scope``; on POST save or remove this level's override."""
    user = cast(User, request.user)
    rule, source = reminder_rule_in_force(**scope)
    form = ReminderRuleForm(
        request.POST if request.method == "POST" and "clear" not in request.POST else None,
        initial=_initial(rule),
    )
    if request.method == "POST" and "clear" in request.POST:
        reminder_rule_clear(actor=user, **scope)
        messages.success(request, "Override removed; the next level up applies.")
        return redirect(request.path)
    if form.is_bound and form.is_valid():
        try:
            reminder_rule_set(actor=user, **scope, **form.cleaned_data)
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Reminder rule saved.")
            return redirect(request.path)
    context = {
        "level": level,
        "rule": rule,
        "source": source,
        "source_text": SOURCES[source],
        "overridden": source == level,
        "can_change": can_change,
        "changers": CHANGERS[level],
        "form": form,
        "channel_labels": [Channel(c).label for c in rule.channels],
        **extra,
    }
    return render(request, "alerts/rules/rule.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def org_reminder_rule(request: HttpRequest, slug: str) -> HttpResponse:
    user = cast(User, request.user)
    membership = memberships_for_user(user=user).filter(organisation__slug=slug).first()
    if membership is None:
        raise NotFound("organisation")
    organisation = membership.organisation
    return _page(
        request,
        "organisation",
        {"organisation": organisation},
        at_least(membership.role, Role.MANAGER),
        {"subject": organisation.name, "organisation": organisation},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_reminder_rule(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    access = contract_access(user=user, contract=contract)
    member = memberships_for_user(user=user).filter(organisation=contract.owner_id).exists()
    return _page(
        request,
        "contract",
        {"contract": contract},
        access.can_administer,
        {
            "subject": f"{contract.reference} · {contract.title}",
            "contract": contract,
            # The organisation's page is for its members only.
            "organisation": contract.owner if member else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def milestone_reminder_rule(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    access = contract_access(user=user, contract=milestone.contract)
    return _page(
        request,
        "milestone",
        {"milestone": milestone},
        access.can_manage,
        {"subject": milestone.title, "milestone": milestone, "contract": milestone.contract},
    )


urlpatterns = [
    path("organisations/<slug:slug>/reminders/", org_reminder_rule, name="org-reminder-rule"),
    path("contracts/<int:pk>/reminders/", contract_reminder_rule, name="contract-reminder-rule"),
    path("milestones/<int:pk>/reminders/", milestone_reminder_rule, name="milestone-reminder-rule"),
]
