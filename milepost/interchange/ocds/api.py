"""OCDS endpoints: a contract as a release package, and importing a contract from OCDS data."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from milepost.accounts.api import actor
from milepost.accounts.models import Organisation
from milepost.contracts.selectors import contract_get_for_user, organisations_known_to
from milepost.core.errors import NotFound
from milepost.core.schemas import InputSchema, IsoDate, RowId

from ..batches import batch_discard, batch_get_for_user
from ..choices import ImportKind
from ..uploads import upload_read
from .export import contract_release_package
from .services import ocds_import_apply, ocds_preview, suggested_organisations

router = Router()


def package_uri(contract_id: int) -> str:
    return f"{settings.MILEPOST_BASE_URL}/api/v1/contracts/{contract_id}/ocds"


class OcdsImportOut(Schema):
    id: int
    status: str
    file_name: str
    sha256: str
    contracts: list[dict[str, Any]]
    suggested_organisations: dict[str, int]


class OcdsApplyIn(InputSchema):
    contract: str = Field(max_length=300, description="The id of the contract in the file.")
    organisation: str = Field(max_length=80, description="Your organisation's slug.")
    party_role: str = Field(max_length=16)
    parties: dict[str, int] = {}
    counterparty: str = Field("", max_length=80)
    reference: str = Field("", max_length=64)
    title: str = Field("", max_length=200)
    value: str = Field("", max_length=40)
    currency: str = Field("", max_length=3)
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None


class OcdsAppliedOut(Schema):
    contract_id: int
    reference: str


def _out(batch: Any, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "status": batch.status,
        "file_name": batch.file_name,
        "sha256": batch.file_sha256,
        "contracts": batch.preview.get("contracts", []),
        "suggested_organisations": suggested_organisations(batch=batch, user=actor(request)),
    }


@router.get("/contracts/{contract_id}/ocds", response=dict[str, Any])
def contract_ocds(request: HttpRequest, contract_id: RowId) -> Any:
    """Read a contract as an OCDS 1.1.5 release package."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return contract_release_package(contract=contract, uri=package_uri(contract.pk))


@router.post("/imports/ocds", response={201: OcdsImportOut})
def upload_ocds_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """Upload an OCDS release or record package and get a preview of the contracts it holds."""
    batch = ocds_preview(upload=upload_read(file), actor=actor(request))
    return Status(201, _out(batch, request))


@router.get("/imports/ocds/{import_id}", response=OcdsImportOut)
def get_ocds_import(request: HttpRequest, import_id: RowId) -> Any:
    """Read the preview of one of your OCDS imports."""
    batch = batch_get_for_user(user=actor(request), pk=import_id, kind=ImportKind.OCDS)
    return _out(batch, request)


def _organisation(request: HttpRequest, slug: str, field: str) -> Organisation:
    org = organisations_known_to(user=actor(request)).filter(slug=slug).first()
    if org is None:
        raise NotFound("organisation")
    return org


@router.post("/imports/ocds/{import_id}/apply", response={201: OcdsAppliedOut})
def apply_ocds_import(request: HttpRequest, import_id: RowId, payload: OcdsApplyIn) -> Any:
    """Create the chosen contract of an OCDS import with its parties and milestones."""
    user = actor(request)
    batch = batch_get_for_user(user=user, pk=import_id, kind=ImportKind.OCDS)
    contract = ocds_import_apply(
        batch=batch,
        actor=user,
        contract_key=payload.contract,
        organisation=_organisation(request, payload.organisation, "organisation"),
        party_role=payload.party_role,
        party_map=payload.parties,
        counterparty=(
            _organisation(request, payload.counterparty, "counterparty")
            if payload.counterparty
            else None
        ),
        reference=payload.reference,
        title=payload.title,
        value=payload.value or None,
        currency=payload.currency,
        start_date=payload.start_date,
        end_date=payload.end_date,
    )
    return Status(201, {"contract_id": contract.pk, "reference": contract.reference})


@router.delete("/imports/ocds/{import_id}", response={204: None})
def discard_ocds_import(request: HttpRequest, import_id: RowId) -> Any:
    """Discard one of your OCDS imports without applying it."""
    user = actor(request)
    batch = batch_get_for_user(user=user, pk=import_id, kind=ImportKind.OCDS)
    batch_discard(batch=batch, actor=user)
    return Status(204, None)
