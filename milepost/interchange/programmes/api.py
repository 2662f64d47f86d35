"""Programme import endpoints: upload a programme into a contract, preview, apply, discard."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status, UploadedFile

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import Code, InputSchema, RowId, Title

from ..batches import batch_discard
from ..uploads import upload_read
from .services import programme_apply, programme_batch_get, programme_plan, programme_preview

router = Router()


class MappingIn(InputSchema):
    party: RowId | None = None
    owner: RowId | None = None


class ProgrammeOptionsIn(InputSchema):
    """Which tasks to import (their ids in the programme) and who delivers them.

    ``mapping`` maps a resource's name, or ``wbs:CODE`` for a top-level WBS group, to a party
    and owner (party ids and user ids of the contract).
    """

    tasks: list[Code] = Field(max_length=20_000)
    responsible_party: RowId
    accepting_party: RowId
    owner: RowId
    mapping: dict[Title, MappingIn] = {}


class ProgrammeImportOut(Schema):
    id: int
    status: str
    contract_id: int
    file_name: str
    sha256: str
    format: str
    summary: dict[str, Any]
    options: dict[str, Any]
    plan: dict[str, Any]
    counts: dict[str, Any]


def _out(batch: Any, request: HttpRequest, options: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "status": batch.status,
        "contract_id": batch.contract_id,
        "file_name": batch.file_name,
        "sha256": batch.file_sha256,
        "format": batch.file_format,
        "summary": batch.preview.get("summary", {}),
        "options": options or batch.options,
        "plan": programme_plan(batch=batch, actor=actor(request), options=options),
        "counts": batch.counts,
    }


def _options(payload: ProgrammeOptionsIn | None) -> dict[str, Any] | None:
    return payload.model_dump() if payload is not None else None


@router.post("/contracts/{contract_id}/imports/programme", response={201: ProgrammeImportOut})
def programme_import_upload(
    request: HttpRequest, contract_id: RowId, file: File[UploadedFile]
) -> Any:
    """Upload a programme (MS Project, P6, Planner, Phoenix, GanttProject) and get its preview."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    batch = programme_preview(contract=contract, upload=upload_read(file), actor=user)
    return Status(201, _out(batch, request))


@router.get("/imports/programmes/{import_id}", response=ProgrammeImportOut)
def programme_import_get(request: HttpRequest, import_id: RowId) -> Any:
    """Read one of your programme imports with the preview of its stored choices."""
    return _out(programme_batch_get(user=actor(request), pk=import_id), request)


@router.post("/imports/programmes/{import_id}/preview", response=ProgrammeImportOut)
def programme_import_check(
    request: HttpRequest, import_id: RowId, payload: ProgrammeOptionsIn
) -> Any:
    """Preview the import with other choices (tasks, parties, owners, mapping); writes nothing."""
    batch = programme_batch_get(user=actor(request), pk=import_id)
    return _out(batch, request, _options(payload))


@router.post("/imports/programmes/{import_id}/apply", response=ProgrammeImportOut)
def programme_import_apply(
    request: HttpRequest, import_id: RowId, payload: ProgrammeOptionsIn
) -> Any:
    """Apply the import with these choices (as the preview returned them), whole or not at all."""
    user = actor(request)
    batch = programme_apply(
        batch=programme_batch_get(user=user, pk=import_id), actor=user, options=_options(payload)
    )
    return _out(batch, request)


@router.delete("/imports/programmes/{import_id}", response={204: None})
def programme_import_discard(request: HttpRequest, import_id: RowId) -> Any:
    """Discard one of your programme imports without applying it."""
    user = actor(request)
    batch_discard(batch=programme_batch_get(user=user, pk=import_id), actor=user)
    return Status(204, None)
