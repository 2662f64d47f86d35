"""The critical path page: the chain of milestones with no float, and every milestone's float."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user

from ..critical import contract_critical_path

# Table rows a page; the chain above it is listed up to CHAIN_SHOWN milestones.
PAGE = 100
CHAIN_SHOWN = 250


@login_required
def contract_critical_path_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the contract's critical chain in order and a table of every milestone's float."""
    contract = contract_get_for_user(user=cast(User, request.user), pk=pk)
    path_ = contract_critical_path(contract=contract)
    context = {
        "contract": contract,
        "path": path_,
        "chain": path_.chain[:CHAIN_SHOWN],
        "chain_more": max(0, len(path_.chain) - CHAIN_SHOWN),
        "rows": Paginator(path_.rows, PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "schedule/critical/critical_path.html", context)


urlpatterns: list[URLPattern] = [
    path(
        "contracts/<int:pk>/critical-path/",
        contract_critical_path_page,
        name="contract-critical-path",
    ),
]
