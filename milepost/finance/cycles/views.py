"""The Money page of a contract (terms and cycles) and a payment cycle's page with its notices."""

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import local_today
from milepost.core.errors import DomainError
from milepost.core.forms import set_currency
from milepost.performance.models import ServiceCredit
from milepost.schedule.models import Milestone
from milepost.web.feedback import post_on_page

from ..choices import DeductionKind
from ..models import PaymentCycle
from . import forms
from .selectors import (
    cycle_figures,
    cycle_get_for_user,
    cycles_for_contract,
    money_summary_of,
    money_terms_for,
    pay_less_credit_choices,
    pay_less_damages_choices,
)
from .services import (
    DeductionIn,
    cycle_apply,
    cycle_apply_refusal,
    cycle_default_notice,
    cycle_default_notice_refusal,
    cycle_pay_less,
    cycle_pay_less_refusal,
    cycle_payment_notice,
    cycle_payment_notice_refusal,
    cycle_receipt_record,
    cycle_receipt_refusal,
    cycle_suspension_notice,
    cycle_suspension_refusal,
    money_terms_refusal,
    money_terms_set,
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _reason(refusal: DomainError | None) -> str:
    return refusal.message if refusal else ""


def _url(name: str, pk: int) -> str:
    """A link to another area's page of the contract, or nothing while that page is missing."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def _bound(request: HttpRequest, refused: str, name: str) -> Any:
    return request.POST if refused == name else None


@login_required
def money(request: HttpRequest, pk: int, *, refused: str = "", status: int = 200) -> HttpResponse:
    """The contract's payment terms and its payment cycles with their figures today."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    today = local_today(contract.time_zone)
    terms = money_terms_for(contract=contract)
    initial: dict[str, Any] = {}
    if terms is not None:
        initial = {
            name: getattr(terms, name)
            for name in forms.MoneyTermsForm.base_fields
            if name not in ("payer", "payee", "completion")
        }
        initial.update(payer=terms.payer_id, payee=terms.payee_id, completion=terms.completion_id)
    terms_form = forms.MoneyTermsForm(
        _bound(request, refused, "terms"), contract=contract, initial=initial
    )
    apply_form = forms.ApplyForm(
        _bound(request, refused, "apply"),
        contract=contract,
        initial={"applied_on": today, "period_end": today},
    )
    set_currency(apply_form, contract.currency)
    cycles = [(c, cycle_figures(c, today)) for c in cycles_for_contract(contract=contract)]
    context = {
        "contract": contract,
        "today": today,
        "terms": terms,
        "terms_form": terms_form,
        "terms_refusal": _reason(money_terms_refusal(contract=contract, user=user)),
        "apply_form": apply_form,
        "apply_refusal": _reason(cycle_apply_refusal(contract=contract, user=user)),
        "cycles": cycles,
        "summary": money_summary_of(contract, [f for _c, f in cycles]),
        "links": [
            (label, url)
            for label, url in (
                ("Retention", _url("finance:retention", pk)),
                ("Delay damages", _url("finance:damages", pk)),
                ("Cash flow", _url("finance:cash-flow", pk)),
            )
            if url
        ],
    }
    return render(request, "finance/cycles/money.html", context, status=status)


@login_required
@require_POST
def post_terms(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=_user(request), pk=pk)
    form = forms.MoneyTermsForm(request.POST, contract=contract)
    return post_on_page(
        request,
        form,
        lambda d: money_terms_set(contract=contract, actor=_user(request), **d),
        "Payment terms saved.",
        page=reverse("finance:money", args=[pk]),
        name="terms",
    )


@login_required
@require_POST
def post_apply(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=_user(request), pk=pk)
    form = forms.ApplyForm(request.POST, contract=contract)
    set_currency(form, contract.currency)
    return post_on_page(
        request,
        form,
        lambda d: cycle_apply(contract=contract, actor=_user(request), **d),
        "Application for payment made.",
        page=reverse("finance:money", args=[pk]),
        name="apply",
    )


def _damages(cycle: PaymentCycle) -> QuerySet[Milestone]:
    return pay_less_damages_choices(cycle)


def _credits(cycle: PaymentCycle) -> QuerySet[ServiceCredit]:
    return pay_less_credit_choices(cycle)


@login_required
def cycle_detail(
    request: HttpRequest, pk: int, *, refused: str = "", status: int = 200
) -> HttpResponse:
    """One cycle: its timetable by weekday, the notices given, and the forms the viewer may use."""
    user = cast(User, request.user)
    cycle = cycle_get_for_user(user=user, pk=pk)
    contract = cycle.contract
    today = local_today(contract.time_zone)
    initial = {"given_on": today}
    notice_form = forms.PaymentNoticeForm(
        _bound(request, refused, "notice"), initial={**initial, "notified_sum": cycle.applied_sum}
    )
    pay_less_form = forms.PayLessForm(
        _bound(request, refused, "pay_less"),
        initial=initial,
        damages=_damages(cycle),
        credits=_credits(cycle),
    )
    receipt_form = forms.ReceiptForm(
        _bound(request, refused, "receipt"), initial={"paid_on": today}
    )
    for form in (notice_form, pay_less_form, receipt_form):
        set_currency(form, contract.currency)
    context = {
        "contract": contract,
        "cycle": cycle,
        "figures": cycle_figures(cycle, today),
        "today": today,
        "deductions": list(
            cycle.deductions.select_related("milestone", "measurement__kpi__milestone")
        ),
        "receipts": list(cycle.receipts.all()),
        "notice_form": notice_form,
        "notice_refusal": _reason(cycle_payment_notice_refusal(cycle=cycle, user=user)),
        "default_form": forms.GivenOnForm(_bound(request, refused, "default"), initial=initial),
        "default_refusal": _reason(
            cycle_default_notice_refusal(cycle=cycle, user=user, today=today)
        ),
        "pay_less_form": pay_less_form,
        "pay_less_refusal": _reason(cycle_pay_less_refusal(cycle=cycle, user=user)),
        "receipt_form": receipt_form,
        "receipt_refusal": _reason(cycle_receipt_refusal(cycle=cycle, user=user)),
        "suspension_form": forms.GivenOnForm(
            _bound(request, refused, "suspension"), initial=initial
        ),
        "suspension_refusal": _reason(
            cycle_suspension_refusal(cycle=cycle, user=user, today=today)
        ),
    }
    return render(request, "finance/cycles/cycle.html", context, status=status)


def _on_cycle(
    request: HttpRequest, pk: int, form: Any, write: Any, done: str, name: str
) -> HttpResponse:
    return post_on_page(
        request, form, write, done, page=reverse("finance:cycle", args=[pk]), name=name
    )


@login_required
@require_POST
def post_notice(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = cycle_get_for_user(user=_user(request), pk=pk)
    form = forms.PaymentNoticeForm(request.POST)
    set_currency(form, cycle.contract.currency)
    return _on_cycle(
        request,
        pk,
        form,
        lambda d: cycle_payment_notice(cycle=cycle, actor=_user(request), **d),
        "Payment notice recorded.",
        "notice",
    )


@login_required
@require_POST
def post_default(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = cycle_get_for_user(user=_user(request), pk=pk)
    return _on_cycle(
        request,
        pk,
        forms.GivenOnForm(request.POST),
        lambda d: cycle_default_notice(cycle=cycle, actor=_user(request), **d),
        "Default notice recorded: the application stands as the sum due.",
        "default",
    )


def _items(d: dict[str, Any]) -> list[DeductionIn]:
    items = []
    if d.get("damages_milestone") is not None or d.get("damages_amount"):
        items.append(
            DeductionIn(
                DeductionKind.DELAY_DAMAGES,
                d.get("damages_amount") or "0",
                milestone=d.get("damages_milestone"),
                field="damages_milestone",
                amount_field="damages_amount",
            )
        )
    credit = d.get("credit")
    if credit is not None:
        items.append(
            DeductionIn(
                DeductionKind.SERVICE_CREDIT,
                credit.amount,
                measurement=credit.measurement,
                field="credit",
                amount_field="credit",
            )
        )
    if d.get("other_amount") or d.get("other_description"):
        items.append(
            DeductionIn(
                DeductionKind.OTHER,
                d.get("other_amount") or "0",
                description=d.get("other_description") or "",
                field="other_description",
                amount_field="other_amount",
            )
        )
    return items


@login_required
@require_POST
def post_pay_less(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = cycle_get_for_user(user=_user(request), pk=pk)
    form = forms.PayLessForm(request.POST, damages=_damages(cycle), credits=_credits(cycle))
    set_currency(form, cycle.contract.currency)
    return _on_cycle(
        request,
        pk,
        form,
        lambda d: cycle_pay_less(
            cycle=cycle,
            actor=_user(request),
            given_on=d["given_on"],
            grounds=d["grounds"],
            deductions=_items(d),
        ),
        "Pay less notice recorded.",
        "pay_less",
    )


@login_required
@require_POST
def post_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = cycle_get_for_user(user=_user(request), pk=pk)
    form = forms.ReceiptForm(request.POST)
    set_currency(form, cycle.contract.currency)
    return _on_cycle(
        request,
        pk,
        form,
        lambda d: cycle_receipt_record(cycle=cycle, actor=_user(request), **d),
        "Money received recorded.",
        "receipt",
    )


@login_required
@require_POST
def post_suspension(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = cycle_get_for_user(user=_user(request), pk=pk)
    return _on_cycle(
        request,
        pk,
        forms.GivenOnForm(request.POST),
        lambda d: cycle_suspension_notice(cycle=cycle, actor=_user(request), **d),
        "Notice of intention to suspend recorded.",
        "suspension",
    )
