"""Early warnings (the risk register) and recovery actions: their services and selectors.

``early_warnings`` and ``recovery`` hold each one's services and selectors, ``register`` what the
register page and a milestone's risk panel read of both; this module the rules both share.

An early warning is a risk raised against one or more milestones of one contract. Its
likelihood and impact, each from 1 (low) to 5 (high), multiply into the score that ranks the
register; it has an owner who acts on it, a mitigation, and stays open until closed with a note.

A recovery action is what a missed or at-risk milestone gets: the cause, the plan, an owner
and a new target date; it is open until marked done.

Who may do what:

- raise a warning: any contributor (member or above of an acting party, not an observer);
- change, close or reopen it: its owner, whoever raised it, or a manager of an acting party;
- add, change or complete a recovery action: a manager of an acting party, a member of the
  milestone's responsible party, or the milestone's owner (and the action's own owner may
  change or complete it).

Owners are people who are members (not viewers) of an acting party. A closed contract's risks
are frozen like its milestones. Every write leaves an event in the same transaction.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_require_open
from milepost.core.errors import DomainError

from ..choices import Health
from ..models import EarlyWarning, RecoveryAction

SCALE = range(1, 6)
# Health a milestone must have for a recovery action: missed (overdue or not met) or at risk.
RECOVERABLE = frozenset({Health.OVERDUE, Health.AT_RISK})
OWNER_ROLES = (Role.MEMBER, Role.ADMIN, Role.MANAGER)
ACTING_ROLES = tuple(role for role in PartyRole if role != PartyRole.OBSERVER)


def score_band(score: int) -> str:
    """Name the band of a likelihood-times-impact score: high (15+), medium (5 to 12) or low."""
    if score >= 15:
        return "high"
    return "medium" if score >= 5 else "low"


# Shared rules


def _value(value: Any) -> Any:
    """Return a JSON-friendly form of a field value for the event log."""
    return value.username if isinstance(value, User) else value


def snapshot(obj: EarlyWarning | RecoveryAction, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _value(getattr(obj, name)) for name in fields}


def require_open_contract(contract: Contract) -> None:
    contract_require_open(contract, frozen="its risks and recovery actions")


def risk_owners_for_contract(*, contract: Contract) -> QuerySet[User]:
    """Return the active people who may own a warning or action: members of an acting party."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__role__in=OWNER_ROLES,
            memberships__organisation__parties__contract=contract,
            memberships__organisation__parties__role__in=ACTING_ROLES,
        )
        .distinct()
        .order_by("username")
    )


def check_owner(owner: User | None, contract: Contract) -> None:
    if (
        owner is None
        or not risk_owners_for_contract(contract=contract).filter(pk=owner.pk).exists()
    ):
        raise DomainError(
            "owner_not_eligible",
            "The owner must be a member (not a viewer) of a party acting on this contract.",
            field="owner",
        )


def require_filled(obj: EarlyWarning | RecoveryAction, name: str, what: str) -> None:
    if not str(getattr(obj, name) or "").strip():
        raise DomainError("required", what, field=name)


# Early warnings: services


# Recovery actions: services


def open_first(open_status: str) -> Case:
    return Case(
        When(status=open_status, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
