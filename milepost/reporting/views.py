"""The dashboard, the milestone list behind each of its counts, and the contract pages.

A contract's page is a report over everything below it: its milestones, payments, history and
timeline; the pages that change a contract are in ``contracts`` (and ``milestones``).
"""

from typing import cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import push_url, reswap, retarget

from milepost.accounts.models import User
from milepost.accounts.selectors import organisations_managed_by
from milepost.alerts.inbox import is_watching
from milepost.alerts.selectors import actions_waiting_panel
from milepost.audit.selectors import events_for_contract
from milepost.contracts.selectors import (
    contract_access,
    contract_get_for_user,
    contracts_for_user,
    parties_for_contract,
)
from milepost.core.dates import local_today
from milepost.core.errors import DomainError
from milepost.core.forms import add_domain_error
from milepost.finance.cycles.selectors import contract_money_summary
from milepost.payments.selectors import payment_totals, payments_for_contract
from milepost.schedule.choices import OPEN_STATUSES, Criticality
from milepost.schedule.selectors import (
    contract_counts_for_user,
    contract_progress,
    milestone_filter,
    milestones_for_contract,
)

from . import selectors
from .forms import SORT_CHOICES, ContractMilestoneFilterForm, MilestoneFilterForm, SearchForm
from .search import search_for_user
from .selectors.milestones import milestone_paginator
from .timeline import timeline_context

PAGE_SIZE = 50
# The dashboard shows the contracts with the soonest critical dates, and the first payments due
# this month; the contract list and the milestone list have them all.
PORTFOLIO_SIZE = 25
PAYMENTS_SIZE = 10
# A contract's page pages its milestone table and its payment schedule.
MILESTONE_PAGE = 50
PAYMENT_PAGE = 50


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
        {
            "board": board,
            "counts": board.counts,
            "chart_height": selectors.CHART_HEIGHT,
            "waiting": actions_waiting_panel(user=cast(User, request.user)),
        },
    )


@login_required
def milestone_list(request: HttpRequest) -> HttpResponse:
    form = MilestoneFilterForm(request.GET)
    page = None
    if form.is_valid():
        qs = selectors.milestones_filtered(user=cast(User, request.user), filters=form.filters())
        paginator = milestone_paginator(qs, PAGE_SIZE, form.filters().order)
        page = paginator.get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    if not form.is_valid():
        if request.htmx:  # type: ignore[attr-defined]
            # The field errors are in the form, not the results: redraw the whole page (htmx
            # swaps only 2xx answers).
            response = render(request, "reporting/milestone_list.html", context)
            return retarget(reswap(response, "outerHTML"), "body")
        return render(request, "reporting/milestone_list.html", context, status=400)
    # htmx asks for the results alone when the filters or the page change, and the address
    # bar follows with the filters that are set, so the list can be bookmarked and shared.
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "reporting/partials/milestone_results.html", context)
        return push_url(response, _address_of(request))
    return render(request, "reporting/milestone_list.html", context)


def _address_of(request: HttpRequest) -> str:
    """The page's address with only the filters that hold a value other than the default."""
    defaults = {"order": SORT_CHOICES[0][0]}
    query = urlencode(
        [
            (key, value)
            for key in request.GET
            if (value := request.GET.get(key, "").strip()) and defaults.get(key) != value
        ]
    )
    return f"{request.path}?{query}" if query else request.path


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = list(contracts_for_user(user=request.user))  # type: ignore[arg-type]
    counts = contract_counts_for_user(user=request.user)  # type: ignore[arg-type]
    rows = [(contract, counts.get(contract.pk)) for contract in contracts]
    can_create = organisations_managed_by(user=request.user).exists()  # type: ignore[arg-type]
    return render(request, "reporting/contract_list.html", {"rows": rows, "can_create": can_create})


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    today = local_today(contract.time_zone)
    user = cast(User, request.user)
    filters = ContractMilestoneFilterForm(request.GET, contract=contract)
    table = milestones_for_contract(contract=contract)
    if filters.is_valid():
        table = table.filter(milestone_filter(user=user, **filters.filters()))
    else:
        table = table.none()
    context = {
        "contract": contract,
        "access": contract_access(user=request.user, contract=contract),  # type: ignore[arg-type]
        "parties": parties_for_contract(contract=contract),
        # The timeline draws them all; the table pages through them.
        "milestones": Paginator(table, MILESTONE_PAGE).get_page(request.GET.get("page")),
        "filters": filters,
        "filtered": filters.is_valid() and any(filters.cleaned_data.values()),
        # Pages of the schedule; the totals below it are over every payment.
        "progress": contract_progress(contract=contract),
        # For the summary: the next date that makes or breaks the deal.
        "next_critical": milestones_for_contract(contract=contract)
        .filter(criticality=Criticality.CRITICAL, status__in=OPEN_STATUSES)
        .order_by("due_date", "id")
        .first(),
        "payments": Paginator(payments_for_contract(contract=contract), PAYMENT_PAGE).get_page(
            request.GET.get("payments_page")
        ),
        "totals": payment_totals(contract=contract),
        "money": (money := contract_money_summary(contract=contract, today=today)),
        # What the payer's notices took off the applications: applied = paid + outstanding + this.
        "money_held_back": money.applied - money.paid - money.outstanding,
        "today": today,
        "history": events_for_contract(contract_id=contract.pk)[:25],
        "watching": is_watching(user=user, contract=contract),
        **timeline_context(contract=contract, query=request.GET, today=today),
    }
    return render(
        request, "reporting/contract_detail.html", context, status=400 if filters.errors else 200
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Find contracts, milestones and parties by a few words; htmx asks for the results alone."""
    form = SearchForm(request.GET)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        try:
            results = search_for_user(user=cast(User, request.user), query=form.cleaned_data["q"])
        except DomainError as error:
            add_domain_error(form, error)
    template = (
        "reporting/partials/search_results.html"
        if request.htmx  # type: ignore[attr-defined]
        else "reporting/search.html"
    )
    status = 400 if form.errors and not request.htmx else 200  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "results": results}, status=status)
