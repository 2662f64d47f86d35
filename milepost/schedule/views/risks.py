"""Risk pages: a contract's early-warning register, one warning, and a milestone's recovery actions.

A refused form is shown again with the error on the field the rule names (422); a one-button
action (reopen, mark done) reports back as a message.
"""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error

from ..choices import WarningStatus
from ..forms import CloseForm, RecoveryForm, WarningForm
from ..risks import score_band
from ..risks.early_warnings import (
    early_warning_close,
    early_warning_get_for_user,
    early_warning_may_change,
    early_warning_raise,
    early_warning_reopen,
    early_warning_require_editor,
    early_warning_update,
    early_warnings_for_contract,
)
from ..risks.recovery import (
    recovery_action_add,
    recovery_action_complete,
    recovery_action_get_for_user,
    recovery_require_editor,
)
from ..risks.register import risk_panel, warning_matrix
from ..selectors import milestone_get_for_user


def _save(form: forms.Form, write: Callable[[dict[str, Any]], Any]) -> Any:
    """Run ``write`` on a valid form's data; show a rule's refusal on the form's field."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> None:
    """Run a one-button service call and say it was done, or why a rule refused it."""
    try:
        action()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


def _editable(contract: Contract) -> bool:
    return not contract.is_closed


@login_required
@require_http_methods(["GET", "POST"])
def contract_early_warnings(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the register (open first, by score) with its 5-by-5 summary; contributors raise one."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    access = contract_access(user=user, contract=contract)
    can_raise = access.can_contribute and _editable(contract)
    form = None
    if request.method == "POST":
        access.require_contributor()
        form = WarningForm(request.POST, contract=contract)
        warning = _save(
            form, lambda data: early_warning_raise(contract=contract, actor=user, **data)
        )
        if warning is not None:
            messages.success(request, f"Early warning “{warning.title}” raised.")
            return redirect("early-warning-detail", pk=warning.pk)
    elif can_raise:
        chosen = request.GET.get("milestone", "")
        form = WarningForm(
            contract=contract,
            initial={"owner": user.pk, "milestones": [int(chosen)] if chosen.isdigit() else []},
        )
    status = request.GET.get("status") if request.GET.get("status") in WarningStatus.values else ""
    everything = list(early_warnings_for_contract(user=user, contract=contract))
    context = {
        "contract": contract,
        "warnings": [w for w in everything if not status or w.status == status],
        "open_count": sum(w.status == WarningStatus.OPEN for w in everything),
        "matrix": warning_matrix(warnings=everything),
        "status": status,
        "form": form,
        "can_raise": can_raise,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "schedule/risks/partials/register_table.html", context)
    status_code = 422 if form is not None and form.errors else 200
    return render(request, "schedule/risks/register.html", context, status=status_code)


@login_required
@require_http_methods(["GET", "POST"])
def early_warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one warning; its owner, raiser or a manager edits, closes or reopens it."""
    user = cast(User, request.user)
    warning = early_warning_get_for_user(user=user, pk=pk)
    contract = warning.contract
    access = contract_access(user=user, contract=contract)
    may_change = _editable(contract) and early_warning_may_change(
        access=access, warning=warning, user=user
    )
    linked = [m.pk for m in warning.milestones.all()]
    edit_form = WarningForm(
        contract=contract, linked=linked, initial=WarningForm.initial_for(warning)
    )
    close_form = CloseForm()
    if request.method == "POST":
        early_warning_require_editor(warning=warning, actor=user)
        op = request.POST.get("op")
        if op == "update":
            edit_form = WarningForm(request.POST, contract=contract, linked=linked)
            if _save(edit_form, lambda d: early_warning_update(warning=warning, actor=user, **d)):
                messages.success(request, "Early warning saved.")
                return redirect("early-warning-detail", pk=pk)
        elif op == "close":
            close_form = CloseForm(request.POST)
            if _save(close_form, lambda d: early_warning_close(warning=warning, actor=user, **d)):
                messages.success(request, "Early warning closed.")
                return redirect("early-warning-detail", pk=pk)
        elif op == "reopen":
            _act(
                request,
                lambda: early_warning_reopen(warning=warning, actor=user),
                "Early warning reopened.",
            )
            return redirect("early-warning-detail", pk=pk)
        else:
            return HttpResponseBadRequest("Unknown action.")
    context = {
        "warning": warning,
        "contract": contract,
        "band": score_band(warning.likelihood * warning.impact),
        "may_change": may_change,
        "edit_form": edit_form,
        "close_form": close_form,
    }
    errors = edit_form.errors or close_form.errors
    return render(request, "schedule/risks/warning.html", context, status=422 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_recovery(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a milestone's recovery actions; those who may, add one or mark one done."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    contract = milestone.contract
    form = RecoveryForm(contract=contract, initial={"owner": milestone.owner_id})
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "add":
            recovery_require_editor(milestone=milestone, actor=user)
            form = RecoveryForm(request.POST, contract=contract)
            action = _save(
                form, lambda data: recovery_action_add(milestone=milestone, actor=user, **data)
            )
            if action is not None:
                messages.success(request, "Recovery action added.")
                return redirect("milestone-recovery", pk=pk)
        elif op == "complete":
            action_id = request.POST.get("action", "")
            action = recovery_action_get_for_user(
                user=user, pk=int(action_id) if action_id.isdigit() else 0
            )
            if action.milestone_id != milestone.pk:
                raise NotFound("recovery action")
            _act(
                request,
                lambda: recovery_action_complete(action=action, actor=user),
                "Recovery action marked done.",
            )
            return redirect("milestone-recovery", pk=pk)
        else:
            return HttpResponseBadRequest("Unknown action.")
    context = {
        "milestone": milestone,
        "contract": contract,
        "form": form,
        **risk_panel(user=user, milestone=milestone),
    }
    return render(
        request, "schedule/risks/recovery.html", context, status=422 if form.errors else 200
    )


urlpatterns = [
    path(
        "contracts/<int:pk>/early-warnings/",
        contract_early_warnings,
        name="contract-early-warnings",
    ),
    path("early-warnings/<int:pk>/", early_warning_detail, name="early-warning-detail"),
    path("milestones/<int:pk>/recovery/", milestone_recovery, name="milestone-recovery"),
]
