"""Spreadsheet import pages: upload, the preview with every row's errors, apply or discard."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from milepost.accounts.choices import Role
from milepost.accounts.models import Organisation, User
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error
from milepost.schedule.planning import require_editable

from ..batches import batch_discard, batch_get_for_user
from ..choices import ImportKind, ImportStatus
from ..columns import MILESTONE_COLUMNS_BY_NAME
from ..models import ImportBatch
from ..uploads import upload_read
from .contracts import contract_sheet_apply, contract_sheet_preview
from .milestones import ImportRefused, milestone_sheet_apply, milestone_sheet_preview
from .template_files import FORMATS, template_file

ROWS_SHOWN = 300


class SheetUploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="A CSV file (UTF-8 or as Excel saves it) or an Excel workbook (.xlsx).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )


class ContractSheetForm(SheetUploadForm):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisation",
        help_text="The contracts become this organisation's drafts.",
        empty_label=None,
    )

    def __init__(self, *args: object, organisations: QuerySet[Organisation], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


def _managed_organisations(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Role.MANAGER, Role.ADMIN]
    ).order_by("name")


def _refusal(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except DomainError as exc:
        return exc.message
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def milestone_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a milestone sheet for a contract; a manager of a party may."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)

    def allowed() -> None:
        contract_access(user=user, contract=contract).require_manager()
        require_editable(contract)

    refusal = _refusal(allowed)
    form = SheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if refusal:
            raise Forbidden(refusal)
        if form.is_valid():
            try:
                upload = upload_read(form.cleaned_data["file"])
                batch = milestone_sheet_preview(contract=contract, upload=upload, actor=user)
            except (NotFound, Forbidden):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return redirect("interchange:sheets-preview", pk=batch.pk)
    context = {"form": form, "contract": contract, "refusal": refusal}
    return render(
        request,
        "interchange/sheets/milestone_upload.html",
        context,
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_upload(request: HttpRequest) -> HttpResponse:
    """Upload a sheet of contracts for one of the organisations the user manages."""
    user = cast(User, request.user)
    organisations = _managed_organisations(user)
    form = ContractSheetForm(
        request.POST or None, request.FILES or None, organisations=organisations
    )
    if request.method == "POST" and form.is_valid():
        try:
            upload = upload_read(form.cleaned_data["file"])
            batch = contract_sheet_preview(
                organisation=form.cleaned_data["organisation"], upload=upload, actor=user
            )
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("interchange:sheets-preview", pk=batch.pk)
    context = {"form": form, "can_import": organisations.exists()}
    return render(
        request,
        "interchange/sheets/contract_upload.html",
        context,
        status=422 if form.errors else 200,
    )


def _sheet_batch(user: User, pk: int) -> ImportBatch:
    batch = batch_get_for_user(user=user, pk=pk)
    if batch.kind not in (ImportKind.MILESTONE_SHEET, ImportKind.CONTRACT_SHEET):
        raise NotFound("import")
    return batch


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A preview row for people: a date as a date, changed columns by their labels."""
    due = row.get("due_date") or ""
    return {
        **row,
        "due": dt.date.fromisoformat(due) if due else None,
        "changed": ", ".join(
            MILESTONE_COLUMNS_BY_NAME[name].label.lower()
            if name in MILESTONE_COLUMNS_BY_NAME
            else name
            for name in row.get("changes", [])
        ),
    }


@login_required
@require_GET
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What an uploaded sheet will create, update or leave unchanged, and every row's error."""
    batch = _sheet_batch(cast(User, request.user), pk)
    rows = [_shown(row) for row in batch.preview.get("rows", [])[:ROWS_SHOWN]]
    total = len(batch.preview.get("rows", []))
    context = {
        "batch": batch,
        "counts": batch.counts or batch.preview.get("counts", {}),
        "errors": batch.preview.get("errors", []),
        "error_total": batch.preview.get("error_total", batch.error_count),
        "ignored": batch.preview.get("ignored_columns", []),
        "rows": rows,
        "rows_hidden": max(0, total - ROWS_SHOWN),
        "is_milestones": batch.kind == ImportKind.MILESTONE_SHEET,
        "open": batch.status == ImportStatus.PREVIEWED,
    }
    return render(request, "interchange/sheets/preview.html", context)


@login_required
@require_POST
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    batch = _sheet_batch(user, pk)
    try:
        if batch.kind == ImportKind.MILESTONE_SHEET:
            batch = milestone_sheet_apply(batch=batch, actor=user)
        else:
            batch = contract_sheet_apply(batch=batch, actor=user)
    except NotFound:
        raise
    except (ImportRefused, DomainError) as exc:
        messages.error(request, exc.message)
        return redirect("interchange:sheets-preview", pk=batch.pk)
    messages.success(request, f"Imported {batch.file_name}.")
    if batch.contract_id is not None:
        return redirect("reporting:contract-detail", pk=batch.contract_id)
    return redirect("interchange:sheets-preview", pk=batch.pk)


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    batch = _sheet_batch(user, pk)
    try:
        batch_discard(batch=batch, actor=user)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("interchange:sheets-preview", pk=batch.pk)
    messages.success(request, f"Discarded {batch.file_name}; nothing was imported.")
    if batch.contract_id is not None:
        return redirect("reporting:contract-detail", pk=batch.contract_id)
    return redirect("interchange:sheets-contracts-upload")


@login_required
@require_GET
def template_download(request: HttpRequest, which: str, fmt: str) -> HttpResponse:
    """The template file for an import, with a header row and example rows."""
    if which not in ("milestones", "contracts") or fmt not in FORMATS:
        raise Http404
    response = HttpResponse(template_file(which, fmt), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="milepost-{which}-template.{fmt}"'
    return response
