"""Download pages: each list a person can see, as CSV or XLSX, streamed as it is written."""

from collections.abc import Callable
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user
from milepost.reporting.forms import MilestoneFilterForm
from milepost.schedule.choices import ChangeStatus

from .tables import Table, cash_flow_table, contract_table, milestone_list_table
from .writers import WRITERS


def download(table: Table, fmt: str) -> StreamingHttpResponse:
    """Stream ``table`` as an attachment in ``fmt`` (csv or xlsx)."""
    writer, content_type = WRITERS[fmt]
    response = StreamingHttpResponse(writer(table), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{table.file_stem}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _format(fmt: str) -> str:
    if fmt not in WRITERS:
        raise Http404("No such format.")
    return fmt


@login_required
@require_GET
def milestone_list_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The milestone list with the filters in the address, as the list page shows them."""
    fmt = _format(fmt)
    form = MilestoneFilterForm(request.GET)
    if not form.is_valid():
        # Say which filter is wrong on the list page itself, as the list page would.
        context = {"form": form, "page": None}
        return render(request, "reporting/milestone_list.html", context, status=400)
    user = cast(User, request.user)
    return download(milestone_list_table(user=user, filters=form.filters()), fmt)


def _contract_export(name: str) -> Callable[..., HttpResponseBase]:
    @login_required
    @require_GET
    def view(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
        fmt = _format(fmt)
        user = cast(User, request.user)
        contract = contract_get_for_user(user=user, pk=pk)
        # As the change request list does, an unknown status means every status.
        status = request.GET.get("status", "")
        status = status if status in ChangeStatus.values else ""
        table = contract_table(name=name, contract=contract, user=user, status=status)
        return download(table, fmt)

    view.__name__ = view.__qualname__ = f"contract_{name.replace('-', '_')}_export"
    view.__doc__ = f"A contract's {name.replace('-', ' ')}, as its page lists them."
    return view


contract_milestones_export = _contract_export("milestones")
contract_payments_export = _contract_export("payments")
contract_change_requests_export = _contract_export("change-requests")
contract_history_export = _contract_export("history")
contract_cash_flow_export = _contract_export("cash-flow")


@login_required
@require_GET
def cash_flow_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The cash flow of every contract the user sees, by currency and month."""
    fmt = _format(fmt)
    return download(cash_flow_table(user=cast(User, request.user)), fmt)
