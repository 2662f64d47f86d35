"""Report endpoints: draw a report (figures, HTML or PDF), issue one, read issued ones,
subscribe a distribution list to a contract's report, and draw a communication as a notice."""

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.communications.selectors import communication_get_for_user
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import InputSchema, IsoDate, RowId, Username

from ..models import IssuedReport, ReportSubscription
from ..reports.issue import (
    AUDIENCE_MAX,
    ReportRequest,
    issued_report_get_for_user,
    issued_reports_for_user,
    report_draw,
    report_issue,
    report_request,
)
from ..reports.notice import notice_filename, notice_pdf
from ..reports.render import report_pdf
from ..reports.subscriptions import (
    MAX_RECIPIENTS,
    report_subscription_create,
    report_subscription_delete,
    report_subscription_update,
    subscription_get_for_user,
    subscriptions_for_contract,
)

router = Router(tags=["reports"])

ReportTypeName = Literal["contract_status", "look_ahead", "portfolio", "payment", "communications"]
ContractReportType = Literal["contract_status", "look_ahead", "payment", "communications"]
PDF_RESPONSE = {
    "200": {
        "description": "The report as a PDF.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class ReportQuery(Schema):
    type: ReportTypeName
    contract_id: RowId | None = Field(None, description="Every report but the portfolio needs one.")
    start: IsoDate | None = Field(
        None, alias="from", description="First day; the month so far by default."
    )
    end: IsoDate | None = Field(None, alias="to", description="Last day.")
    # A number, not an enum: a query string carries text; 3 is refused by the rule (422).
    weeks: int = Field(2, ge=2, le=4, description="How far a look-ahead looks: 2 or 4 weeks.")
    audience: str = Field("", max_length=AUDIENCE_MAX, description="Who the report is for.")


class ReportIn(InputSchema):
    type: ReportTypeName
    contract_id: RowId | None = None
    start: IsoDate | None = Field(None, alias="from")
    end: IsoDate | None = Field(None, alias="to")
    weeks: Literal[2, 4] = 2
    audience: str = Field("", max_length=AUDIENCE_MAX)


class ReportDrawnOut(Schema):
    type: str
    title: str
    audience: str
    period_start: dt.date
    period_end: dt.date
    figures: dict[str, Any]
    html: str


class ContractBrief(Schema):
    id: int
    reference: str


class IssuedReportOut(Schema):
    id: int
    type: str = Field(alias="report_type")
    title: str
    audience: str
    contract: ContractBrief | None = Field(description="None for a portfolio report.")
    period_start: dt.date
    period_end: dt.date
    issued_at: dt.datetime
    issued_by: str | None
    scheduled: bool
    sha256: str
    figures: dict[str, Any]

    @staticmethod
    def resolve_issued_by(obj: IssuedReport) -> str | None:
        return str(obj.issued_by) if obj.issued_by else None

    @staticmethod
    def resolve_scheduled(obj: IssuedReport) -> bool:
        return obj.scheduled_for is not None


def _wanted(request: HttpRequest, q: ReportQuery | ReportIn) -> ReportRequest:
    return report_request(
        user=actor(request),
        report_type=q.type,
        contract_id=q.contract_id,
        start=q.start,
        end=q.end,
        weeks=q.weeks,
        audience=q.audience,
    )


def _pdf(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{re.sub(r"[^A-Za-z0-9._-]", "_", name)}"'
    )
    return response


@router.get("/reports/draw", response=ReportDrawnOut)
def draw_report(request: HttpRequest, q: Query[ReportQuery]) -> Any:
    """Draw a report now, without issuing it: its figures and its HTML document."""
    wanted = _wanted(request, q)
    context, html = report_draw(user=actor(request), request=wanted)
    return {
        "type": wanted.report_type,
        "title": context["title"],
        "audience": wanted.audience,
        "period_start": wanted.period.start,
        "period_end": wanted.period.end,
        "figures": context["figures"],
        "html": html,
    }


@router.get("/reports/draw.pdf", response={200: None}, openapi_extra={"responses": PDF_RESPONSE})
def draw_report_pdf(request: HttpRequest, q: Query[ReportQuery]) -> Any:
    """Draw a report now as a PDF, without issuing it."""
    wanted = _wanted(request, q)
    _, html = report_draw(user=actor(request), request=wanted)
    subject = wanted.contract.reference if wanted.contract else "portfolio"
    return _pdf(report_pdf(html), f"{subject}-{wanted.report_type}-{wanted.period.end}.pdf")


@router.post("/reports", response={201: IssuedReportOut})
def issue_report(request: HttpRequest, payload: ReportIn) -> Any:
    """Issue a report: keep its HTML and PDF as they are now, listed on the contract."""
    user = actor(request)
    return Status(201, report_issue(request=_wanted(request, payload), actor=user, reader=user))


@router.get("/reports", response=list[IssuedReportOut])
def list_reports(request: HttpRequest, contract_id: RowId | None = None) -> Any:
    """List the issued reports you may read, newest first (at most 200)."""
    reports = issued_reports_for_user(user=actor(request))
    if contract_id is not None:
        reports = reports.filter(contract_id=contract_id)
    return list(reports[:200])


@router.get("/reports/{report_id}", response=IssuedReportOut)
def get_report(request: HttpRequest, report_id: RowId) -> Any:
    """Read one issued report's figures as they were issued."""
    return issued_report_get_for_user(user=actor(request), pk=report_id)


@router.get(
    "/reports/{report_id}/pdf", response={200: None}, openapi_extra={"responses": PDF_RESPONSE}
)
def get_report_pdf(request: HttpRequest, report_id: RowId) -> Any:
    """Download an issued report's PDF, byte for byte as it was issued."""
    report = issued_report_get_for_user(user=actor(request), pk=report_id)
    subject = report.contract.reference if report.contract else "portfolio"
    return _pdf(bytes(report.pdf), f"{subject}-{report.report_type}-{report.period_end}.pdf")


NOTICE_RESPONSE = {
    "200": {
        "description": "The communication as a formal notice, as a PDF.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/communications/{communication_id}/notice.pdf",
    response={200: None},
    openapi_extra={"responses": NOTICE_RESPONSE},
)
def get_communication_notice_pdf(request: HttpRequest, communication_id: RowId) -> Any:
    """Draw a communication as a formal notice (parties, clause, dates, text), as a PDF."""
    user = actor(request)
    communication = communication_get_for_user(user=user, pk=communication_id)
    return _pdf(notice_pdf(communication=communication, user=user), notice_filename(communication))


# An email address as RFC 5321 bounds it; the service checks its form and names the row.
EmailAddress = Annotated[str, Field(max_length=254)]


class SubscriptionIn(InputSchema):
    type: ContractReportType
    frequency: Literal["weekly", "monthly"]
    weekday: int | None = Field(None, ge=0, le=6, description="For weekly: Monday is 0.")
    day_of_month: int | None = Field(None, ge=1, le=28, description="For monthly: 1 to 28.")
    weeks: Literal[2, 4] = 2
    audience: str = Field("", max_length=AUDIENCE_MAX)
    members: list[Username] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    emails: list[EmailAddress] = Field(default_factory=list, max_length=MAX_RECIPIENTS)


class SubscriptionPatch(InputSchema):
    frequency: Literal["weekly", "monthly"] | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    day_of_month: int | None = Field(None, ge=1, le=28)
    weeks: Literal[2, 4] | None = None
    audience: str | None = Field(None, max_length=AUDIENCE_MAX)
    members: list[Username] | None = Field(None, max_length=MAX_RECIPIENTS)
    emails: list[EmailAddress] | None = Field(None, max_length=MAX_RECIPIENTS)


class SubscriptionOut(Schema):
    id: int
    contract_id: int
    type: str = Field(alias="report_type")
    audience: str
    frequency: str
    weekday: int | None
    day_of_month: int | None
    weeks: int
    next_run_on: dt.date
    created_by: str
    members: list[str]
    emails: list[str]

    @staticmethod
    def resolve_created_by(obj: ReportSubscription) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_members(obj: ReportSubscription) -> list[str]:
        return sorted(r.user.username for r in obj.recipients.all() if r.user is not None)

    @staticmethod
    def resolve_emails(obj: ReportSubscription) -> list[str]:
        return sorted(r.email for r in obj.recipients.all() if r.email)


@router.get("/contracts/{contract_id}/report-subscriptions", response=list[SubscriptionOut])
def list_subscriptions(request: HttpRequest, contract_id: RowId) -> Any:
    """List the reports sent on schedule for a contract, with their distribution lists."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return list(subscriptions_for_contract(contract=contract))


@router.post("/contracts/{contract_id}/report-subscriptions", response={201: SubscriptionOut})
def create_subscription(request: HttpRequest, contract_id: RowId, payload: SubscriptionIn) -> Any:
    """Send a contract's report on schedule to people of its parties and (managers only) addresses."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    subscription = report_subscription_create(
        contract=contract,
        report_type=payload.type,
        frequency=payload.frequency,
        weekday=payload.weekday,
        day_of_month=payload.day_of_month,
        weeks=payload.weeks,
        audience=payload.audience,
        members=payload.members,
        emails=payload.emails,
        actor=user,
    )
    return Status(201, subscription_get_for_user(user=user, pk=subscription.pk))


@router.patch("/report-subscriptions/{subscription_id}", response=SubscriptionOut)
def update_subscription(
    request: HttpRequest, subscription_id: RowId, payload: SubscriptionPatch
) -> Any:
    """Change a subscription's schedule, audience or list (its owner or a manager of a party)."""
    user = actor(request)
    subscription = subscription_get_for_user(user=user, pk=subscription_id)
    report_subscription_update(
        subscription=subscription, actor=user, **payload.model_dump(exclude_unset=True)
    )
    return subscription_get_for_user(user=user, pk=subscription_id)


@router.delete("/report-subscriptions/{subscription_id}", response={204: None})
def delete_subscription(request: HttpRequest, subscription_id: RowId) -> Any:
    """Stop a subscription; the reports it issued stay on the contract."""
    user = actor(request)
    report_subscription_delete(
        subscription=subscription_get_for_user(user=user, pk=subscription_id), actor=user
    )
    return Status(204, None)
