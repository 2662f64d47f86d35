"""REST endpoints for contracts, their parties and their history."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.accounts.selectors import organisation_get_by_slug
from milepost.audit.selectors import events_for_contract
from milepost.audit.sentences import event_sentence, events_with_sentences
from milepost.core.errors import DomainError, NotFound
from milepost.core.schemas import Amount, InputSchema, IsoDate, LongText, RowId, Title
from milepost.core.workdays import Calendar

from .choices import ContractStatus, NamedRole, PartyRole
from .models import Contract, Party
from .selectors import (
    contract_get_for_user,
    contracts_for_user,
    parties_for_contract,
)
from .services import (
    contract_create,
    contract_set_status,
    contract_update,
    party_add,
    party_name_role,
    party_remove,
)

router = Router(tags=["contracts"])


class PartyOut(Schema):
    id: int
    organisation: str
    organisation_slug: str
    role: str
    named_role: str = Field(
        description="The role the contract's form names the party in: project_manager, "
        "supervisor, service_manager, or empty."
    )

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
    at_risk_threshold: int
    self_reschedule: bool
    stale_update_days: int
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
# Ranges are the service's rules (422 with a code), so they are described rather than enforced.
THRESHOLD = "A milestone is at risk below this forecast chance of meeting its date: 1 to 99 (%)."
SELF_RESCHEDULE = "Whether a party may move its own standard milestones without a change request."
STALE_DAYS = "Days without a status update before an open milestone is flagged: 1 to 365."


class ContractIn(InputSchema):
    organisation: Slug
    party_role: PartyRole
    reference: str = Field(min_length=1, max_length=64)
    title: Title = Field(min_length=1)
    value: Amount
    currency: Currency
    start_date: IsoDate
    end_date: IsoDate
    description: LongText = ""
    time_zone: str = Field("Europe/London", min_length=1, max_length=64)
    holiday_country: str = Field("GB", min_length=1, max_length=8)
    holiday_region: str = Field("", max_length=16)
    at_risk_threshold: int = Field(70, description=THRESHOLD)
    self_reschedule: bool = Field(True, description=SELF_RESCHEDULE)
    stale_update_days: int = Field(14, description=STALE_DAYS)


class ContractPatch(InputSchema):
    """Only the fields sent change; ``null`` leaves a field as it is."""

    reference: str | None = Field(None, min_length=1, max_length=64)
    title: Title | None = Field(None, min_length=1)
    description: LongText | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    holiday_country: str | None = Field(None, min_length=1, max_length=8)
    holiday_region: str | None = Field(None, max_length=16)
    at_risk_threshold: int | None = Field(None, description=THRESHOLD)
    self_reschedule: bool | None = Field(None, description=SELF_RESCHEDULE)
    stale_update_days: int | None = Field(None, description=STALE_DAYS)


class ContractStatusIn(InputSchema):
    status: ContractStatus


class PartyIn(InputSchema):
    organisation: Slug
    role: PartyRole


class NamedRoleIn(InputSchema):
    named_role: NamedRole = Field(description="Empty to name the party in no role.")


class NonWorkingDayIn(InputSchema):
    day: IsoDate = Field(description="A weekday within the contract's start and end dates.")
    reason: Title = Field(min_length=1)


class NonWorkingDayOut(Schema):
    id: int
    day: dt.date
    reason: str


class CalendarDayOut(Schema):
    day: dt.date
    reason: str = Field(description="The bank holiday's name, or the contract's own reason.")
    source: Literal["holiday", "contract"]


class EventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    sentence: str = Field(
        description="What happened, as the history panel says it: "
        "“Cora Blake approved the Fit-out stage gate for Harbour City Council: Programme accepted.”"
    )

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_name)

    @staticmethod
    def resolve_sentence(obj: Any) -> str:
        return str(getattr(obj, "sentence", None) or event_sentence(obj))


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
def get_contract(request: HttpRequest, contract_id: RowId) -> Any:
    """Read one contract with its parties."""
    return contract_get_for_user(user=actor(request), pk=contract_id)


@router.patch("/contracts/{contract_id}", response=ContractDetailOut)
def update_contract(request: HttpRequest, contract_id: RowId, payload: ContractPatch) -> Any:
    """Change a contract's descriptive fields and dates."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    contract_update(contract=contract, actor=actor(request), **changes)
    return contract


