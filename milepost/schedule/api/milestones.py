"""Milestone endpoints (``..services``): the filtered, keyset-paginated list, detail, create, edits,
status, reschedule; records are in ``records.py`` and acceptance in ``acceptance.py``."""

import base64
import binascii
import datetime as dt
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.accounts.models import User
from milepost.audit.selectors import events_for_milestone
from milepost.audit.sentences import events_with_sentences
from milepost.contracts.api import EventOut
from milepost.contracts.models import Contract
from milepost.contracts.selectors import (
    contract_get_for_user,
    party_get_for_contract,
    people_for_contract,
)
from milepost.core.errors import DomainError
from milepost.core.schemas import InputSchema, IsoDate, LongText, Note, RowId, Title, Username

from ..choices import Criticality, Health, MilestoneKind, MilestoneStatus
from ..models import Milestone
from ..selectors import (
    LINKS,
    milestone_filter,
    milestone_get_for_user,
    milestones_for_contract,
    milestones_listed,
)
from ..services import (
    milestone_create,
    milestone_reschedule,
    milestone_set_status,
    milestone_update,
)

router = Router()


class MilestoneOut(Schema):
    id: int
    contract_id: int
    contract_reference: str
    reference: str = Field(
        description="The milestone's own reference, unique in its contract; blank when it has none."
    )
    kind: str
    title: str
    owner: str
    responsible_party: str
    accepting_party: str | None
    criticality: str
    acceptance_criteria: str
    baseline_due_date: dt.date
    due_date: dt.date
    forecast_date: dt.date | None
    progress: int
    status: str
    met_on: dt.date | None
    health: str

    @staticmethod
    def resolve_contract_reference(obj: Milestone) -> str:
        return obj.contract.reference

    @staticmethod
    def resolve_owner(obj: Milestone) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_responsible_party(obj: Milestone) -> str:
        return obj.responsible_party.organisation.name

    @staticmethod
    def resolve_accepting_party(obj: Milestone) -> str | None:
        return obj.accepting_party.organisation.name if obj.accepting_party else None


class MilestoneDetailOut(MilestoneOut):
    description: str
    risk_note: str
    predecessor_ids: list[int]
    successor_ids: list[int]
    start_date: dt.date | None
    pinned: bool
    anchor_id: int | None
    anchor_event: str
    anchor_offset: int
    anchor_working_days: bool
    date_basis: str
    schedule_conflict: str
    estimate_optimistic: int | None
    estimate_likely: int | None
    estimate_pessimistic: int | None
    on_time_probability: float | None
    forecast_p50: dt.date | None
    forecast_p80: dt.date | None
    signals: str

    @staticmethod
    def resolve_predecessor_ids(obj: Milestone) -> list[int]:
        return [link.predecessor_id for link in obj.predecessor_links.all()]

    @staticmethod
    def resolve_successor_ids(obj: Milestone) -> list[int]:
        return [link.successor_id for link in obj.successor_links.all()]


class MilestonePage(Schema):
    items: list[MilestoneOut]
    next_cursor: str | None


class MilestoneFilters(Schema):
    contract: RowId | None = None
    kind: MilestoneKind | None = None
    status: MilestoneStatus | None = None
    health: Health | None = None
    owner: Username | None = None
    responsible_party: RowId | None = None
    due_from: IsoDate | None = None
    due_to: IsoDate | None = None
    overdue: bool | None = None
    critical: bool | None = None
    order: Literal["due_date", "-due_date"] = "due_date"
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


# What a list item shows (``MilestoneOut``), so that a page reads and converts no other column of
# the milestone and its contract, owner and parties: those were most of a page's Python time.
LIST_FIELDS = (
    "id",
    "contract",
    "reference",
    "kind",
    "title",
    "criticality",
    "acceptance_criteria",
    "baseline_due_date",
    "due_date",
    "forecast_date",
    "progress",
    "status",
    "met_on",
    "contract__reference",
    "owner__username",
    "responsible_party__organisation__name",
    "accepting_party__organisation__name",
)


