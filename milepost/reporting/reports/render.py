"""Draw a report: its figures, its one-page HTML document, and that document as a PDF.

The PDF is WeasyPrint's drawing of the same HTML. It uses only fonts on the machine (DejaVu or
Liberation through fontconfig) and fetches nothing: the fetcher refuses every address but
``data:``, so no text in a report can make the server reach out.
"""

import datetime as dt
import logging
from functools import cache
from pathlib import Path
from typing import Any

import weasyprint
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from weasyprint.urls import URLFetcher

from milepost.accounts.models import User
from milepost.contracts.models import Contract

from ..choices import ReportType
from ..models import REPORT_TITLE_MAX
from . import figures, register
from .period import Period

# WeasyPrint warns of every SVG presentation property in a stylesheet it does not apply to HTML
# (fill, stroke): expected, and noise in the worker's log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "reporting" / "report.css"


@cache
def report_css() -> str:
    """The report's own stylesheet, inlined into every document so that it stands alone."""
    return CSS_PATH.read_text()


def report_title(*, report_type: str, contract: Contract | None) -> str:
    """Name the report and its contract, short enough to be kept with an issued report."""
    name = ReportType(report_type).label
    title = f"{name}: {contract.reference} {contract.title}" if contract else name
    # Today's contract fields always fit; the cut keeps a longer one later from failing an issue.
    return title if len(title) <= REPORT_TITLE_MAX else title[: REPORT_TITLE_MAX - 1] + "…"


def report_context(
    *,
    report_type: str,
    user: User,
    period: Period,
    audience: str,
    contract: Contract | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Read the figures of one report and return what its template draws."""
    if report_type == ReportType.PORTFOLIO:
        body = figures.portfolio_report(user=user, period=period, now=now)
    else:
        assert contract is not None  # the caller found the contract for a contract report
        read = {
            ReportType.CONTRACT_STATUS: figures.contract_status,
            ReportType.LOOK_AHEAD: figures.look_ahead,
            ReportType.PAYMENT: figures.payment_report,
            ReportType.COMMUNICATIONS: register.communications_register,
        }[ReportType(report_type)]
        body = read(contract=contract, user=user, period=period, now=now)
    return {
        **body,
        "report_type": report_type,
        "body_template": f"reporting/reports/{report_type}.html",
        "title": report_title(report_type=report_type, contract=contract),
        "contract": contract,
        "period": period,
        "audience": audience,
        "prepared_by": user,
    }


def report_fragment(context: dict[str, Any]) -> SafeString:
    """Render the report's header and body alone, for the preview inside a site page."""
    return mark_safe(render_to_string("reporting/reports/fragment.html", context))  # noqa: S308


def report_html(context: dict[str, Any], *, issued: str = "") -> str:
    """Render the report as one standalone HTML document (its stylesheet inlined)."""
    return render_to_string(
        "reporting/reports/document.html", {**context, "css": report_css(), "issued": issued}
    )


class LocalOnlyFetcher(URLFetcher):
    """Fetch ``data:`` addresses only; refuse the network and the file system alike."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)


def report_pdf(html: str) -> bytes:
    """Draw a report's HTML document as a PDF, fetching nothing from anywhere."""
    pdf = weasyprint.HTML(string=html, url_fetcher=LocalOnlyFetcher(), base_url=None).write_pdf()
    assert pdf is not None
    return bytes(pdf)
