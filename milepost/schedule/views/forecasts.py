"""Forecast page: the contract's latest Monte Carlo forecast, its open milestones, and past runs."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.dates import left_out_note
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error

from ..forecasts import (
    forecast_latest,
    forecast_left_out,
    forecast_milestones,
    forecast_run,
    forecast_runs_for_contract,
)
from ..forms import ForecastForm

HISTORY_SHOWN = 20


@login_required
@require_http_methods(["GET", "POST"])
def contract_forecast(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the latest forecast; on POST run a new one."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form = ForecastForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            run = forecast_run(contract=contract, actor=user, **form.cleaned_data)
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Forecast of {run.runs:,} runs done (seed {run.seed}).")
            return redirect(request.path)
    access = contract_access(user=user, contract=contract)
    context = {
        "contract": contract,
        "latest": forecast_latest(contract=contract),
        "milestones": forecast_milestones(contract=contract),
        "runs": forecast_runs_for_contract(user=user, contract=contract)[:HISTORY_SHOWN],
        "can_run": access.can_contribute and not contract.is_closed,
        "left_out": left_out_note(forecast_left_out(contract=contract)),
        "form": form,
    }
    return render(
        request, "schedule/forecasts/forecast.html", context, status=422 if form.errors else 200
    )


urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/forecast/", contract_forecast, name="contract-forecast"),
]