def _encode(due: dt.date, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{due.isoformat()}|{pk}".encode()).decode()


def _decode(cursor: str) -> tuple[dt.date, int]:
    try:
        due, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return dt.date.fromisoformat(due), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError(
            "invalid_cursor", "The cursor is not one this API gave out.", field="cursor"
        ) from exc


def _after(due: dt.date, pk: int, *, descending: bool) -> Q:
    """Whether a milestone comes after (due, pk) in the list's order: the keyset of the next page.

    The plain bound on the due date comes first, so that the index in due-date order is entered
    at the cursor (a bare OR of the two cases is read as two index ranges merged and sorted).
    """
    if descending:
        return Q(due_date__lte=due) & (Q(due_date__lt=due) | Q(id__lt=pk))
    return Q(due_date__gte=due) & (Q(due_date__gt=due) | Q(id__gt=pk))


@router.get("/milestones", response=MilestonePage)
def list_milestones(request: HttpRequest, filters: Query[MilestoneFilters]) -> Any:
    """List the milestones you can see, filtered, in due-date order, a page at a time.

    Pass the ``next_cursor`` of one page as ``cursor`` to get the next; the order is stable
    (due date, then id) even while milestones are added.
    """
    user = actor(request)
    conditions = milestone_filter(user=user, **filters.dict(exclude={"order", "limit", "cursor"}))
    qs = milestones_listed(user=user).filter(conditions).only(*LIST_FIELDS)
    descending = filters.order == "-due_date"
    if filters.cursor:
        qs = qs.filter(_after(*_decode(filters.cursor), descending=descending))
    qs = qs.order_by(*(("-due_date", "-id") if descending else ("due_date", "id")))
    rows = list(qs[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": rows, "next_cursor": _encode(rows[-1].due_date, rows[-1].pk) if more else None}


@router.get("/milestones/{milestone_id}", response=MilestoneDetailOut)
def get_milestone(request: HttpRequest, milestone_id: RowId) -> Milestone:
    """Read one milestone with its dependencies."""
    return milestone_get_for_user(user=actor(request), pk=milestone_id, related=LINKS)


@router.get("/milestones/{milestone_id}/events", response=list[EventOut])
def milestone_events(
    request: HttpRequest, milestone_id: RowId, limit: int = Query(100, ge=1, le=500)
) -> Any:
    """Read the milestone's history, newest first, including what was posted on it."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return events_with_sentences(events_for_milestone(milestone_id=milestone.pk)[:limit])


class MilestoneIn(InputSchema):
    """The fields every kind of milestone is created with."""

    title: Title
    owner: Username
    due_date: IsoDate
    criticality: Criticality = Criticality.STANDARD
    acceptance_criteria: LongText = ""
    description: LongText = ""
    reference: str = Field(
        "", max_length=64, description="Your reference for it, unique in the contract."
    )


class DeliverableIn(MilestoneIn):
    responsible_party: RowId
    accepting_party: RowId
    acceptance_criteria: LongText


class MilestonePatch(InputSchema):
    title: Title | None = None
    description: LongText | None = None
    owner: Username | None = None
    criticality: Criticality | None = None
    acceptance_criteria: LongText | None = None


def milestone_fields(contract: Contract, payload: MilestoneIn, *parties: str) -> dict[str, Any]:
    """Return the service arguments every create shares, with ``parties`` found on the contract."""
    fields = payload.dict(
        include={
            "title",
            "due_date",
            "criticality",
            "acceptance_criteria",
            "description",
            "reference",
        }
    )
    fields["owner"] = user_for_field(payload.owner, "owner", contract)
    for name in parties:
        fields[name] = party_get_for_contract(
            contract=contract, pk=getattr(payload, name), field=name
        )
    return fields


def milestone_in_contract(contract: Contract, pk: int, field: str) -> Milestone:
    """Return a milestone of ``contract`` named by id in a request, or refuse naming ``field``."""
    milestone = milestones_for_contract(contract=contract).filter(pk=pk).first()
    if milestone is None:
        raise DomainError(
            "milestone_not_in_contract", f"Milestone {pk} is not in this contract.", field=field
        )
    return milestone


def user_for_field(username: str, field: str, contract: Contract) -> User:
    """Return the person called ``username`` who may own work on ``contract``, or refuse.

    Only people acting for a party to the contract are looked up, so a name that exists
    nowhere and a name at another organisation get the same answer: nobody learns from it
    who has an account elsewhere.
    """
    user = people_for_contract(contract=contract).filter(username=username).first()
    if user is None:
        raise DomainError(
            "user_not_found",
            "No one with that username may own work on this contract: name a member of one "
            "of its parties.",
            field=field,
        )
    return user


class SetStatusIn(InputSchema):
    status: MilestoneStatus
    reason: Note = ""


class RescheduleIn(InputSchema):
    due_date: IsoDate
    reason: Note


@router.post("/contracts/{contract_id}/deliverables", response={201: MilestoneDetailOut})
def create_deliverable(request: HttpRequest, contract_id: RowId, payload: DeliverableIn) -> Any:
    """Add a deliverable: what the responsible party hands over and the accepting party accepts."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    milestone = milestone_create(
        contract=contract,
        kind=MilestoneKind.DELIVERABLE,
        **milestone_fields(contract, payload, "responsible_party", "accepting_party"),
        actor=user,
    )
    return Status(201, milestone_get_for_user(user=user, pk=milestone.pk, related=LINKS))


@router.post("/milestones/{milestone_id}/status", response=MilestoneDetailOut)
def set_status(request: HttpRequest, milestone_id: RowId, payload: SetStatusIn) -> Any:
    """Start a milestone, or give up a deliverable or performance target (waive, cancel, not met)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    milestone_set_status(
        milestone=milestone, status=payload.status, reason=payload.reason, actor=user
    )
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)


@router.post("/milestones/{milestone_id}/reschedule", response=MilestoneDetailOut)
def reschedule(request: HttpRequest, milestone_id: RowId, payload: RescheduleIn) -> Any:
    """Move the due date with a reason; the baseline date stays as agreed."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    milestone_reschedule(
        milestone=milestone, due_date=payload.due_date, reason=payload.reason, actor=user
    )
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)


@router.patch("/milestones/{milestone_id}", response=MilestoneDetailOut)
def update_milestone(request: HttpRequest, milestone_id: RowId, payload: MilestonePatch) -> Any:
    """Change the title, description, owner, criticality or acceptance criteria (managers)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    changes = payload.dict(exclude_unset=True)
    if changes.get("owner") is not None:
        changes["owner"] = user_for_field(changes["owner"], "owner", milestone.contract)
    milestone_update(milestone=milestone, actor=user, **changes)
    return milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)
