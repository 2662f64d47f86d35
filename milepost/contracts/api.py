"""REST endpoints for contracts, their parties and their history."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.accounts.selectors import organisation_get_by_slug
from milepost.audit.selectors import events_for_contract
from milepost.core.errors import NotFound
from milepost.core.schemas import Amount, IsoDate

from .choices import ContractStatus, PartyRole
from .models import Contract, Party
from .selectors import contract_get_for_user, contracts_for_user, parties_for_contract
from .services import contract_create, contract_set_status, contract_update, party_add, party_remove

router = Router(tags=["contracts"])


class PartyOut(Schema):
    id: int
    organisation: str
    organisation_slug: str
    role: str

    @staticmethod
    def resolve_organisation(obj: Party) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_organisation_slug(obj: Party) -> str:
        return obj.organisation.slug


class ContractOut(Schema):
    id: int
    reference: str
    title: str
    description: str
    value: Decimal
    currency: str
    start_date: dt.date
    end_date: dt.date
    time_zone: str
    holiday_country: str
    holiday_region: str
    status: str
    owner: str

    @staticmethod
    def resolve_owner(obj: Contract) -> str:
        return obj.owner.slug


class ContractDetailOut(ContractOut):
    parties: list[PartyOut]

    @staticmethod
    def resolve_parties(obj: Contract) -> list[Party]:
        return list(parties_for_contract(contract=obj))


# The column limits, so that too long a text is a malformed request (400), refused before a rule.
Slug = Annotated[str, Field(min_length=1, max_length=80, description="An organisation's slug.")]
Currency = Annotated[str, Field(pattern="^[A-Za-z]{3}$", description="ISO 4217, such as GBP.")]


class ContractIn(Schema):
    organisation: Slug
    party_role: PartyRole
    reference: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    value: Amount
    currency: Currency
    start_date: IsoDate
    end_date: IsoDate
    description: str = ""
    time_zone: str = Field("Europe/London", min_length=1, max_length=64)
    holiday_country: str = Field("GB", min_length=1, max_length=8)
    holiday_region: str = Field("", max_length=16)


class ContractPatch(Schema):
    """Only the fields sent change; ``null`` leaves a field as it is."""

    reference: str | None = Field(None, min_length=1, max_length=64)
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    holiday_country: str | None = Field(None, min_length=1, max_length=8)
    holiday_region: str | None = Field(None, max_length=16)


class StatusIn(Schema):
    status: ContractStatus


class PartyIn(Schema):
    organisation: Slug
    role: PartyRole


class EventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_name)


def _detail(contract: Contract) -> dict[str, Any]:
    return {
        **ContractOut.from_orm(contract).dict(),
        "parties": list(parties_for_contract(contract=contract)),
    }


@router.get("/contracts", response=list[ContractOut])
def list_contracts(request: HttpRequest) -> Any:
    """List the contracts your organisations are party to."""
    return contracts_for_user(user=actor(request))


@router.post("/contracts", response={201: ContractDetailOut})
def create_contract(request: HttpRequest, payload: ContractIn) -> Any:
    """Create a draft contract with your organisation as its first party."""
    data = payload.dict()
    organisation = organisation_get_by_slug(slug=data.pop("organisation"))
    contract = contract_create(organisation=organisation, actor=actor(request), **data)
    return Status(201, contract)


@router.get("/contracts/{contract_id}", response=ContractDetailOut)
def get_contract(request: HttpRequest, contract_id: int) -> Any:
    """Read one contract with its parties."""
    return contract_get_for_user(user=actor(request), pk=contract_id)


@router.patch("/contracts/{contract_id}", response=ContractDetailOut)
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> Any:
    """Change a contract's descriptive fields and dates."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    contract_update(contract=contract, actor=actor(request), **changes)
    return contract


@router.post("/contracts/{contract_id}/status", response=ContractDetailOut)
def set_contract_status(request: HttpRequest, contract_id: int, payload: StatusIn) -> Any:
    """Move a contract to another status (draft, active, suspended, completed, terminated)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    contract_set_status(contract=contract, status=payload.status, actor=actor(request))
    return contract


@router.post("/contracts/{contract_id}/parties", response={201: PartyOut})
def add_party(request: HttpRequest, contract_id: int, payload: PartyIn) -> Any:
    """Make an organisation (by slug) a party to the contract."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    organisation = organisation_get_by_slug(slug=payload.organisation)
    party = party_add(
        contract=contract, organisation=organisation, role=payload.role, actor=actor(request)
    )
    return Status(201, party)


@router.delete("/contracts/{contract_id}/parties/{party_id}", response={204: None})
def remove_party(request: HttpRequest, contract_id: int, party_id: int) -> Any:
    """Remove a party that no milestone names."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    party = parties_for_contract(contract=contract).filter(pk=party_id).first()
    if party is None:
        raise NotFound("party")
    party_remove(party=party, actor=actor(request))
    return Status(204, None)


@router.get("/contracts/{contract_id}/events", response=list[EventOut])
def contract_events(
    request: HttpRequest, contract_id: int, limit: int = Query(100, ge=1, le=500)
) -> Any:
    """Read the contract's history, newest first (``limit`` events, 1 to 500)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return events_for_contract(contract_id=contract.pk)[:limit]
