"""Endpoints of this area; assembled in ``milepost.interchange.api``.

The same lists as the download links on the pages, with the same filters, as CSV or XLSX.
"""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import IsoDate, RowId, Username
from milepost.reporting.selectors.milestones import MilestoneFilters
from milepost.schedule.choices import ChangeStatus, Health, MilestoneKind, MilestoneStatus

from .tables import cash_flow_table, contract_table, milestone_list_table
from .views import download

router = Router()

Format = Literal["csv", "xlsx"]

_FILE = {
    "responses": {
        "200": {
            "description": "The list as an attachment, written as it is read.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


class MilestoneExportQuery(Schema):
    """The milestone list's filters (those of GET /milestones and the list page), and a format."""

    format: Format = "csv"
    contract: RowId | None = None
    kind: MilestoneKind | None = None
    status: MilestoneStatus | None = None
    health: Health | None = None
    owner: Username | None = None
    responsible_party: RowId | None = None
    due_from: IsoDate | None = None
    due_to: IsoDate | None = None
    overdue: bool | None = None
    critical: bool | None = None
    open: bool | None = None
    q: str = Field("", max_length=200)
    order: Literal["due_date", "-due_date", "health", "progress", "title", "contract"] = "due_date"


class ContractExportQuery(Schema):
    format: Format = "csv"
    status: ChangeStatus | None = None


@router.get("/exports/milestones", response={200: None}, openapi_extra=_FILE)
def export_milestones(request: HttpRequest, q: Query[MilestoneExportQuery]) -> Any:
    """Export the milestones you can see, filtered as the milestone list filters them."""
    filters = MilestoneFilters(**q.dict(exclude={"format"}))
    return download(milestone_list_table(user=actor(request), filters=filters), q.format)


class CashFlowExportQuery(Schema):
    format: Format = "csv"


@router.get("/exports/cash-flow", response={200: None}, openapi_extra=_FILE)
def export_cash_flow(request: HttpRequest, q: Query[CashFlowExportQuery]) -> Any:
    """Export the cash flow of every contract you see, by currency and month."""
    return download(cash_flow_table(user=actor(request)), q.format)


@router.get("/contracts/{contract_id}/exports/{table}", response={200: None}, openapi_extra=_FILE)
def export_contract_list(
    request: HttpRequest,
    contract_id: RowId,
    table: Literal["milestones", "payments", "change-requests", "history", "cash-flow"],
    q: Query[ContractExportQuery],
) -> Any:
    """Export a contract's milestones (the import sheet's columns), payments, changes, history or
    cash flow."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    status = q.status.value if q.status else ""
    return download(
        contract_table(name=table, contract=contract, user=user, status=status), q.format
    )
