"""Dependency-aware scheduling: due dates, relative dates, pins, plans, and recomputation.

A change to a date (a reschedule, an approved change request, a milestone met, a new link or
anchor) recomputes only what follows it, in the same transaction, and writes one event per
milestone it moved, naming the cause. ``graph`` does the arithmetic; this module loads the
graph, saves what moved, and holds the services for due dates, anchors, pins and plans. It knows
nothing of a milestone's status or its records: the services above it (``services``,
``changes``, ``dependencies``, ``calendar``) call it, never the other way round.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_calendar
from milepost.contracts.services import contract_require_open
from milepost.core.dates import (
    MILESTONE_MARGIN_YEARS,
    milestone_date_range,
    validate_milestone_date,
)
from milepost.core.errors import DomainError, Forbidden
from milepost.core.workdays import Calendar

from .choices import OPEN_STATUSES, AnchorEvent
from .events import ScheduleEvent
from .graph import LINK_COLUMNS, NODE_COLUMNS, Graph
from .graph.propagation import Propagation, propagate
from .models import Dependency, Milestone

# No lag, offset or estimate beyond about four years of working days.
MAX_LAG = 1000
ANCHOR_FIELDS = ("anchor", "anchor_event", "anchor_offset", "anchor_working_days")
PLAN_FIELDS = ("start_date", "estimate_optimistic", "estimate_likely", "estimate_pessimistic")


class Unset:
    """Marks an argument the caller left out, where None means "clear it"."""


UNSET = Unset()


@dataclass(frozen=True)
class ContractGraph:
    """A contract's milestones and links as a ``Graph``, with its working-day calendar."""

    contract: Contract
    graph: Graph
    calendar: Calendar


def contract_graph(*, contract: Contract) -> ContractGraph:
    """Load a contract's whole dependency graph in three queries."""
    graph = Graph.from_rows(
        Milestone.objects.filter(contract=contract).values_list(*NODE_COLUMNS),
        Dependency.objects.filter(successor__contract=contract).values_list(*LINK_COLUMNS),
    )
    return ContractGraph(contract, graph, contract_calendar(contract=contract))


def require_editable(contract: Contract) -> None:
    """Refuse changes to a completed or terminated contract's milestones."""
    contract_require_open(contract, frozen="its milestones")


def recompute(
    *,
    contract: Contract,
    seeds: Iterable[int],
    cause: str,
    actor: User | None,
    loaded: ContractGraph | None = None,
    anchors_only: bool = False,
) -> Propagation:
    """Move what follows ``seeds`` (already saved), in this transaction, one event per move.

    With ``anchors_only``, only relative dates follow (links are left out): a milestone met
    late moves the dates counted from it, but not the agreed dates of what it links to; the
    forecast shows what that late finish means for them.

    Pinned milestones that would be pushed keep their date and get a conflict note; notes on
    milestones the change reached and no longer conflict are cleared.
    """
    loaded = loaded or contract_graph(contract=contract)
    if anchors_only:
        loaded = ContractGraph(
            loaded.contract, Graph(loaded.graph.nodes.values(), []), loaded.calendar
        )
    result = propagate(loaded.graph, loaded.calendar, seeds)
    _save(loaded, result, cause=cause, actor=actor)
    return result


