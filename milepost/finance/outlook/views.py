"""The cash-flow pages: a contract's, and the portfolio's, S-curves with the data and earned value."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import local_today

from .chart import s_curve_chart
from .selectors import money_outlook


@login_required
@require_GET
def contract_cash_flow(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one contract's cash-flow S-curves, the table of months and its earned value."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    today = local_today(contract.time_zone)
    outlook = money_outlook(user=user, today=today, contract=contract)
    context = {
        "contract": contract,
        "today": today,
        "charts": [(curve, s_curve_chart(curve)) for curve in outlook.curves],
        "values": outlook.values,
    }
    return render(request, "finance/outlook/contract_cash_flow.html", context)


@login_required
@require_GET
def portfolio_cash_flow(request: HttpRequest) -> HttpResponse:
    """Show the cash-flow S-curves and earned value of every contract the user sees."""
    user = cast(User, request.user)
    today = local_today(user.time_zone)
    outlook = money_outlook(user=user, today=today)
    context = {
        "today": today,
        "charts": [(curve, s_curve_chart(curve)) for curve in outlook.curves],
        "values": outlook.values,
    }
    return render(request, "finance/outlook/portfolio_cash_flow.html", context)
