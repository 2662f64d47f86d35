"""Reads of contracts and parties, always scoped to what the user may see."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Organisation, User
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.workdays import Calendar

from .choices import PartyRole
from .models import Contract, ContractDocument, Party


def contracts_for_user(*, user: User) -> QuerySet[Contract]:
    """Return the contracts that any of the user's organisations is party to."""
    if not user.is_authenticated:
        return Contract.objects.none()
    visible = Party.objects.filter(organisation__memberships__user=user).values("contract_id")
    return Contract.objects.filter(id__in=visible).select_related("owner")


def organisations_known_to(*, user: User) -> QuerySet[Organisation]:
    """Return the organisations the user already works with, by name.

    Those are the user's own organisations and every organisation party to a contract that one
    of them is party to: never the whole server, so that no tenant learns of another from a
    list. Any other organisation is brought in by its exact identifier (slug).
    """
    mine = Organisation.objects.filter(memberships__user=user).values("pk")
    shared = Party.objects.filter(organisation__in=mine).values("contract_id")
    return Organisation.objects.filter(
        Q(pk__in=mine) | Q(pk__in=Party.objects.filter(contract__in=shared).values("organisation"))
    ).order_by("name")


def contract_get_for_user(*, user: User, pk: int) -> Contract:
    """Return one visible contract, or raise NotFound whether it is missing or hidden."""
    contract = contracts_for_user(user=user).filter(pk=pk).first()
    if contract is None:
        raise NotFound("contract")
    return contract


def parties_for_contract(*, contract: Contract) -> QuerySet[Party]:
    """Return a contract's parties with their organisations."""
    return contract.parties.select_related("organisation").order_by("id")


@dataclass(frozen=True)
class ContractAccess:
    """What one user may do on one contract, derived from the parties they act for."""

    contract_id: int
    # party id -> (the party's role on the contract, the user's role in its organisation)
    parties: dict[int, tuple[str, str]] = field(default_factory=dict)
    # the user's parties whose organisation owns (created) the contract
    owner_parties: frozenset[int] = frozenset()

    @property
    def can_view(self) -> bool:
        return bool(self.parties)

    def _acting(self) -> list[str]:
        return [role for kind, role in self.parties.values() if kind != PartyRole.OBSERVER]

    @property
    def can_manage(self) -> bool:
        """Managers and admins of a non-observer party edit the contract and its milestones."""
        return any(at_least(role, Role.MANAGER) for role in self._acting())

    @property
    def can_contribute(self) -> bool:
        """Members and above of a non-observer party comment and update what they own."""
        return any(at_least(role, Role.MEMBER) for role in self._acting())

    def acts_for(self, party_id: int, minimum: Role = Role.MEMBER) -> bool:
        """Return whether the user acts for that party with at least ``minimum``."""
        entry = self.parties.get(party_id)
        return entry is not None and at_least(entry[1], minimum)

    @property
    def can_administer(self) -> bool:
        """Managers and admins of the owning organisation change the contract's terms and parties."""
        return any(self.acts_for(pid, Role.MANAGER) for pid in self.owner_parties)

    def require_administrator(self) -> None:
        if not self.can_administer:
            raise Forbidden(
                "Only a manager or admin of the organisation that owns this contract may do this."
            )

    def require_manager(self) -> None:
        if not self.can_manage:
            raise Forbidden("Only a manager or admin of a party to this contract may do this.")

    def require_contributor(self) -> None:
        if not self.can_contribute:
            raise Forbidden("Viewers and observers cannot change this contract.")


def _access(contract: Contract, rows: Iterable[tuple[int, str, str, int]]) -> ContractAccess:
    rows = list(rows)
    return ContractAccess(
        contract_id=contract.pk,
        parties={pid: (kind, role) for pid, kind, role, _ in rows},
        owner_parties=frozenset(pid for pid, _, _, org in rows if org == contract.owner_id),
    )


def contract_access(*, user: User | None, contract: Contract) -> ContractAccess:
    """Compute the user's access to ``contract`` in one query."""
    if user is None or not user.is_authenticated:
        return ContractAccess(contract_id=contract.pk)
    rows = Party.objects.filter(
        contract=contract, organisation__memberships__user=user
    ).values_list("id", "role", "organisation__memberships__role", "organisation_id")
    return _access(contract, rows)


def contract_access_for_users(
    *, user_ids: Iterable[int], contract: Contract
) -> dict[int, ContractAccess]:
    """Compute several people's access to ``contract`` in one query, by user id."""
    ids = set(user_ids)
    rows: dict[int, list[tuple[int, str, str, int]]] = {pk: [] for pk in ids}
    for user_id, pid, kind, role, org in Party.objects.filter(
        contract=contract, organisation__memberships__user__in=ids
    ).values_list(
        "organisation__memberships__user_id",
        "id",
        "role",
        "organisation__memberships__role",
        "organisation_id",
    ):
        rows[user_id].append((pid, kind, role, org))
    return {pk: _access(contract, found) for pk, found in rows.items()}


def people_for_contract(*, contract: Contract) -> QuerySet[User]:
    """Return the active people who may own its milestones: members and above of a party."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation__parties__contract=contract,
            memberships__role__in=[Role.MEMBER, Role.MANAGER, Role.ADMIN],
        )
        .distinct()
        .order_by("username")
    )


def party_get_for_contract(*, contract: Contract, pk: int, field: str = "party") -> Party:
    """Return one of the contract's parties, or refuse an id from anywhere else, naming the field."""
    party = parties_for_contract(contract=contract).filter(pk=pk).first()
    if party is None:
        raise DomainError(
            "party_not_on_contract", "That party is not on this contract.", field=field
        )
    return party


def contract_calendar(*, contract: Contract) -> Calendar:
    """Return the contract's working-day calendar: its region's holidays and its own days off."""
    extra = frozenset(contract.non_working_days.values_list("day", flat=True))
    return Calendar(contract.holiday_country, contract.holiday_region, extra)


def documents_for_contract(*, contract: Contract) -> QuerySet[ContractDocument]:
    """Return a contract's documents, newest first, with who added them."""
    return (
        ContractDocument.objects.filter(contract=contract)
        .select_related("uploaded_by")
        .defer("text")
        .order_by("-uploaded_at", "-id")
    )
