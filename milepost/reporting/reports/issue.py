"""Drawing a report on demand, issuing one as an immutable snapshot, and reading snapshots back."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_get_for_user, contracts_for_user
from milepost.core.dates import local_today, zone
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.text import text_check

from ..choices import CONTRACT_TYPES, DEFAULT_AUDIENCE, ReportType
from ..events import ReportEvent
from ..models import IssuedReport, ReportSubscription
from .period import Period, report_period
from .render import report_context, report_html, report_pdf

AUDIENCE_MAX = 120


@dataclass(frozen=True)
class ReportRequest:
    """What a reader asked for: a report type, a contract (except a portfolio), a period, for whom."""

    report_type: str
    contract: Contract | None
    period: Period
    audience: str


def report_request(
    *,
    user: User,
    report_type: str,
    contract_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    weeks: int = 2,
    audience: str = "",
    now: dt.datetime | None = None,
) -> ReportRequest:
    """Check a request for a report and fill in its defaults; a hidden contract is not found."""
    if report_type not in ReportType.values:
        raise DomainError(
            "invalid_report_type",
            (
                "Choose a contract status report, a look-ahead, a portfolio, a payment report "
                "or a communications register."
            ),
            field="type",
        )
    contract = None
    if report_type in CONTRACT_TYPES:
        if contract_id is None:
            raise DomainError(
                "contract_required", "Choose the contract the report is about.", field="contract"
            )
        contract = contract_get_for_user(user=user, pk=contract_id)
    audience = " ".join((audience or "").split()) or DEFAULT_AUDIENCE[ReportType(report_type)]
    text_check(audience, field="audience", limit=AUDIENCE_MAX, label="The audience")
    today = local_today(contract.time_zone if contract else user.time_zone, now)
    period = report_period(report_type=report_type, today=today, start=start, end=end, weeks=weeks)
    return ReportRequest(report_type, contract, period, audience)


def report_figures(
    *, user: User, request: ReportRequest, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Read the report's figures: what its template draws; writes nothing."""
    return report_context(
        report_type=request.report_type,
        user=user,
        period=request.period,
        audience=request.audience,
        contract=request.contract,
        now=now,
    )


def report_draw(
    *, user: User, request: ReportRequest, now: dt.datetime | None = None, issued: str = ""
) -> tuple[dict[str, Any], str]:
    """Read the report's figures and render its document; writes nothing."""
    context = report_figures(user=user, request=request, now=now)
    return context, report_html(context, issued=issued)


def _issued_line(at: dt.datetime, by: User | None, contract: Contract | None) -> str:
    zone_name = contract.time_zone if contract else (by.time_zone if by else "UTC")
    local = timezone.localtime(at, timezone=zone(zone_name))
    when = formats.date_format(local, "j M Y, H:i")
    who = f" by {by}" if by else " on schedule"
    return f"Issued{who} on {when} ({zone_name}). This copy does not change when the figures do."


@transaction.atomic
def report_issue(
    *,
    request: ReportRequest,
    actor: User | None,
    reader: User,
    subscription: ReportSubscription | None = None,
    scheduled_for: dt.date | None = None,
    now: dt.datetime | None = None,
) -> IssuedReport:
    """Issue a report: render it once, keep the HTML and the PDF, and record who did it.

    ``reader`` is whose view of the data the report shows (the actor, or the subscription's
    owner when the worker issues it). Viewers and observers may read reports but not issue them.
    """
    if request.contract is not None:
        access = contract_access(user=reader, contract=request.contract)
        if not access.can_view:
            raise NotFound("contract")
        if actor is not None and not access.can_contribute:
            raise Forbidden("Viewers and observers may read reports; a member issues them.")
    at = now or timezone.now()
    context, html = report_draw(
        user=reader, request=request, now=at, issued=_issued_line(at, actor, request.contract)
    )
    pdf = report_pdf(html)
    report = IssuedReport(
        report_type=request.report_type,
        contract=request.contract,
        title=context["title"],
        audience=request.audience,
        period_start=request.period.start,
        period_end=request.period.end,
        issued_at=at,
        issued_by=actor,
        subscription=subscription,
        scheduled_for=scheduled_for,
        html=html,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        figures=context["figures"],
    )
    report.save()
    event_record(
        actor=actor,
        action=ReportEvent.REPORT_ISSUED,
        obj=report,
        after={
            "type": request.report_type,
            "title": report.title,
            "audience": report.audience,
            "period_start": report.period_start,
            "period_end": report.period_end,
            "sha256": report.sha256,
            "subscription": subscription.pk if subscription else None,
        },
        contract_id=request.contract.pk if request.contract else None,
    )
    return report


def issued_reports_for_user(*, user: User) -> QuerySet[IssuedReport]:
    """Return the issued reports the user may read, newest first, without their documents.

    A contract's reports are read by everyone who can see the contract now; a portfolio report
    only by whoever issued it (it lists their contracts).
    """
    return (
        IssuedReport.objects.filter(
            Q(contract__in=contracts_for_user(user=user)) | Q(contract__isnull=True, issued_by=user)
        )
        .select_related("contract", "issued_by")
        .defer("html", "pdf")
        .order_by("-issued_at", "-id")
    )


def issued_reports_for_contract(*, contract: Contract) -> QuerySet[IssuedReport]:
    """Return a contract's issued reports, newest first. The caller checked access."""
    return (
        IssuedReport.objects.filter(contract=contract)
        .select_related("issued_by")
        .defer("html", "pdf")
        .order_by("-issued_at", "-id")
    )


def issued_report_get_for_user(*, user: User, pk: int) -> IssuedReport:
    """Return one issued report, its document included, or raise NotFound."""
    report = (
        IssuedReport.objects.filter(
            Q(contract__in=contracts_for_user(user=user)) | Q(contract__isnull=True, issued_by=user)
        )
        .select_related("contract", "issued_by")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFound("report")
    return report
