"""Delay damages pages: a contract's damages, and one milestone's terms with their form."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user, parties_for_contract
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden
from milepost.core.forms import set_currency
from milepost.schedule.selectors import milestone_get_for_user
from milepost.web.feedback import run_action, save_form

from .forms import DamagesForm
from .selectors import damages_accrual, damages_for_contract, damages_terms_for, damages_totals
from .services import (
    damages_remove_refusal,
    damages_terms_refusal,
    damages_terms_remove,
    damages_terms_set,
)


@login_required
def contract_damages(request: HttpRequest, pk: int) -> HttpResponse:
    """List the contract's milestones that carry delay damages, with what each has accrued."""
    contract = contract_get_for_user(user=cast(User, request.user), pk=pk)
    today = local_today(contract.time_zone)
    accruals = damages_for_contract(contract=contract, today=today)
    context = {
        "contract": contract,
        "today": today,
        "accruals": accruals,
        "totals": damages_totals(accruals, contract.currency),
    }
    return render(request, "finance/damages/contract.html", context)


def _initial(terms: Any, parties: list[Any], milestone: Any) -> dict[str, Any]:
    if terms is not None:
        return {
            "rate": terms.rate,
            "unit": terms.unit,
            "payer": terms.payer_id,
            "payee": terms.payee_id,
            "cap_amount": terms.cap_amount,
            "cap_percent": terms.cap_percent,
        }
    # The party responsible for the milestone is the one late; the other party is owed.
    payee = next((p for p in parties if p.pk != milestone.responsible_party_id), None)
    return {"payer": milestone.responsible_party_id, "payee": payee.pk if payee else None}


@login_required
@require_http_methods(["GET", "POST"])
def milestone_damages(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a milestone's delay damages and, for those who may, the form that sets them."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    contract = milestone.contract
    parties = list(parties_for_contract(contract=contract))
    terms = damages_terms_for(milestone=milestone)
    refusal = damages_terms_refusal(milestone=milestone, user=user)
    form = DamagesForm(
        request.POST if request.method == "POST" and refusal is None else None,
        parties=parties_for_contract(contract=contract),
        initial=_initial(terms, parties, milestone),
    )
    set_currency(form, contract.currency)
    if request.method == "POST" and refusal is None:
        saved = save_form(form, lambda data: _set(milestone, user, data))
        if saved is not None:
            messages.success(request, "Delay damages saved.")
            return redirect("finance:milestone-damages", pk=milestone.pk)
    today = local_today(contract.time_zone)
    context = {
        "milestone": milestone,
        "contract": contract,
        "today": today,
        "terms": terms,
        "accrual": damages_accrual(terms=terms, today=today) if terms else None,
        "form": form,
        "refusal": refusal.message if refusal else "",
        "remove_refusal": _remove_reason(milestone, user) if terms else "",
    }
    return render(
        request, "finance/damages/milestone.html", context, status=422 if form.errors else 200
    )


def _set(milestone: Any, user: User, data: dict[str, Any]) -> Any:
    try:
        return damages_terms_set(milestone=milestone, actor=user, **data)
    except Forbidden as exc:
        # The page offered the form, so what was refused is the parties chosen: say so there.
        raise DomainError(exc.code, exc.message, field="payer") from exc


def _remove_reason(milestone: Any, user: User) -> str:
    refusal = damages_remove_refusal(milestone=milestone, user=user)
    return refusal.message if refusal else ""


@login_required
@require_POST
def milestone_damages_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a milestone's delay damages, then go back to its damages page."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: damages_terms_remove(milestone=milestone, actor=user),
        "Delay damages removed.",
    )
    return redirect("finance:milestone-damages", pk=milestone.pk)
