"""Contract documents and the proposals read from them: upload and read, review, create.

Every member of a party to a contract reads its documents and their proposals; a manager or
admin of a party to an open contract uploads, reviews and creates. Anyone else gets 404.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from pydantic import StringConstraints

from milepost.accounts.api import actor
from milepost.contracts.models import ContractDocument
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import NotFound
from milepost.core.schemas import Amount, InputSchema, IsoDate, LongText, RowId, Title

from .models import Proposal
from .selectors import (
    document_get_for_user,
    documents_for_user_contract,
    proposal_get_for_user,
    proposals_for_document,
)
from .services import document_upload_and_read, proposal_decide, proposal_edit, proposals_apply

router = Router(tags=["extraction"])
DocumentTitle = Annotated[str, StringConstraints(max_length=200)]


class ProposalOut(Schema):
    """One thing read from the document: ``proposed`` is what was read, in the shape of
    ``milepost extract --json`` (never changes); ``values`` what the reviewer settled on."""

    id: int
    document_id: int
    position: int
    kind: str
    status: str
    edited: bool
    proposed: dict[str, Any]
    values: dict[str, Any]
    decided_by: str | None
    decided_at: dt.datetime | None
    milestone_id: int | None

    @staticmethod
    def resolve_decided_by(obj: Proposal) -> str | None:
        return obj.decided_by.username if obj.decided_by else None


class DocumentOut(Schema):
    id: int
    contract_id: int
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    format: str
    page_count: int
    uploaded_by: str
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_page_count(obj: ContractDocument) -> int:
        return len(obj.pages or [])

    @staticmethod
    def resolve_uploaded_by(obj: ContractDocument) -> str:
        return obj.uploaded_by.username


class DocumentListOut(DocumentOut):
    proposal_count: int
    pending_count: int
    accepted_count: int


class DocumentDetailOut(DocumentOut):
    """A document with its text (the citations' offsets count in it), where each page starts,
    what it says about the contract as a whole, and its proposals in document order."""

    text: str
    text_sha256: str
    pages: list[int]
    extractor_version: str
    facts: dict[str, Any]
    warnings: list[str]
    proposals: list[ProposalOut]

    @staticmethod
    def resolve_extractor_version(obj: ContractDocument) -> str:
        reading = getattr(obj, "reading", None)
        return reading.extractor_version if reading else ""

    @staticmethod
    def resolve_facts(obj: ContractDocument) -> dict[str, Any]:
        reading = getattr(obj, "reading", None)
        return dict(reading.facts) if reading else {}

    @staticmethod
    def resolve_warnings(obj: ContractDocument) -> list[str]:
        reading = getattr(obj, "reading", None)
        return list(reading.warnings) if reading else []

    @staticmethod
    def resolve_proposals(obj: ContractDocument) -> list[Proposal]:
        return proposals_for_document(document=obj)


Reference = Annotated[str, StringConstraints(max_length=24)]


class ProposalValuesIn(InputSchema):
    """The values to change; give only those that change (``null`` clears one). Which fields a
    proposal has depends on its kind (see the README); a field of another kind is refused (422
    naming it). ``depends_on``, ``trigger`` and ``milestone`` name another proposal of the
    document by its key ("p3") or a milestone of the contract by its id ("42")."""

    title: Title | None = None
    due_date: IsoDate | None = None
    recurring: Literal["daily", "weekly", "monthly", "quarterly", "yearly"] | None = None
    depends_on: Reference | None = None
    owner: RowId | None = None
    responsible_party: RowId | None = None
    accepting_party: RowId | None = None
    criticality: Literal["critical", "standard"] | None = None
    acceptance_criteria: LongText | None = None
    payer: RowId | None = None
    payee: RowId | None = None
    amount: Amount | None = None
    percentage: Amount | None = None
    trigger: Reference | None = None
    kpi_name: Title | None = None
    unit: Annotated[str, StringConstraints(max_length=32)] | None = None
    target: Amount | None = None
    direction: Literal["at_least", "at_most"] | None = None
    period: Literal["day", "week", "month", "quarter"] | None = None
    measurement_start: IsoDate | None = None
    required_parties: Annotated[list[RowId], Field(max_length=20)] | None = None
    milestone: Reference | None = None
    rate: Amount | None = None
    per: Literal["day", "week"] | None = None
    cap_amount: Amount | None = None
    cap_percent: Amount | None = None


class ApplyOut(Schema):
    milestones_created: int
    dependencies: int
    damages: int
    proposals_applied: int


_FILE = {
    "responses": {
        "200": {
            "description": "The document's file, as uploaded.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


@router.post("/contracts/{contract_id}/documents", response={201: DocumentDetailOut})
def upload_document(
    request: HttpRequest,
    contract_id: RowId,
    file: File[UploadedFile],
    title: Form[DocumentTitle | None] = None,
) -> Any:
    """Upload a contract document (multipart: ``file`` as PDF with a text layer, DOCX, TXT or
    MD; ``title``, by default the file's name) and read it: the answer holds its text and the
    proposals read from it, each waiting for review. Managers of a party to an open contract."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    document = document_upload_and_read(
        contract=contract, upload=file, title=title or "", actor=user
    )
    return Status(201, document_get_for_user(user=user, pk=document.pk))


@router.get("/contracts/{contract_id}/documents", response=list[DocumentListOut])
def list_documents(request: HttpRequest, contract_id: RowId) -> Any:
    """The contract's documents, newest first, with how many proposals wait for review."""
    return documents_for_user_contract(user=actor(request), contract_pk=contract_id)


@router.get("/documents/{document_id}", response=DocumentDetailOut)
def get_document(request: HttpRequest, document_id: RowId) -> Any:
    """One document: its text, pages, what it says about the contract, and its proposals."""
    return document_get_for_user(user=actor(request), pk=document_id)


@router.get("/documents/{document_id}/file", response={200: None}, openapi_extra=_FILE)
def download_document(request: HttpRequest, document_id: RowId) -> Any:
    """The document's file, as it was uploaded (an attachment)."""
    document = document_get_for_user(user=actor(request), pk=document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:  # the row outlived its file (restored without it)
        raise NotFound("document") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/proposals/{proposal_id}/{decision}", response=ProposalOut)
def decide_proposal(
    request: HttpRequest,
    proposal_id: RowId,
    decision: Literal["accept", "reject", "reopen"],
) -> Any:
    """Accept a proposal waiting for review, reject a waiting or accepted one, or reopen an
    accepted or rejected one for review. Nothing is created until the document's accepted
    proposals are applied."""
    user = actor(request)
    proposal = proposal_get_for_user(user=user, pk=proposal_id)
    return proposal_decide(proposal=proposal, decision=decision, actor=user)


@router.patch("/proposals/{proposal_id}", response=ProposalOut)
def edit_proposal(request: HttpRequest, proposal_id: RowId, payload: ProposalValuesIn) -> Any:
    """Change some of a pending or accepted proposal's values; each is checked, and a refusal
    names its field."""
    user = actor(request)
    proposal = proposal_get_for_user(user=user, pk=proposal_id)
    values = payload.model_dump(exclude_unset=True)
    return proposal_edit(proposal=proposal, values=values, actor=user)


@router.post("/documents/{document_id}/apply", response=ApplyOut)
def apply_proposals(request: HttpRequest, document_id: RowId) -> Any:
    """Create every accepted proposal of the document in one go (milestones with their
    citations, delay damages on their milestone), or refuse the whole set (422) naming each
    proposal's error."""
    user = actor(request)
    document = document_get_for_user(user=user, pk=document_id)
    return proposals_apply(document=document, actor=user)
