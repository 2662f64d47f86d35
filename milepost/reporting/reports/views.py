"""The report pages: choose and preview a report, download its PDF, issue it, read an issued one,
subscribe a distribution list to a contract's report, and draw a communication as a notice."""

import base64
import hashlib
import re
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from milepost.accounts.models import User
from milepost.communications.selectors import communication_get_for_user
from milepost.contracts.selectors import contract_access, contract_get_for_user, contracts_for_user
from milepost.core.errors import DomainError
from milepost.core.forms import add_domain_error
from milepost.web.feedback import save_form

from .forms import ReportForm, SubscriptionForm
from .issue import (
    ReportRequest,
    issued_report_get_for_user,
    issued_reports_for_user,
    report_draw,
    report_figures,
    report_issue,
    report_request,
)
from .notice import notice_filename, notice_pdf
from .render import report_fragment, report_pdf
from .subscriptions import (
    readers_for_contract,
    report_subscription_create,
    report_subscription_delete,
    subscription_get_for_user,
)

STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.S)


def _style_hash(css: str) -> str:
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def _form(request: HttpRequest, data: Any) -> ReportForm:
    user = cast(User, request.user)
    contracts = [(c.pk, f"{c.reference} · {c.title}") for c in contracts_for_user(user=user)]
    return ReportForm(data, contracts=contracts)


def _request(request: HttpRequest, form: ReportForm) -> ReportRequest | None:
    """The report the valid form asks for, or None with the refusal shown on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return report_request(
            user=cast(User, request.user),
            report_type=data["type"],
            contract_id=data["contract"],
            start=data["start"],
            end=data["end"],
            weeks=data["weeks"] or 2,
            audience=data["audience"],
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        add_domain_error(form, _renamed(exc))
        return None


def _renamed(exc: DomainError) -> DomainError:
    # The form calls the period's fields start and end; the API and CLI call them from and to.
    names = {"from": "start", "to": "end"}
    return DomainError(exc.code, exc.message, field=names.get(exc.field or "", exc.field))


@login_required
def report_builder(request: HttpRequest) -> HttpResponse:
    """Choose a report and preview it; download its PDF, copy its link or issue it from here."""
    form = _form(request, request.GET or None)
    wanted = _request(request, form) if request.GET else None
    context: dict[str, Any] = {"form": form, "wanted": wanted}
    if wanted is not None:
        report = report_figures(user=cast(User, request.user), request=wanted)
        query = request.GET.urlencode()
        context.update(
            preview=report_fragment(report),
            query=query,
            link=settings.MILEPOST_BASE_URL + reverse("reporting:report-builder") + "?" + query,
            can_issue=wanted.contract is None
            or contract_access(user=request.user, contract=wanted.contract).can_contribute,  # type: ignore[arg-type]
        )
    context["issued"] = issued_reports_for_user(user=cast(User, request.user))[:20]
    status = 422 if form.errors else 200
    return render(request, "reporting/reports/builder.html", context, status=status)


@login_required
def report_pdf_download(request: HttpRequest) -> HttpResponse:
    """Draw the chosen report as a PDF, without issuing it."""
    form = _form(request, request.GET)
    wanted = _request(request, form)
    if wanted is None:
        return render(
            request, "reporting/reports/builder.html", {"form": form, "issued": []}, status=422
        )
    _, html = report_draw(user=cast(User, request.user), request=wanted)
    return _pdf_response(report_pdf(html), _filename(wanted))


def _filename(wanted: ReportRequest) -> str:
    subject = wanted.contract.reference if wanted.contract else "portfolio"
    return f"{subject}-{wanted.report_type}-{wanted.period.end}.pdf"


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


@login_required
@require_POST
def report_issue_view(request: HttpRequest) -> HttpResponse:
    """Issue the chosen report: keep it as it is now, and show the kept copy."""
    form = _form(request, request.POST)
    wanted = _request(request, form)
    if wanted is None:
        return render(
            request, "reporting/reports/builder.html", {"form": form, "issued": []}, status=422
        )
    user = cast(User, request.user)
    try:
        report = report_issue(request=wanted, actor=user, reader=user)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        # Back to the same preview: the form's own fields only, never the CSRF token.
        query = urlencode(
            {name: request.POST[name] for name in form.fields if request.POST.get(name)}
        )
        return redirect(reverse("reporting:report-builder") + "?" + query)
    messages.success(request, "The report was issued and kept as it is now.")
    return redirect("reporting:report-detail", pk=report.pk)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an issued report exactly as it was issued."""
    report = issued_report_get_for_user(user=cast(User, request.user), pk=pk)
    # The stored document carries its own stylesheet; allow exactly that one by its hash.
    hashes = [_style_hash(css) for css in STYLE_BLOCK.findall(report.html)]
    response = HttpResponse(report.html)
    if hashes:
        response._csp_update = {"style-src": hashes}  # type: ignore[attr-defined]  # django-csp's per-response hook
    return response


@login_required
def report_detail_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an issued report's PDF, byte for byte as it was issued."""
    report = issued_report_get_for_user(user=cast(User, request.user), pk=pk)
    subject = report.contract.reference if report.contract else "portfolio"
    return _pdf_response(
        bytes(report.pdf), f"{subject}-{report.report_type}-{report.period_end}.pdf"
    )


@login_required
def communication_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw one communication as a formal notice, as a PDF; seen by whoever sees its page."""
    user = cast(User, request.user)
    communication = communication_get_for_user(user=user, pk=pk)
    return _pdf_response(
        notice_pdf(communication=communication, user=user), notice_filename(communication)
    )


@login_required
def subscription_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Subscribe a distribution list to one of the contract's reports."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    access = contract_access(user=user, contract=contract)
    # Only a manager of a party lists others; everyone else is offered themselves alone.
    readers = readers_for_contract(contract=contract) if access.can_manage else [user]
    people = [(p.username, str(p)) for p in readers]
    form = SubscriptionForm(request.POST or None, people=people, outside=access.can_manage)
    if request.method == "POST":
        saved = save_form(
            form,
            lambda data: report_subscription_create(
                contract=contract,
                report_type=data["type"],
                frequency=data["frequency"],
                weekday=data["weekday"],
                day_of_month=data["day_of_month"],
                weeks=data["weeks"],
                audience=data["audience"],
                members=data["members"],
                emails=data.get("emails", []),
                actor=user,
            ),
        )
        if saved is not None:
            messages.success(request, "The report will be sent on schedule.")
            return redirect(reverse("reporting:contract-detail", args=[contract.pk]) + "#reports")
    return render(
        request,
        "reporting/reports/subscription_new.html",
        {"form": form, "contract": contract, "access": access},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop a subscription; the reports it issued stay."""
    user = cast(User, request.user)
    subscription = subscription_get_for_user(user=user, pk=pk)
    try:
        report_subscription_delete(subscription=subscription, actor=user)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "The subscription was stopped.")
    return redirect(
        reverse("reporting:contract-detail", args=[subscription.contract_id]) + "#reports"
    )
