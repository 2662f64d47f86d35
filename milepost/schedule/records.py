"""What people add to a milestone: status updates (with a deliverable's progress), comments, evidence."""

import hashlib
import uuid
from pathlib import PurePath
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.errors import DomainError, Forbidden, TooLarge
from milepost.core.text import TEXT_MAX, text_check

from .choices import HOW_MET, MilestoneKind, MilestoneStatus
from .events import ScheduleEvent
from .models import Comment, Evidence, Milestone, StatusUpdate
from .planning import require_editable
from .services import milestone_record_outcome


def _editable_refusal(milestone: Milestone) -> DomainError | None:
    try:
        require_editable(milestone.contract)
    except DomainError as refusal:
        return refusal
    return None


def status_update_refusal(
    *, milestone: Milestone, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not post a status update on ``milestone`` now, or ``None``.

    The milestone's owner (unless since made a viewer) and managers post updates, while the
    contract is not closed.
    """
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    if milestone.owner_id != user.pk and not access.can_manage:
        return Forbidden(
            f"Only {milestone.owner}, who owns this milestone, or a manager can post an update.",
            code="not_owner",
        )
    return _editable_refusal(milestone)


def comment_add_refusal(
    *, milestone: Milestone, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not comment on ``milestone`` now, or ``None``."""
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    return _editable_refusal(milestone)


def evidence_add_refusal(
    *, milestone: Milestone, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not attach evidence to ``milestone`` now, or ``None``."""
    access = access or contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    refusal = _editable_refusal(milestone)
    if refusal is not None:
        return refusal
    parties = [milestone.responsible_party_id, milestone.accepting_party_id]
    if not (
        access.can_manage
        or milestone.owner_id == user.pk
        or any(p and access.acts_for(p) for p in parties)
    ):
        return Forbidden(
            "Only the owner, the parties to the milestone or a manager may attach evidence."
        )
    return None


@transaction.atomic
def status_update_post(
    *, milestone: Milestone, text: str, progress: int | None = None, actor: User
) -> StatusUpdate:
    """Post where a milestone stands; a deliverable's progress moves with it."""
    refusal = status_update_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    if not text.strip():
        raise DomainError("required", "Write what has happened.", field="text")
    text_check(text.strip(), field="text", limit=TEXT_MAX, label="A status update")
    if progress is not None:
        if milestone.kind != MilestoneKind.DELIVERABLE:
            raise DomainError(
                "progress_computed",
                f"A {milestone.kind} milestone's progress is not set by hand: it {HOW_MET[milestone.kind]}.",
                field="progress",
            )
        if not 0 <= progress <= 100:
            raise DomainError(
                "invalid_progress", "Progress is a whole number from 0 to 100.", field="progress"
            )
        if not milestone.is_open:
            raise DomainError(
                "milestone_closed",
                "A closed milestone's progress no longer changes.",
                field="progress",
            )
    update = StatusUpdate.objects.create(
        milestone=milestone, author=actor, text=text.strip(), progress=progress
    )
    event_record(
        actor=actor,
        action=ScheduleEvent.STATUS_UPDATE_POSTED,
        obj=update,
        after={"text": update.text, "progress": progress},
    )
    if progress is not None and progress != milestone.progress:
        before = {"progress": milestone.progress}
        milestone.progress = progress
        milestone.save(update_fields=["progress", "updated_at"])
        event_record(
            actor=actor,
            action=ScheduleEvent.MILESTONE_PROGRESSED,
            obj=milestone,
            before=before,
            after={"progress": progress},
        )
        if (
            progress > 0
            and milestone.status == MilestoneStatus.SCHEDULED
            and milestone.contract.status == ContractStatus.ACTIVE
        ):
            milestone_record_outcome(
                milestone=milestone, status=MilestoneStatus.IN_PROGRESS, actor=actor
            )
    return update


@transaction.atomic
def comment_add(*, milestone: Milestone, text: str, actor: User) -> Comment:
    """Add a comment; members and managers of any acting party may comment."""
    refusal = comment_add_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    text = text.strip()
    if not text:
        raise DomainError("required", "A comment needs some text.", field="text")
    text_check(text, field="text", limit=TEXT_MAX, label="A comment")
    comment = Comment.objects.create(milestone=milestone, author=actor, text=text.strip())
    event_record(
        actor=actor, action=ScheduleEvent.COMMENT_ADDED, obj=comment, after={"text": comment.text}
    )
    return comment


class CheckedUpload(NamedTuple):
    """An uploaded file that passed the evidence rules, with its safe name and its digest."""

    name: str
    extension: str
    size: int
    sha256: str


def upload_checked(upload: UploadedFile, *, field: str = "file") -> CheckedUpload:
    """Check a file against the evidence rules (type, size, not empty); name and hash it.

    Every file kept as evidence of a contract (a milestone's evidence, a communication's
    attachment) passes the same rules.
    """
    try:
        name = get_valid_filename(PurePath(upload.name or "").name)
    except SuspiciousFileOperation:
        # Nothing usable is left of the name (say '..' or '★★★'): the type check refuses it.
        name = ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.EVIDENCE_ALLOWED_EXTENSIONS:
        raise DomainError(
            "file_type_not_allowed",
            f"Files of type '.{extension}' are not accepted; use one of "
            f"{', '.join('.' + e for e in settings.EVIDENCE_ALLOWED_EXTENSIONS)}.",
            field=field,
        )
    size = upload.size or 0
    if size > settings.EVIDENCE_MAX_BYTES:
        limit = filesizeformat(settings.EVIDENCE_MAX_BYTES)
        raise TooLarge("file_too_large", f"The file is larger than the {limit} limit.", field=field)
    if size == 0:
        raise DomainError("file_empty", "The file is empty.", field=field)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(name, extension, size, digest.hexdigest())


@transaction.atomic
def evidence_add(*, milestone: Milestone, upload: UploadedFile, actor: User) -> Evidence:
    """Attach a file within the size and type limits; it is stored under the data directory."""
    refusal = evidence_add_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    name, extension, size, sha256 = upload_checked(upload)
    evidence = Evidence(
        milestone=milestone,
        original_name=name[:200],
        content_type=upload.content_type or "application/octet-stream",
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    path = (
        f"contract_{milestone.contract_id}/milestone_{milestone.pk}/{uuid.uuid4().hex}.{extension}"
    )
    evidence.file.save(path, upload, save=False)
    try:
        evidence.save()
        event_record(
            actor=actor,
            action=ScheduleEvent.EVIDENCE_ADDED,
            obj=evidence,
            after={"name": evidence.original_name, "size": size, "sha256": evidence.sha256},
        )
    except Exception:
        # Nothing refers to the file once the row is gone: do not leave it behind.
        evidence.file.delete(save=False)
        raise
    return evidence
