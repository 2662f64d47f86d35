"""Links between milestones of one contract: types and lags, never a cycle.

A link moves no date by itself; ``planning`` recomputes what follows when a date moves.
"""

from typing import Any

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access
from milepost.core.errors import DomainError

from .choices import DependencyType
from .events import ScheduleEvent
from .models import Dependency, Milestone
from .planning import MAX_LAG, check_link_cycle, contract_graph, recompute, require_editable

LINK_TERMS = ("type", "lag", "working_days")


def _check_lag(lag: int) -> None:
    if not -MAX_LAG <= lag <= MAX_LAG:
        raise DomainError(
            "invalid_lag", f"A lag is between -{MAX_LAG} and {MAX_LAG} days.", field="lag"
        )


def _link_after(dependency: Dependency) -> dict[str, Any]:
    return {
        "predecessor": dependency.predecessor.title,
        "successor": dependency.successor.title,
        "type": dependency.type,
        "lag": dependency.lag,
        "working_days": dependency.working_days,
    }


@transaction.atomic
def dependency_change_refusal(*, contract: Contract, user: User) -> DomainError | None:
    """Return why ``user`` may not add or remove links on ``contract`` now, or ``None``: the
    checks ``dependency_add`` makes before it looks at the two milestones."""
    try:
        contract_access(user=user, contract=contract).require_manager()
        require_editable(contract)
    except DomainError as refusal:
        return refusal
    return None


def dependency_add(
    *,
    predecessor: Milestone,
    successor: Milestone,
    actor: User,
    type: str = DependencyType.FINISH_TO_START,
    lag: int = 0,
    working_days: bool = False,
) -> Dependency:
    """Link two milestones of one contract, refusing any cycle.

    A link moves no date by itself: dates are agreed, and only a reschedule or an approved
    change moves them (and then what follows, through the links).
    """
    contract = successor.contract
    refusal = dependency_change_refusal(contract=contract, user=actor)
    if refusal is not None:
        raise refusal
    if predecessor.contract_id != successor.contract_id:
        raise DomainError(
            "cross_contract",
            "Both milestones must belong to the same contract.",
            field="predecessor",
        )
    if predecessor.pk == successor.pk:
        raise DomainError(
            "self_dependency", "A milestone cannot depend on itself.", field="predecessor"
        )
    if type not in DependencyType.values:
        raise DomainError(
            "invalid_dependency_type",
            f"'{type}' is not a dependency type; use FS, SS, FF or SF.",
            field="type",
        )
    _check_lag(lag)
    loaded = contract_graph(contract=contract)
    if any(
        link.successor == successor.pk for link in loaded.graph.outgoing.get(predecessor.pk, ())
    ):
        raise DomainError(
            "duplicate_dependency",
            f"'{successor}' already depends on '{predecessor}'.",
            field="predecessor",
        )
    check_link_cycle(loaded, predecessor.pk, successor.pk)
    dependency = Dependency.objects.create(
        predecessor=predecessor, successor=successor, type=type, lag=lag, working_days=working_days
    )
    event_record(
        actor=actor,
        action=ScheduleEvent.DEPENDENCY_ADDED,
        obj=dependency,
        after=_link_after(dependency),
        contract_id=contract.pk,
        milestone_id=successor.pk,
    )
    return dependency


@transaction.atomic
def dependency_update(
    *,
    dependency: Dependency,
    actor: User,
    type: str | None = None,
    lag: int | None = None,
    working_days: bool | None = None,
) -> Dependency:
    """Change a link's type or lag; like a new link, it moves no date by itself."""
    successor = dependency.successor
    contract_access(user=actor, contract=successor.contract).require_manager()
    require_editable(successor.contract)
    before = {k: v for k, v in _link_after(dependency).items() if k in LINK_TERMS}
    if type is not None:
        if type not in DependencyType.values:
            raise DomainError(
                "invalid_dependency_type",
                f"'{type}' is not a dependency type; use FS, SS, FF or SF.",
                field="type",
            )
        dependency.type = type
    if lag is not None:
        _check_lag(lag)
        dependency.lag = lag
    if working_days is not None:
        dependency.working_days = working_days
    after = {k: v for k, v in _link_after(dependency).items() if k in LINK_TERMS}
    if after == before:
        return dependency
    dependency.save(update_fields=[*LINK_TERMS, "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.DEPENDENCY_UPDATED,
        obj=dependency,
        before=before,
        after=after,
        contract_id=successor.contract_id,
        milestone_id=successor.pk,
    )
    return dependency


@transaction.atomic
def dependency_remove(*, dependency: Dependency, actor: User) -> None:
    """Remove a link between two milestones; nothing moves back (links only ever push)."""
    successor = dependency.successor
    contract_access(user=actor, contract=successor.contract).require_manager()
    require_editable(successor.contract)
    snapshot = _link_after(dependency)
    pk = dependency.pk
    dependency.delete()
    dependency.pk = pk
    event_record(
        actor=actor,
        action=ScheduleEvent.DEPENDENCY_REMOVED,
        obj=dependency,
        before=snapshot,
        contract_id=successor.contract_id,
        milestone_id=successor.pk,
    )
    successor.refresh_from_db(fields=["schedule_conflict"])
    if successor.schedule_conflict:
        # A pinned successor may no longer conflict: ask what still pushes it.
        remaining = [link.predecessor_id for link in successor.predecessor_links.all()]
        result = recompute(
            contract=successor.contract,
            seeds=remaining,
            cause=f"link to '{snapshot['predecessor']}' removed",
            actor=actor,
        )
        if successor.pk not in result.reached:
            successor.schedule_conflict = ""
            successor.save(update_fields=["schedule_conflict", "updated_at"])
