"""The global search over the API: the same selector and limits as the search page."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from milepost.accounts.api import actor

from ..search import LIMIT, QUERY_MAX, search_for_user

router = Router(tags=["search"])


class SearchQuery(Schema):
    q: Annotated[
        str,
        Field(
            max_length=QUERY_MAX,
            description="A contract's reference or title, a milestone's title or an "
            "organisation's name; at least 2 characters.",
        ),
    ]


class FoundContract(Schema):
    id: int
    reference: str
    title: str
    status: str
    owner: str

    @staticmethod
    def resolve_owner(obj: Any) -> str:
        return str(obj.owner.name)


class FoundMilestone(Schema):
    id: int
    title: str
    kind: str
    status: str
    due_date: dt.date
    contract_id: int
    contract_reference: str

    @staticmethod
    def resolve_contract_reference(obj: Any) -> str:
        return str(obj.contract.reference)


class FoundParty(Schema):
    id: int
    role: str
    organisation: str
    contract_id: int
    contract_reference: str

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return str(obj.organisation.name)

    @staticmethod
    def resolve_contract_reference(obj: Any) -> str:
        return str(obj.contract.reference)


class SearchOut(Schema):
    """What a search found; each list holds at most ``limit`` rows, ``more`` names those cut."""

    query: str
    limit: int
    contracts: list[FoundContract]
    milestones: list[FoundMilestone]
    parties: list[FoundParty]
    more: list[str]


@router.get("/search", response=SearchOut)
def search(request: HttpRequest, params: Query[SearchQuery]) -> Any:
    """Find the contracts, milestones and parties you can see by reference, title or name."""
    found = search_for_user(user=actor(request), query=params.q)
    cut = {"contracts": found.more_contracts, "milestones": found.more_milestones}
    cut["parties"] = found.more_parties
    return {
        "query": found.query,
        "limit": LIMIT,
        "contracts": found.contracts,
        "milestones": found.milestones,
        "parties": found.parties,
        "more": [group for group, more in cut.items() if more],
    }