def _save(loaded: ContractGraph, result: Propagation, *, cause: str, actor: User | None) -> None:
    touched = set(result.moves) | set(result.conflicts) | set(result.bases) | result.reached
    if not touched:
        return
    rows = {m.pk: m for m in Milestone.objects.filter(pk__in=touched).select_for_update()}
    changed: dict[int, set[str]] = defaultdict(set)
    earliest, latest = milestone_date_range(loaded.contract.start_date, loaded.contract.end_date)
    for pk, move in result.moves.items():
        row = rows[pk]
        if not earliest <= move.new_due <= latest:
            # A chain of lags or a relative date pushed a milestone out of the contract's range.
            raise DomainError(
                "date_out_of_range",
                f"This would move '{row.title}' to {move.new_due.isoformat()}, out of range: "
                f"its dates run from {earliest.isoformat()} to {latest.isoformat()} (the "
                f"contract's term with {MILESTONE_MARGIN_YEARS} years either side).",
                field="due_date",
            )
        row.due_date, row.start_date = move.new_due, move.new_start
        changed[pk] |= {"due_date", "start_date"}
    for pk in result.reached:
        row = rows[pk]
        conflict = result.conflicts.get(pk, "")[:300]
        if row.schedule_conflict != conflict:
            row.schedule_conflict = conflict
            changed[pk].add("schedule_conflict")
        basis = result.bases.get(pk)
        if basis is not None and row.date_basis != basis[:300]:
            row.date_basis = basis[:300]
            changed[pk].add("date_basis")
    if not changed:
        return
    fields = sorted(set().union(*changed.values()))
    Milestone.objects.bulk_update([rows[pk] for pk in changed], [*fields, "updated_at"])
    graph = loaded.graph
    for pk in sorted(result.moves, key=lambda pk: (result.moves[pk].new_due, pk)):
        move = result.moves[pk]
        driver = graph.nodes[move.cause].title if move.cause is not None else ""
        event_record(
            actor=actor,
            action=ScheduleEvent.MILESTONE_RESCHEDULED,
            obj=rows[pk],
            before={"due_date": move.old_due, "start_date": move.old_start},
            after={
                "due_date": move.new_due,
                "start_date": move.new_start,
                "baseline_due_date": rows[pk].baseline_due_date,
                "reason": f"Follows '{driver}': {cause}" if driver else cause,
                "cause": cause,
                "driven_by": driver,
                "basis": move.basis,
            },
        )
    for pk, message in result.conflicts.items():
        if "schedule_conflict" in changed.get(pk, ()):
            event_record(
                actor=actor,
                action=ScheduleEvent.MILESTONE_SCHEDULE_CONFLICT,
                obj=rows[pk],
                after={"conflict": message, "cause": cause},
            )


def check_link_cycle(loaded: ContractGraph, before: int, after: int) -> None:
    """Refuse a link or anchor from ``before`` to ``after`` that would close a cycle."""
    cycle = loaded.graph.path(after, before)
    if cycle is not None:
        names = " → ".join(loaded.graph.nodes[pk].title for pk in [*cycle, after])
        raise DomainError(
            "dependency_cycle", f"This link would close a cycle: {names}.", field="predecessor"
        )


def _require_open(milestone: Milestone, field: str) -> None:
    if milestone.status not in OPEN_STATUSES:
        raise DomainError(
            "milestone_closed", "Only an open milestone's dates can change.", field=field
        )


