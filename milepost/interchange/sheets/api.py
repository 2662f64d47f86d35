"""Spreadsheet import endpoints: upload for a preview, read it, apply it, or discard it."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, Status, UploadedFile

from milepost.accounts.api import actor
from milepost.accounts.models import Organisation
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import NotFound
from milepost.core.schemas import RowId

from ..batches import batch_discard, batch_get_for_user
from ..choices import ImportKind
from ..models import ImportBatch
from ..uploads import upload_read
from .contracts import contract_sheet_apply, contract_sheet_preview
from .milestones import milestone_sheet_apply, milestone_sheet_preview

router = Router()
SHEET_KINDS = (ImportKind.MILESTONE_SHEET, ImportKind.CONTRACT_SHEET)


class SheetImportOut(Schema):
    id: int
    kind: str
    status: str
    file_name: str
    file_sha256: str
    file_format: str
    contract_id: int | None
    organisation_id: int | None
    error_count: int
    errors: list[str]
    counts: dict[str, int]
    rows: list[dict[str, Any]]
    applied_at: dt.datetime | None

    @staticmethod
    def resolve_errors(obj: ImportBatch) -> list[str]:
        return list(obj.preview.get("errors", []))

    @staticmethod
    def resolve_counts(obj: ImportBatch) -> dict[str, int]:
        return dict(obj.counts or obj.preview.get("counts", {}))

    @staticmethod
    def resolve_rows(obj: ImportBatch) -> list[dict[str, Any]]:
        return list(obj.preview.get("rows", []))


def _sheet_batch(request: HttpRequest, import_id: int) -> ImportBatch:
    batch = batch_get_for_user(user=actor(request), pk=import_id)
    if batch.kind not in SHEET_KINDS:
        raise NotFound("import")
    return batch


@router.post("/contracts/{contract_id}/imports/milestones", response={201: SheetImportOut})
def preview_milestone_sheet(
    request: HttpRequest, contract_id: RowId, file: File[UploadedFile]
) -> Any:
    """Upload a CSV or XLSX of milestones (multipart field ``file``) for a preview; nothing is
    written but the stored import. Its ``errors`` name each row and column."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    upload = upload_read(file)
    return Status(201, milestone_sheet_preview(contract=contract, upload=upload, actor=user))


@router.post("/organisations/{slug}/imports/contracts", response={201: SheetImportOut})
def preview_contract_sheet(request: HttpRequest, slug: str, file: File[UploadedFile]) -> Any:
    """Upload a CSV or XLSX of contracts with their parties for a preview (managers and admins
    of the organisation)."""
    user = actor(request)
    organisation = Organisation.objects.filter(slug=slug, memberships__user=user).first()
    if organisation is None:
        raise NotFound("organisation")
    upload = upload_read(file)
    return Status(201, contract_sheet_preview(organisation=organisation, upload=upload, actor=user))


@router.get("/imports/sheets/{import_id}", response=SheetImportOut)
def get_sheet_import(request: HttpRequest, import_id: RowId) -> Any:
    """Read one of your spreadsheet imports: what it will create, update or leave, and errors."""
    return _sheet_batch(request, import_id)


@router.post("/imports/sheets/{import_id}/apply", response=SheetImportOut)
def apply_sheet_import(request: HttpRequest, import_id: RowId) -> Any:
    """Apply a previewed import whole, or refuse it (422) naming its first error; 409 once
    applied."""
    user = actor(request)
    batch = _sheet_batch(request, import_id)
    if batch.kind == ImportKind.MILESTONE_SHEET:
        return milestone_sheet_apply(batch=batch, actor=user)
    return contract_sheet_apply(batch=batch, actor=user)


@router.delete("/imports/sheets/{import_id}", response={204: None})
def discard_sheet_import(request: HttpRequest, import_id: RowId) -> Any:
    """Discard a previewed import; its stored file is cleared."""
    batch_discard(batch=_sheet_batch(request, import_id), actor=actor(request))
    return Status(204, None)
