"""Performance forms on a milestone's page: measurements, their corrections, service credit terms."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import parties_for_contract, party_get_for_contract
from milepost.core.errors import DomainError
from milepost.core.money import format_money
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestone_get_for_user
from milepost.web.feedback import post_on_page

from .choices import CreditMethod
from .forms import CorrectionForm, CreditTermsForm, MeasurementForm
from .models import KPI, CreditTerms, Measurement
from .selectors import credit_terms_for_kpi, credit_total, credits_for_kpi
from .services import (
    credit_terms_set,
    credit_terms_set_refusal,
    measurement_correct,
    measurement_record,
)


def credit_rule(terms: CreditTerms) -> str:
    """Say what a missed period earns under ``terms``, as the contract would."""
    currency = terms.kpi.milestone.contract.currency
    charge = format_money(terms.period_charge, currency)
    if terms.method == CreditMethod.FIXED:
        rule = f"{format_money(terms.amount, currency)} for each missed period"
    elif terms.method == CreditMethod.PERCENT_OF_CHARGE:
        percent = terms.percent.normalize() if terms.percent is not None else 0
        rule = f"{percent:f}% of the period's charge of {charge} for each missed period"
    else:
        bands = [
            f"{b['percent']}% if it missed by {b['shortfall']} or more"
            if Decimal(b["shortfall"])
            else f"{b['percent']}% for any miss"
            for b in terms.bands
        ]
        rule = f"a share of the period's charge of {charge} for each missed period: " + "; ".join(
            bands
        )
    caps = []
    if terms.cap_period is not None:
        caps.append(f"at most {format_money(terms.cap_period, currency)} for one period")
    if terms.cap_year is not None:
        caps.append(f"at most {format_money(terms.cap_year, currency)} in a service year")
    cap = f", {' and '.join(caps)}" if caps else ""
    return f"{terms.payer.organisation} credits {terms.payee.organisation} {rule}{cap}."


def credit_panel(*, milestone: Milestone, kpi: KPI, user: User) -> dict[str, Any]:
    """What the milestone's page shows of its service credits, and the terms form's values."""
    terms = credit_terms_for_kpi(kpi=kpi)
    refusal = credit_terms_set_refusal(milestone=milestone, user=user)
    credits = list(credits_for_kpi(kpi=kpi))
    parties = list(parties_for_contract(contract=milestone.contract))
    initial: dict[str, Any] = {}
    if terms is not None:
        initial = {
            "method": terms.method,
            "payer": terms.payer_id,
            "payee": terms.payee_id,
            "amount": terms.amount,
            "percent": terms.percent.normalize() if terms.percent is not None else None,
            "period_charge": terms.period_charge,
            "bands": "\n".join(f"{b['shortfall']}: {b['percent']}" for b in terms.bands),
            "cap_period": terms.cap_period,
            "cap_year": terms.cap_year,
        }
    else:
        roles = {p.role: p.pk for p in parties}
        initial = {
            "method": CreditMethod.FIXED,
            "payer": roles.get("supplier"),
            "payee": roles.get("client"),
        }
    return {
        "credit_terms": terms,
        "credit_rule": credit_rule(terms) if terms is not None else "",
        "credits": credits,
        "credit_total": credit_total(kpi=kpi) if credits else None,
        "credit_parties": parties,
        "credit_methods": CreditMethod.choices,
        "credit_initial": initial,
        "credit_terms_refusal": refusal.message if refusal is not None else "",
    }


def _page(milestone: Milestone) -> str:
    return reverse("milestones:milestone-detail", args=[milestone.pk])


@login_required
@require_POST
def post_measurement(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = MeasurementForm(request.POST)
    return post_on_page(
        request,
        form,
        lambda d: measurement_record(
            milestone=milestone,
            period_start=d["period_start"],
            value=d["value"],
            note=d["note"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        "Measurement recorded.",
        page=_page(milestone),
        name="measurement",
    )


def _measurement(milestone: Milestone, pk: int) -> Measurement:
    found = Measurement.objects.filter(kpi__milestone=milestone, pk=pk).first()
    if found is None:
        raise DomainError(
            "not_a_period", "Choose a period this target has measured.", field="measurement"
        )
    return found


@login_required
@require_POST
def post_correction(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = CorrectionForm(request.POST)
    return post_on_page(
        request,
        form,
        lambda d: measurement_correct(
            measurement=_measurement(milestone, d["measurement"]),
            value=d["value"],
            note=d["note"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        "Measurement corrected.",
        page=_page(milestone),
        name="correction",
    )


@login_required
@require_POST
def post_credit_terms(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    milestone = milestone_get_for_user(user=user, pk=pk)
    form = CreditTermsForm(request.POST)
    return post_on_page(
        request,
        form,
        lambda d: credit_terms_set(
            milestone=milestone,
            method=d["method"],
            payer=party_get_for_contract(contract=milestone.contract, pk=d["payer"], field="payer"),
            payee=party_get_for_contract(contract=milestone.contract, pk=d["payee"], field="payee"),
            amount=d["amount"],
            percent=d["percent"],
            period_charge=d["period_charge"],
            bands=d["bands"],
            cap_period=d["cap_period"],
            cap_year=d["cap_year"],
            actor=user,
        ),
        "Service credit terms saved.",
        page=_page(milestone),
        name="credit_terms",
    )