@transaction.atomic
def milestone_anchor_set(
    *,
    milestone: Milestone,
    anchor: Milestone | None,
    actor: User,
    event: str = AnchorEvent.MET,
    offset: int = 0,
    working_days: bool = False,
) -> Milestone:
    """Make a due date relative to another milestone (or fixed again, with ``anchor=None``).

    The date is worked out at once and again whenever the anchor moves or is met.
    """
    contract = milestone.contract
    contract_access(user=actor, contract=contract).require_manager()
    require_editable(contract)
    _require_open(milestone, "anchor")
    before = _anchor_snapshot(milestone)
    if anchor is None:
        if milestone.anchor_id is None:
            return milestone
        milestone.anchor, milestone.anchor_event = None, ""
        milestone.anchor_offset, milestone.anchor_working_days = 0, False
        milestone.date_basis = ""
        milestone.save(update_fields=[*ANCHOR_FIELDS, "date_basis", "updated_at"])
        event_record(
            actor=actor,
            action=ScheduleEvent.MILESTONE_ANCHOR_CLEARED,
            obj=milestone,
            before=before,
            after=_anchor_snapshot(milestone),
        )
        return milestone
    if anchor.contract_id != milestone.contract_id:
        raise DomainError(
            "cross_contract", "The anchor must belong to the same contract.", field="anchor"
        )
    if anchor.pk == milestone.pk:
        raise DomainError("self_anchor", "A milestone cannot follow itself.", field="anchor")
    if event not in AnchorEvent.values:
        raise DomainError(
            "invalid_anchor_event",
            "Count from the anchor's met date or its due date.",
            field="event",
        )
    if not -MAX_LAG <= offset <= MAX_LAG:
        raise DomainError(
            "invalid_offset",
            f"The offset is between -{MAX_LAG} and {MAX_LAG} days.",
            field="offset",
        )
    if milestone.pinned:
        raise DomainError(
            "milestone_pinned",
            "A pinned date is fixed by the contract; unpin it before making it relative.",
            field="anchor",
        )
    loaded = contract_graph(contract=contract)
    check_link_cycle(loaded, anchor.pk, milestone.pk)
    milestone.anchor, milestone.anchor_event = anchor, event
    milestone.anchor_offset, milestone.anchor_working_days = offset, working_days
    milestone.save(update_fields=[*ANCHOR_FIELDS, "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.MILESTONE_ANCHOR_SET,
        obj=milestone,
        before=before,
        after=_anchor_snapshot(milestone),
    )
    recompute(contract=contract, seeds=[anchor.pk], cause="due date made relative", actor=actor)
    milestone.refresh_from_db()
    _check_after_start(milestone)
    return milestone


def _check_after_start(milestone: Milestone) -> None:
    if milestone.due_date < milestone.contract.start_date:
        raise DomainError(
            "due_before_start",
            f"That puts the due date ({milestone.due_date}) before the contract starts.",
            field="offset",
        )


def _anchor_snapshot(milestone: Milestone) -> dict[str, Any]:
    return {
        "anchor": milestone.anchor.title if milestone.anchor else None,
        "event": milestone.anchor_event,
        "offset": milestone.anchor_offset,
        "working_days": milestone.anchor_working_days,
    }


@transaction.atomic
def milestone_pin(*, milestone: Milestone, pinned: bool, actor: User) -> Milestone:
    """Pin a date the contract fixes (it then never moves) or release it."""
    contract = milestone.contract
    contract_access(user=actor, contract=contract).require_manager()
    require_editable(contract)
    _require_open(milestone, "pinned")
    if milestone.pinned == pinned:
        return milestone
    if pinned and milestone.anchor_id is not None:
        raise DomainError(
            "date_is_relative",
            "A relative date follows its anchor; make it fixed before pinning it.",
            field="pinned",
        )
    milestone.pinned = pinned
    fields = ["pinned", "updated_at"]
    if not pinned and milestone.schedule_conflict:
        milestone.schedule_conflict = ""
        fields.append("schedule_conflict")
    milestone.save(update_fields=fields)
    event_record(
        actor=actor,
        action=ScheduleEvent.MILESTONE_PINNED if pinned else ScheduleEvent.MILESTONE_UNPINNED,
        obj=milestone,
        before={"pinned": not pinned},
        after={"pinned": pinned, "due_date": milestone.due_date},
    )
    if not pinned:
        # Released, it now takes the push its predecessors were asking for.
        recompute(
            contract=contract,
            seeds=[link.predecessor_id for link in milestone.predecessor_links.all()],
            cause=f"'{milestone.title}' unpinned",
            actor=actor,
        )
        milestone.refresh_from_db()
    return milestone


@transaction.atomic
def milestone_plan_set(
    *,
    milestone: Milestone,
    actor: User,
    start_date: dt.date | Unset | None = UNSET,
    estimate: tuple[int, int, int] | Unset | None = UNSET,
) -> Milestone:
    """Set when work towards a milestone starts and its three-point estimate (working days)."""
    contract = milestone.contract
    access = contract_access(user=actor, contract=contract)
    access.require_contributor()
    if milestone.owner_id != actor.pk and not access.can_manage:
        raise Forbidden("Only the milestone's owner or a manager may plan it.", code="not_owner")
    require_editable(contract)
    _require_open(milestone, "start_date")
    before = _plan_snapshot(milestone)
    if not isinstance(start_date, Unset):
        if start_date is not None and start_date > milestone.due_date:
            raise DomainError(
                "start_after_due", "Work cannot start after the due date.", field="start_date"
            )
        if start_date is not None and start_date < contract.start_date:
            raise DomainError(
                "start_before_contract",
                f"Work cannot start before the contract does ({contract.start_date}).",
                field="start_date",
            )
        milestone.start_date = start_date
    if not isinstance(estimate, Unset):
        if estimate is not None:
            low, likely, high = estimate
            if min(estimate) < 0 or not low <= likely <= high:
                raise DomainError(
                    "invalid_estimate",
                    "A three-point estimate is optimistic ≤ most likely ≤ pessimistic, in "
                    "working days from 0.",
                    field="estimate_likely",
                )
            if high > MAX_LAG:
                raise DomainError(
                    "invalid_estimate",
                    f"An estimate is at most {MAX_LAG} working days.",
                    field="estimate_pessimistic",
                )
        (
            milestone.estimate_optimistic,
            milestone.estimate_likely,
            milestone.estimate_pessimistic,
        ) = estimate or (None, None, None)
    after = _plan_snapshot(milestone)
    if after == before:
        return milestone
    changed = [k for k in PLAN_FIELDS if before[k] != after[k]]
    milestone.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.MILESTONE_PLANNED,
        obj=milestone,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    if "start_date" in changed:
        recompute(
            contract=contract,
            seeds=[milestone.pk],
            cause=f"'{milestone.title}' start changed",
            actor=actor,
        )
    return milestone


def _plan_snapshot(milestone: Milestone) -> dict[str, Any]:
    return {name: getattr(milestone, name) for name in PLAN_FIELDS}


def recompute_all(*, contract: Contract, cause: str, actor: User | None) -> Propagation:
    """Recompute every date that follows another, as after a change to the working days."""
    loaded = contract_graph(contract=contract)
    graph = loaded.graph
    roots = [
        pk for pk in graph.nodes if not graph.incoming.get(pk) and graph.nodes[pk].anchor is None
    ]
    return recompute(contract=contract, seeds=roots, cause=cause, actor=actor, loaded=loaded)


def check_milestone_date(day: dt.date | None, contract: Contract, field: str = "due_date") -> None:
    """Refuse a milestone date outside its contract's term plus the margin (README, "Dates")."""
    validate_milestone_date(day, field=field, start=contract.start_date, end=contract.end_date)


def apply_due_date(
    *, milestone: Milestone, due_date: dt.date, reason: str, actor: User, cause: str = ""
) -> None:
    """Save a new due date (start moves with it), record it, and move what follows.

    A baseline date out of range (an old row saved before dates were checked) cannot be a
    plan anyone agreed to: it is reset to the new date, and the event says so.
    """
    contract = milestone.contract
    check_milestone_date(due_date, contract)
    before: dict[str, Any] = {"due_date": milestone.due_date}
    moved_start: dict[str, Any] = {}
    if milestone.start_date is not None:
        before["start_date"] = milestone.start_date
        # An old row's start may be as far out as its due date: keep it no later than the new one.
        earliest, _ = milestone_date_range(contract.start_date, contract.end_date)
        try:
            start = milestone.start_date + (due_date - milestone.due_date)
        except OverflowError:
            start = due_date
        milestone.start_date = min(max(start, earliest), due_date)
        moved_start["start_date"] = milestone.start_date
    fields = ["due_date", "start_date", "schedule_conflict", "updated_at"]
    baseline_reset: dict[str, Any] = {}
    earliest, latest = milestone_date_range(contract.start_date, contract.end_date)
    if not earliest <= milestone.baseline_due_date <= latest:
        before["baseline_due_date"] = milestone.baseline_due_date
        milestone.baseline_due_date = due_date
        baseline_reset = {
            "baseline_reset": (
                f"The baseline date {before['baseline_due_date']} was out of range and is "
                f"reset to {due_date}."
            )
        }
        fields.append("baseline_due_date")
    milestone.due_date = due_date
    milestone.schedule_conflict = ""
    milestone.save(update_fields=fields)
    event_record(
        actor=actor,
        action=ScheduleEvent.MILESTONE_RESCHEDULED,
        obj=milestone,
        before=before,
        after={
            "due_date": due_date,
            **moved_start,
            "baseline_due_date": milestone.baseline_due_date,
            "reason": reason,
            **({"cause": cause} if cause else {}),
            **baseline_reset,
        },
    )
    recompute(
        contract=milestone.contract,
        seeds=[milestone.pk],
        cause=f"'{milestone.title}' moved: {reason}",
        actor=actor,
    )
