"""The retention page: a contract's ledger and its two releases, and fixing what a release pays."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import local_today
from milepost.core.errors import NotFound
from milepost.schedule.selectors import milestone_get_for_user
from milepost.web.feedback import run_action

from .selectors import retention_history, retention_ledger
from .services import retention_release_fix, retention_release_fix_refusal


def _money_page(pk: int) -> str:
    """The contract's Money page, once it exists (another area of the finance app draws it)."""
    try:
        return reverse("finance:money", args=[pk])
    except NoReverseMatch:
        return ""


@login_required
def contract_retention(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the contract's retention: held, released, the balance, the releases and each line."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    today = local_today(contract.time_zone)
    ledger = retention_ledger(contract=contract, today=today)
    releases = [
        (
            release,
            release.amount_now != release.milestone.payment.amount,
            retention_release_fix_refusal(milestone=release.milestone, user=user),
        )
        for release in ledger.releases
    ]
    context = {
        "contract": contract,
        "today": today,
        "ledger": ledger,
        "releases": releases,
        "money_page": _money_page(contract.pk),
        "history": retention_history(contract=contract),
    }
    return render(request, "finance/retention/contract.html", context)


@login_required
@require_POST
def release_fix(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a release of retention to pay what is held for it now, and go back to the ledger.

    A refusal, even of the role, is told on the ledger page (a missing milestone is a 404).
    """
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: retention_release_fix(milestone=milestone, actor=user),
        f"'{milestone.title}' now pays the retention held for it.",
        raise_=(NotFound,),
    )
    return redirect("finance:retention", milestone.contract_id)
