"""A communication's files: kept with it when it is written, or added to a draft."""

import uuid

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.services import contract_require_open
from milepost.core.errors import DomainError
from milepost.schedule.records import CheckedUpload, upload_checked

from ..events import CommunicationEvent
from ..models import Attachment, Communication
from ..selectors import communication_require_sender
from .rules import S

MAX_ATTACHMENTS = 10


def attach(
    c: Communication, upload: UploadedFile, checked: CheckedUpload, actor: User
) -> Attachment:
    """Keep one checked file with the communication, and the event that says so."""
    attachment = Attachment(
        communication=c,
        original_name=checked.name[:200],
        content_type=(upload.content_type or "application/octet-stream")[:100],
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(
        f"contract_{c.contract_id}/communication_{c.pk}/{uuid.uuid4().hex}.{checked.extension}",
        upload,
        save=False,
    )
    try:
        attachment.save()
        event_record(
            actor=actor,
            action=CommunicationEvent.COMMUNICATION_ATTACHED,
            obj=attachment,
            after={
                "reference": c.reference,
                "name": attachment.original_name,
                "size": checked.size,
                "sha256": checked.sha256,
            },
            # A draft's files are its sender's alone until it is sent.
            contract_id=c.contract_id if c.is_sent else None,
        )
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def communication_attach(
    *, communication: Communication, upload: UploadedFile, actor: User
) -> Attachment:
    """Attach a file to a draft (a manager of its sender); once sent, nothing is added."""
    c = (
        Communication.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=communication.pk)
    )
    communication_require_sender(communication=c, actor=actor)
    contract_require_open(c.contract, frozen="its communications")
    if c.state != S.DRAFT:
        raise DomainError(
            "already_sent",
            f"{c.reference} was sent and never changes; attach the file to a new communication.",
            field="file",
        )
    if c.attachments.count() >= MAX_ATTACHMENTS:
        raise DomainError("too_many", f"Attach at most {MAX_ATTACHMENTS} files.", field="file")
    return attach(c, upload, upload_checked(upload), actor)


def checked_one_of_several(upload: UploadedFile) -> CheckedUpload:
    """Check one file of several, naming it when it is refused."""
    try:
        return upload_checked(upload, field="attachments")
    except DomainError as exc:
        exc.message = f"{upload.name}: {exc.message}"
        exc.args = (exc.message,)
        raise
