"""Planning pages: a milestone's relative date (anchor), pin and plan."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_access
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error

from ..choices import AnchorEvent
from ..forms import AnchorForm, PlanForm
from ..models import Milestone
from ..planning import milestone_anchor_set, milestone_pin, milestone_plan_set
from ..selectors import milestone_get_for_user


def _planning_context(milestone: Milestone, user: User) -> dict[str, Any]:
    access = contract_access(user=user, contract=milestone.contract)
    return {
        "milestone": milestone,
        "contract": milestone.contract,
        "can_manage": access.can_manage and milestone.is_open,
        "can_plan": milestone.is_open
        and access.can_contribute
        and (access.can_manage or milestone.owner_id == user.pk),
    }


@login_required
@require_http_methods(["GET", "POST"])
def milestone_planning(request: HttpRequest, pk: int) -> HttpResponse:
    """Show and change how a milestone's date is worked out: anchor, pin, start and estimate."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    anchor_form = AnchorForm(
        request.POST if "anchor_save" in request.POST else None,
        milestone=milestone,
        initial={
            "anchor": milestone.anchor_id,
            "event": milestone.anchor_event or AnchorEvent.MET,
            "offset": milestone.anchor_offset,
            "working_days": milestone.anchor_working_days,
        },
    )
    plan_form = PlanForm(
        request.POST if "plan_save" in request.POST else None,
        initial={
            "start_date": milestone.start_date,
            "estimate_optimistic": milestone.estimate_optimistic,
            "estimate_likely": milestone.estimate_likely,
            "estimate_pessimistic": milestone.estimate_pessimistic,
        },
    )
    bound = anchor_form if anchor_form.is_bound else plan_form if plan_form.is_bound else None
    if request.method == "POST" and "pin" in request.POST:
        return _pin(request, milestone, user)
    if bound is not None and bound.is_valid():
        try:
            if bound is anchor_form:
                d = anchor_form.cleaned_data
                milestone_anchor_set(
                    milestone=milestone,
                    anchor=d["anchor"],
                    event=d["event"],
                    offset=d["offset"],
                    working_days=d["working_days"],
                    actor=user,
                )
            else:
                d = plan_form.cleaned_data
                estimate = (
                    (d["estimate_optimistic"], d["estimate_likely"], d["estimate_pessimistic"])
                    if d["estimate_likely"] is not None
                    else None
                )
                milestone_plan_set(
                    milestone=milestone, start_date=d["start_date"], estimate=estimate, actor=user
                )
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(bound, exc)
        else:
            messages.success(request, "Saved; what follows has been recomputed.")
            return redirect("milestone-planning", pk=milestone.pk)
    context = {
        **_planning_context(milestone, user),
        "anchor_form": anchor_form,
        "plan_form": plan_form,
    }
    status = 422 if bound is not None and bound.errors else 200
    return render(request, "schedule/planning/milestone.html", context, status=status)


def _pin(request: HttpRequest, milestone: Milestone, user: User) -> HttpResponse:
    pinned = request.POST.get("pin") == "1"
    try:
        milestone_pin(milestone=milestone, pinned=pinned, actor=user)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Date pinned." if pinned else "Pin released.")
    return redirect("milestone-planning", pk=milestone.pk)


urlpatterns = [
    path("milestones/<int:pk>/planning/", milestone_planning, name="milestone-planning"),
]