@router.post("/contracts/{contract_id}/status", response=ContractDetailOut)
def set_contract_status(request: HttpRequest, contract_id: RowId, payload: ContractStatusIn) -> Any:
    """Move a contract to another status (draft, active, suspended, completed, terminated)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    contract_set_status(contract=contract, status=payload.status, actor=actor(request))
    return contract


@router.post("/contracts/{contract_id}/parties", response={201: PartyOut})
def add_party(request: HttpRequest, contract_id: RowId, payload: PartyIn) -> Any:
    """Make an organisation (by slug) a party to the contract."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    organisation = organisation_get_by_slug(slug=payload.organisation)
    party = party_add(
        contract=contract, organisation=organisation, role=payload.role, actor=actor(request)
    )
    return Status(201, party)


@router.put("/contracts/{contract_id}/parties/{party_id}/named-role", response=PartyOut)
def name_party_role(
    request: HttpRequest, contract_id: RowId, party_id: RowId, payload: NamedRoleIn
) -> Any:
    """Name a party in a role the contract's form names (the Project Manager), or in none."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    party = parties_for_contract(contract=contract).filter(pk=party_id).first()
    if party is None:
        raise NotFound("party")
    return party_name_role(party=party, named_role=payload.named_role, actor=actor(request))


@router.delete("/contracts/{contract_id}/parties/{party_id}", response={204: None})
def remove_party(request: HttpRequest, contract_id: RowId, party_id: RowId) -> Any:
    """Remove a party that no milestone names."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    party = parties_for_contract(contract=contract).filter(pk=party_id).first()
    if party is None:
        raise NotFound("party")
    party_remove(party=party, actor=actor(request))
    return Status(204, None)


@router.get("/contracts/{contract_id}/events", response=list[EventOut])
def contract_events(
    request: HttpRequest, contract_id: RowId, limit: int = Query(100, ge=1, le=500)
) -> Any:
    """Read the contract's history, newest first (``limit`` events, 1 to 500)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return events_with_sentences(events_for_contract(contract_id=contract.pk)[:limit])


# The longest span one calendar request covers; a contract page needs a year or two at a time.
MAX_CALENDAR_YEARS = 3


class CalendarRange(Schema):
    start: IsoDate = Field(alias="from", description="The first day, YYYY-MM-DD.")
    end: IsoDate = Field(alias="to", description="The last day; at most three years on.")


def _years_after(day: dt.date, years: int) -> dt.date:
    if day.year + years > dt.MAXYEAR:
        return dt.date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _check_range(first: dt.date, last: dt.date) -> None:
    if last < first:
        raise DomainError("invalid_range", "'to' must not be before 'from'.", field="to")
    if last > _years_after(first, MAX_CALENDAR_YEARS):
        raise DomainError(
            "range_too_long", f"Ask for at most {MAX_CALENDAR_YEARS} years at a time.", field="to"
        )


@router.get("/contracts/{contract_id}/calendar", response=list[CalendarDayOut])
def contract_calendar_days(
    request: HttpRequest, contract_id: RowId, span: Query[CalendarRange]
) -> Any:
    """List each weekday from ``from`` to ``to`` that the contract does not work, and why."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    _check_range(span.start, span.end)
    own = contract.non_working_days.filter(day__range=(span.start, span.end))
    reasons = {day_off.day: day_off.reason for day_off in own}
    bank = Calendar(contract.holiday_country, contract.holiday_region)
    days = []
    for day in Calendar(bank.country, bank.region, frozenset(reasons)).days_off(
        span.start, span.end
    ):
        # A bank holiday is a day off whatever the contract says, so its name comes first.
        holiday = bank.holiday_name(day)
        source = "holiday" if holiday else "contract"
        days.append({"day": day, "reason": holiday or reasons[day], "source": source})
    return days
