"""Records on a milestone: status updates, comments and evidence files (``..records``)."""

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Router, Schema, Status, UploadedFile

from milepost.accounts.api import actor
from milepost.core.errors import NotFound
from milepost.core.schemas import InputSchema, LongText, RowId

from ..models import Comment, Evidence, StatusUpdate
from ..records import comment_add, evidence_add, status_update_post
from ..selectors import milestone_get_for_user

router = Router()


class StatusUpdateIn(InputSchema):
    text: LongText
    progress: int | None = None


class StatusUpdateOut(Schema):
    id: int
    author: str
    text: str
    progress: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: StatusUpdate) -> str:
        return obj.author.username


class CommentIn(InputSchema):
    text: LongText


class CommentOut(Schema):
    id: int
    author: str
    text: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: Comment) -> str:
        return obj.author.username


@router.get("/milestones/{milestone_id}/updates", response=list[StatusUpdateOut])
def list_status_updates(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read a milestone's status updates, newest first."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return milestone.status_updates.select_related("author")


@router.post("/milestones/{milestone_id}/updates", response={201: StatusUpdateOut})
def post_status_update(request: HttpRequest, milestone_id: RowId, payload: StatusUpdateIn) -> Any:
    """Post where the milestone stands (owner or manager); a deliverable's progress moves with it."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    update = status_update_post(
        milestone=milestone, text=payload.text, progress=payload.progress, actor=actor(request)
    )
    return Status(201, update)


@router.get("/milestones/{milestone_id}/comments", response=list[CommentOut])
def list_comments(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read a milestone's comments, oldest first."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return milestone.comments.select_related("author")


@router.post("/milestones/{milestone_id}/comments", response={201: CommentOut})
def post_comment(request: HttpRequest, milestone_id: RowId, payload: CommentIn) -> Any:
    """Comment on a milestone."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return Status(201, comment_add(milestone=milestone, text=payload.text, actor=actor(request)))


class EvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_name(obj: Evidence) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj: Evidence) -> str:
        return obj.uploaded_by.username

    @staticmethod
    def resolve_download_url(obj: Evidence) -> str:
        return reverse(
            "api:download_evidence",
            kwargs={"milestone_id": obj.milestone_id, "evidence_id": obj.pk},
        )


@router.get("/milestones/{milestone_id}/evidence", response=list[EvidenceOut])
def list_evidence(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read the files attached to a milestone, oldest first."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return milestone.evidence.select_related("uploaded_by")


@router.post("/milestones/{milestone_id}/evidence", response={201: EvidenceOut})
def upload_evidence(request: HttpRequest, milestone_id: RowId, file: File[UploadedFile]) -> Any:
    """Attach a file (multipart field ``file``); too large a file answers 413."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    evidence = evidence_add(milestone=milestone, upload=file, actor=user)
    return Status(201, Evidence.objects.select_related("uploaded_by").get(pk=evidence.pk))


@router.get(
    "/milestones/{milestone_id}/evidence/{evidence_id}",
    response={200: None},
    url_name="download_evidence",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download_evidence(request: HttpRequest, milestone_id: RowId, evidence_id: RowId) -> Any:
    """Download an evidence file; the SHA-256 in the listing checks it arrived whole."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    evidence = milestone.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise NotFound("evidence")
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
