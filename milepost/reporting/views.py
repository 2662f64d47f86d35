"""The dashboard and the milestone list behind each of its counts."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import reswap, retarget

from milepost.accounts.models import User

from . import selectors
from .forms import MilestoneFilterForm

PAGE_SIZE = 50
# The dashboard shows the contracts with the soonest critical dates; the contract list has all.
PORTFOLIO_SIZE = 25


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user, now = cast(User, request.user), timezone.now()
    portfolio = selectors.portfolio(user=user, now=now)
    context = {
        "counts": selectors.dashboard_counts(user=user, now=now),
        "gates": selectors.gates_awaiting_decision(user=user, now=now),
        "mine": selectors.own_open_milestones(user=user, now=now),
        "payments": selectors.payments_due_this_month(user=user, now=now),
        "flows": selectors.cash_flow(user=user, now=now),
        "portfolio": portfolio[:PORTFOLIO_SIZE],
        "portfolio_total": len(portfolio),
        "chart_height": selectors.CHART_HEIGHT,
    }
    return render(request, "reporting/dashboard.html", context)


@login_required
def milestone_list(request: HttpRequest) -> HttpResponse:
    form = MilestoneFilterForm(request.GET)
    page = None
    if form.is_valid():
        qs = selectors.milestones_filtered(user=cast(User, request.user), filters=form.filters())
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    if not form.is_valid():
        if request.htmx:  # type: ignore[attr-defined]
            # The field errors are in the form, not the results: redraw the whole page (htmx
            # swaps only 2xx answers).
            response = render(request, "reporting/milestone_list.html", context)
            return retarget(reswap(response, "outerHTML"), "body")
        return render(request, "reporting/milestone_list.html", context, status=400)
    # htmx asks for the results alone when the filters or the page change.
    template = (
        "reporting/partials/milestone_results.html"
        if request.htmx  # type: ignore[attr-defined]
        else "reporting/milestone_list.html"
    )
    return render(request, template, context)
