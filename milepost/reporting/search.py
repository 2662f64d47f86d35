"""The global search: contracts, milestones and parties a person can see, found by a few words.

One selector serves the search page, its htmx results and the API. It runs three queries
whatever the data (one per group), each scoped to the contracts of the person's organisations
and cut at ``LIMIT`` rows, so a short query over a large portfolio costs no more than a long one.
"""

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from milepost.accounts.models import User
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contracts_for_user
from milepost.core.errors import DomainError
from milepost.schedule.models import Milestone

# Results shown per group; one more is read to know whether there are others.
LIMIT = 20
# A query shorter than this matches too much to be useful; a longer one is refused as input.
QUERY_MIN = 2
QUERY_MAX = 100

Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class SearchResults:
    """What a search found, in three groups, each cut at ``LIMIT`` (``more_*`` says if cut)."""

    query: str
    contracts: list[Contract]
    milestones: list[Milestone]
    parties: list[Party]
    more_contracts: bool = False
    more_milestones: bool = False
    more_parties: bool = False

    @property
    def total(self) -> int:
        """Return how many results are shown."""
        return len(self.contracts) + len(self.milestones) + len(self.parties)


def search_query_clean(query: str, *, field: str = "q") -> str:
    """Return the query with its spaces tidied, or raise ``search_query_*`` naming ``field``."""
    words = " ".join(query.split())
    if len(words) < QUERY_MIN:
        raise DomainError(
            "search_query_short",
            f"Type at least {QUERY_MIN} characters to search.",
            field=field,
        )
    if len(words) > QUERY_MAX:
        raise DomainError(
            "search_query_long",
            f"Search for at most {QUERY_MAX} characters.",
            field=field,
        )
    return words


def _cut(rows: QuerySet[Row]) -> tuple[list[Row], bool]:
    found = list(rows[: LIMIT + 1])
    return found[:LIMIT], len(found) > LIMIT


def search_for_user(*, user: User, query: str) -> SearchResults:
    """Find the contracts, milestones and parties visible to ``user`` that match ``query``.

    A contract matches by its reference or title, a milestone by its title, a party by its organisation's name. Raises ``search_query_short`` or
    ``search_query_long`` (field ``q``) for a query outside the bounds.
    """
    words = search_query_clean(query)
    visible = contracts_for_user(user=user).values("pk")
    contracts, more_contracts = _cut(
        Contract.objects.filter(pk__in=visible)
        .filter(Q(reference__icontains=words) | Q(title__icontains=words))
        .select_related("owner")
        .order_by("reference", "pk")
    )
    milestones, more_milestones = _cut(
        Milestone.objects.filter(contract__in=visible)
        .filter(title__icontains=words)
        .select_related("contract", "owner")
        .order_by("due_date", "pk")
    )
    parties, more_parties = _cut(
        Party.objects.filter(contract__in=visible, organisation__name__icontains=words)
        .select_related("organisation", "contract")
        .order_by("organisation__name", "contract__reference", "pk")
    )
    return SearchResults(
        query=words,
        contracts=contracts,
        milestones=milestones,
        parties=parties,
        more_contracts=more_contracts,
        more_milestones=more_milestones,
        more_parties=more_parties,
    )
