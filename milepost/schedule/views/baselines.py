"""Baseline pages: a contract's baselines with a form to save one, and one baseline's variance."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error

from ..baselines import (
    baseline_create,
    baseline_delete,
    baseline_get_for_user,
    baseline_variance,
    baselines_for_contract,
)
from ..forms import BaselineForm


@login_required
@require_http_methods(["GET", "POST"])
def contract_baselines(request: HttpRequest, pk: int) -> HttpResponse:
    """List the contract's baselines; managers save a new one from the current plan."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    access = contract_access(user=user, contract=contract)
    form = BaselineForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            baseline = baseline_create(
                contract=contract, name=form.cleaned_data["name"], actor=user
            )
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Baseline “{baseline.name}” saved.")
            return redirect("baseline-detail", pk=baseline.pk)
    context = {
        "contract": contract,
        "access": access,
        "baselines": baselines_for_contract(user=user, contract=contract),
        "form": form,
    }
    status = 422 if form.errors else 200
    return render(request, "schedule/baselines/list.html", context, status=status)


@login_required
def baseline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the slip of every milestone against the baseline, and the summary."""
    user = cast(User, request.user)
    baseline = baseline_get_for_user(user=user, pk=pk)
    variance = baseline_variance(user=user, baseline=baseline)
    context = {
        "baseline": baseline,
        "contract": baseline.contract,
        "access": contract_access(user=user, contract=baseline.contract),
        "rows": variance.rows,
        "summary": variance.summary,
    }
    return render(request, "schedule/baselines/detail.html", context)


@login_required
@require_POST
def baseline_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete the baseline and go back to the contract's list."""
    user = cast(User, request.user)
    baseline = baseline_get_for_user(user=user, pk=pk)
    baseline_delete(baseline=baseline, actor=user)
    messages.success(request, f"Baseline “{baseline.name}” deleted.")
    return redirect("contract-baselines", pk=baseline.contract_id)


urlpatterns = [
    path("contracts/<int:pk>/baselines/", contract_baselines, name="contract-baselines"),
    path("baselines/<int:pk>/", baseline_detail, name="baseline-detail"),
    path("baselines/<int:pk>/delete/", baseline_remove, name="baseline-delete"),
]
