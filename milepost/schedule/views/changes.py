"""Change request pages: propose a change to a milestone, list a contract's, decide one."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error

from ..changes import (
    change_request_approve,
    change_request_can_decide,
    change_request_decide_refusal,
    change_request_get_for_user,
    change_request_preview,
    change_request_reject,
    change_request_submit,
    change_request_withdraw,
    change_requests_for_user,
)
from ..choices import ChangeStatus
from ..forms import ChangeRequestForm, DecisionForm
from ..selectors import milestone_get_for_user


@login_required
@require_http_methods(["GET", "POST"])
def change_request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a change: preview its impact first, then submit it with a reason."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    form = ChangeRequestForm(
        request.POST if request.method == "POST" else None,
        milestone=milestone,
        initial={"new_due_date": milestone.due_date},
    )
    impact = None
    if form.is_bound and form.is_valid():
        values = {
            "new_due_date": form.cleaned_data["new_due_date"],
            "new_amount": form.cleaned_data.get("new_amount"),
        }
        try:
            if "submit" in request.POST:
                change = change_request_submit(
                    milestone=milestone, reason=form.cleaned_data["reason"], actor=user, **values
                )
                messages.success(request, "Change request submitted to the counterparty.")
                return redirect("change-request-detail", pk=change.pk)
            impact = change_request_preview(milestone=milestone, actor=user, **values)
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {
        "milestone": milestone,
        "contract": milestone.contract,
        "form": form,
        "impact": impact,
        "can_propose": contract_access(user=user, contract=milestone.contract).can_manage,
    }
    return render(request, "schedule/changes/new.html", context, status=422 if form.errors else 200)


@login_required
def contract_change_requests(request: HttpRequest, pk: int) -> HttpResponse:
    """List a contract's change requests, pending first by default."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    status = request.GET.get("status", "")
    if status not in ChangeStatus.values:
        status = ""
    changes = change_requests_for_user(user=user, contract=contract.pk, status=status)
    context = {
        "contract": contract,
        "changes": changes,
        "status": status,
        "statuses": ChangeStatus.choices,
    }
    return render(request, "schedule/changes/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def change_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a change request with its impact; the counterparty decides, the requester withdraws."""
    user = cast(User, request.user)
    change = change_request_get_for_user(user=user, pk=pk)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if "approve" in request.POST:
                change_request_approve(change=change, note=note, actor=user)
                messages.success(request, "Approved: the new values apply.")
            elif "reject" in request.POST:
                change_request_reject(change=change, note=note, actor=user)
                messages.success(request, "Rejected; nothing moves.")
            elif "withdraw" in request.POST:
                change_request_withdraw(change=change, actor=user)
                messages.success(request, "Withdrawn.")
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("change-request-detail", pk=change.pk)
    access = contract_access(user=user, contract=change.contract)
    context = {
        "change": change,
        "contract": change.contract,
        "impact": change.impact,
        "form": form,
        "can_decide": change_request_can_decide(change=change, user=user),
        # Why a person who may not decide sees no Approve and Reject, in their place.
        "decide_refusal": _reason(change_request_decide_refusal(change=change, user=user))
        if change.status == ChangeStatus.PENDING
        else "",
        "can_withdraw": change.status == ChangeStatus.PENDING
        and (
            change.requested_by_id == user.pk
            or access.acts_for(change.requesting_party_id, Role.MANAGER)
        ),
    }
    return render(
        request, "schedule/changes/detail.html", context, status=422 if form.errors else 200
    )


def _reason(refusal: DomainError | None) -> str:
    return refusal.message if refusal is not None else ""


urlpatterns = [
    path(
        "milestones/<int:pk>/change-requests/new/",
        change_request_new,
        name="change-request-new",
    ),
    path(
        "contracts/<int:pk>/change-requests/",
        contract_change_requests,
        name="contract-change-requests",
    ),
    path("change-requests/<int:pk>/", change_request_detail, name="change-request-detail"),
]
