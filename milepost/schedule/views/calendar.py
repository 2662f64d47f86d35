"""The contract's working-day calendar: its region's bank holidays and its own days off."""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import holidays
from babel import Locale
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.models import Contract, NonWorkingDay
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error
from milepost.core.workdays import ONE_DAY, Calendar

from ..calendar import calendar_day_off_add, calendar_day_off_remove
from ..forms import NonWorkingDayForm


@lru_cache(maxsize=64)
def calendar_in_words(country: str, region: str) -> str:
    """Name a holiday calendar for people, as "United Kingdom, England"."""
    name = Locale("en").territories.get(country, country)
    if not region:
        return str(name)
    try:
        kind = type(holidays.country_holidays(country))
    except NotImplementedError:
        return f"{name}, {region}"
    aliases: dict[str, str] = getattr(kind, "subdivisions_aliases", {})
    regions = {code: label for label, code in aliases.items()}
    return f"{name}, {regions.get(region, region)}"


@dataclass(frozen=True)
class MonthCount:
    """How many of a month's days fall within the contract, and how many of those are worked."""

    month: dt.date
    days: int
    working_days: int


@dataclass(frozen=True)
class CalendarOverview:
    """What the calendar page shows about one contract's working days, over its whole term."""

    calendar_name: str
    bank_holidays: list[tuple[dt.date, str]]
    days_off: list[NonWorkingDay]
    months: list[MonthCount]

    @property
    def working_days(self) -> int:
        return sum(month.working_days for month in self.months)


def calendar_overview(*, contract: Contract) -> CalendarOverview:
    """Read the contract's bank holidays, own days off and working days per month in one query."""
    days_off = list(contract.non_working_days.all())
    bank = Calendar(contract.holiday_country, contract.holiday_region)
    calendar = Calendar(bank.country, bank.region, frozenset(d.day for d in days_off))
    first, last = contract.start_date, contract.end_date
    counts: dict[dt.date, list[int]] = {}
    day = first
    while day <= last:
        tally = counts.setdefault(day.replace(day=1), [0, 0])
        tally[0] += 1
        tally[1] += calendar.is_working(day)
        day += ONE_DAY
    return CalendarOverview(
        calendar_name=calendar_in_words(contract.holiday_country, contract.holiday_region),
        # Weekday holidays only: a holiday on a weekend costs no working day (its substitute does).
        bank_holidays=[(d, bank.holiday_name(d) or "") for d in bank.days_off(first, last)],
        days_off=days_off,
        months=[MonthCount(month, days, working) for month, (days, working) in counts.items()],
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_calendar_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the contract's calendar; the owner's managers add days off from it."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form = NonWorkingDayForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            day_off = calendar_day_off_add(contract=contract, actor=user, **form.cleaned_data)
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{day_off.day:%d %b %Y} is now a non-working day.")
            return redirect("contract-calendar", pk=contract.pk)
    context = {
        "contract": contract,
        "access": contract_access(user=user, contract=contract),
        "overview": calendar_overview(contract=contract),
        "form": form,
    }
    status = 422 if form.errors else 200
    return render(request, "schedule/calendar/calendar.html", context, status=status)


@login_required
@require_POST
def contract_calendar_remove(request: HttpRequest, pk: int, day_id: int) -> HttpResponse:
    """Make one of the contract's own days off a working day again."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    day_off = contract.non_working_days.filter(pk=day_id).first()
    if day_off is None:
        raise NotFound("non-working day")
    day_off.contract = contract
    try:
        calendar_day_off_remove(day_off=day_off, actor=user)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{day_off.day:%d %b %Y} is a working day again.")
    return redirect("contract-calendar", pk=contract.pk)


urlpatterns = [
    path("contracts/<int:pk>/calendar/", contract_calendar_page, name="contract-calendar"),
    path(
        "contracts/<int:pk>/calendar/<int:day_id>/remove/",
        contract_calendar_remove,
        name="contract-calendar-remove",
    ),
]
