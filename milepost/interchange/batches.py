"""Imports between preview and apply: stored, found only by their uploader, applied once.

Every import is two steps. Reading a file stores an ``ImportBatch`` with its preview and writes
nothing else. Applying reads the stored file again, checks it again, and writes everything in one
transaction together with one ``import.applied`` event (file name, sha256, counts), or nothing.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from milepost.accounts.models import Organisation, User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.core.errors import DomainError, NotFound

from .choices import ImportKind, ImportStatus
from .events import InterchangeEvent
from .models import ImportBatch
from .uploads import Upload


class AlreadyApplied(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__("import_applied", "This import was applied already.")


def batch_store(
    *,
    kind: ImportKind,
    upload: Upload,
    actor: User,
    preview: dict[str, Any],
    error_count: int,
    file_format: str = "",
    contract: Contract | None = None,
    organisation: Organisation | None = None,
    options: dict[str, Any] | None = None,
) -> ImportBatch:
    """Keep an uploaded file and its preview until its uploader applies or discards it.

    The caller has already checked that ``actor`` may import into ``contract`` or
    ``organisation``; nothing else is written, so no event is recorded.
    """
    return ImportBatch.objects.create(
        kind=kind,
        created_by=actor,
        contract=contract,
        organisation=organisation,
        file_name=upload.name,
        file_sha256=upload.sha256,
        file_size=upload.size,
        file_format=file_format,
        content=upload.data,
        options=options or {},
        preview=preview,
        error_count=error_count,
    )


def batch_get_for_user(*, user: User, pk: int, kind: ImportKind | None = None) -> ImportBatch:
    """Return one of the user's own imports, or raise NotFound (anyone else's answers the same)."""
    rows = ImportBatch.objects.filter(pk=pk, created_by=user).select_related(
        "contract", "organisation"
    )
    if kind is not None:
        rows = rows.filter(kind=kind)
    batch = rows.first()
    if batch is None:
        raise NotFound("import")
    return batch


def batch_upload(batch: ImportBatch) -> Upload:
    """The stored file, as it was uploaded."""
    return Upload(name=batch.file_name, data=bytes(batch.content))


@transaction.atomic
def batch_mark_applied(
    *,
    batch: ImportBatch,
    actor: User,
    counts: dict[str, int],
    contract: Contract | None = None,
) -> ImportBatch:
    """Close ``batch`` as applied and record the one ``import.applied`` event.

    Call it inside the transaction that writes the import's objects, after them; a batch that
    was applied or discarded already is refused with 409 and the whole transaction rolls back.
    """
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.PREVIEWED:
        raise AlreadyApplied()
    locked.status = ImportStatus.APPLIED
    locked.applied_at = timezone.now()
    locked.counts = counts
    if contract is not None:
        locked.contract = contract
    locked.save(update_fields=["status", "applied_at", "counts", "contract", "updated_at"])
    event_record(
        actor=actor,
        action=InterchangeEvent.IMPORT_APPLIED,
        obj=locked,
        contract_id=locked.contract_id,
        after={
            "kind": locked.kind,
            "file_name": locked.file_name,
            "sha256": locked.file_sha256,
            "size": locked.file_size,
            "format": locked.file_format,
            "counts": counts,
        },
    )
    return locked


def batch_discard(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Drop a previewed import that will not be applied; its stored file is cleared."""
    if batch.created_by_id != actor.pk:
        raise NotFound("import")
    if batch.status != ImportStatus.PREVIEWED:
        raise AlreadyApplied()
    batch.status = ImportStatus.DISCARDED
    batch.content = b""
    batch.save(update_fields=["status", "content", "updated_at"])
    return batch
