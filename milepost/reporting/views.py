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
# The dashboard shows the contracts with the soonest critical dates, and the first payments due
# this month; the contract list and the milestone list have them all.
PORTFOLIO_SIZE = 25
PAYMENTS_SIZE = 10


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard(
        user=cast(User, request.user),
        now=timezone.now(),
        payments=PAYMENTS_SIZE,
        contracts=PORTFOLIO_SIZE,
    )
    return render(
        request,
        "reporting/dashboard.html",
        {"board": board, "counts": board.counts, "chart_height": selectors.CHART_HEIGHT},
    )


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
