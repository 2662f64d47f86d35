"""What importing a programme into a contract would do, worked out without writing anything.

The preview and the apply share this: which tasks are offered and chosen, the party and owner
each would get (from the defaults, or a mapping of resources or top-level WBS codes), what an
existing milestone with the task's reference would become (moved, renamed, unchanged), the
links kept between the chosen tasks, and every problem, named by task.

Decisions (docs/programmes.md): a task is a milestone when the tool marks it one or it has zero
duration; milestones that are not summary tasks are chosen by default. Summary milestones
(MS Project lets a summary row be flagged a milestone; it rolls up its children) are offered
but not chosen. Any other task may be chosen too: it is taken as a deliverable due on its
finish date. Every imported task becomes a deliverable milestone whose reference is the task's
id in the programme (MS Project's unique id, P6's activity id), which is how a re-import finds it.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess
from milepost.core.dates import milestone_date_range, validate_milestone_date
from milepost.core.errors import DomainError
from milepost.core.text import TITLE_MAX
from milepost.schedule.choices import OPEN_STATUSES, ChangeStatus
from milepost.schedule.graph.propagation import propagate
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.planning import MAX_LAG, ContractGraph, contract_graph
from milepost.schedule.services import may_reschedule_directly

from .links import KeptLink, collapse_links
from .model import Programme, Task

REFERENCE_MAX = 64


def day_text(day: dt.date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else "no date"


def is_milestone(task: Task) -> bool:
    return task.milestone or (task.duration_days == 0 and not task.summary)


def chosen_by_default(task: Task) -> bool:
    return is_milestone(task) and not task.summary


def due_of(task: Task) -> dt.date | None:
    """A milestone is due on its date; any other task when it finishes."""
    return task.finish or task.start


@dataclass
class Choice:
    """What the person chose on the preview; every id checked against the contract."""

    tasks: set[str]
    responsible_party: Party
    accepting_party: Party
    owner: User
    # resource name or "wbs:CODE" → (party, owner)
    mapping: dict[str, tuple[Party | None, User | None]]


def _top_wbs(task: Task) -> str:
    return task.wbs.split(".")[0] if task.wbs else ""


def mapped(task: Task, choice: Choice) -> tuple[Party, User]:
    party, owner = choice.responsible_party, choice.owner
    keys = [*task.resources, f"wbs:{_top_wbs(task)}"] if task.wbs else list(task.resources)
    for key in keys:
        found = choice.mapping.get(key)
        if found:
            mapped_party, mapped_owner = found
            if mapped_party is not None:
                party = mapped_party
            if mapped_owner is not None:
                owner = mapped_owner
            break
    return party, owner


def default_parties(
    contract: Contract, access: ContractAccess
) -> tuple[Party | None, Party | None]:
    """The importer's own party (a supplier first) and the one that accepts (a client first)."""
    parties = list(contract.parties.select_related("organisation").order_by("id"))
    order: list[str] = [
        PartyRole.SUPPLIER,
        PartyRole.SUBCONTRACTOR,
        PartyRole.CONSULTANT,
        PartyRole.CLIENT,
    ]
    own = sorted(
        (p for p in parties if access.acts_for(p.pk, Role.MANAGER)),
        key=lambda p: order.index(p.role) if p.role in order else len(order),
    )
    responsible = own[0] if own else None
    others = [p for p in parties if responsible is None or p.pk != responsible.pk]
    others.sort(key=lambda p: 0 if p.role == PartyRole.CLIENT else 1)
    accepting = next((p for p in others if p.role != PartyRole.OBSERVER), None)
    return responsible, accepting


def build_plan(
    *, programme: Programme, contract: Contract, access: ContractAccess, choice: Choice
) -> dict[str, Any]:
    """Work out the import row by row; nothing is written. ``errors`` empty means it applies."""
    uids = [task.uid for task in programme.tasks]
    existing = {
        m.reference: m
        for m in Milestone.objects.filter(contract=contract, reference__in=uids).select_related(
            "responsible_party__organisation", "contract", "anchor"
        )
    }
    pending = set(
        Milestone.objects.filter(
            contract=contract,
            reference__in=uids,
            change_requests__status=ChangeStatus.PENDING,
        ).values_list("reference", flat=True)
    )
    members = _members(contract)
    same_id = Counter(uids)
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    counts = {
        "milestones_created": 0,
        "milestones_updated": 0,
        "milestones_unchanged": 0,
        "rescheduled": 0,
        "change_requests": 0,
    }
    for task in programme.tasks:
        chosen = task.uid in choice.tasks
        due = due_of(task)
        row: dict[str, Any] = {
            "uid": task.uid,
            "name": task.name or f"Task {task.uid}",
            "wbs": task.wbs,
            "resources": task.resources,
            "milestone": is_milestone(task),
            "summary": task.summary,
            "due": due.isoformat() if due else None,
            "due_text": day_text(due),
            "chosen": chosen,
            "status": "",
            "problem": "",
        }
        rows.append(row)
        if not chosen:
            continue
        party, owner = mapped(task, choice)
        row["party"] = str(party.organisation)
        row["owner"] = owner.get_full_name() or owner.username
        problem = _date_problem(task, due, contract)
        if same_id[task.uid] > 1:
            problem = (
                f"{same_id[task.uid]} tasks of the programme have this id, so a milestone could "
                "not be told from the others; give each task its own id in the scheduling tool."
            )
        current = existing.get(task.uid[:REFERENCE_MAX])
        if current is not None:
            # An existing milestone keeps its party and owner; only its date and name follow.
            row["existing_id"] = current.pk
            _compare(row, task, due, current, access, task.uid in pending, counts)
        else:
            problem = problem or _people_problem(party, owner, choice, members)
            row["status"] = "new"
            counts["milestones_created"] += 1
        if problem:
            row["problem"] = problem
            errors.append(f"{row['name']} (task {task.uid}): {problem}")
    kept = collapse_links(programme, choice.tasks)
    names = {task.uid: task.name or f"Task {task.uid}" for task in programme.tasks}
    have = _existing_links(contract, existing)
    links = [_link_row(link, names, have) for link in kept]
    counts["dependencies"] = sum(1 for link in links if not link["exists"])
    counts["dependencies_updated"] = sum(1 for link in links if link["changed_from"])
    # The contract's links and relative dates matter only where a task is a milestone already.
    loaded = contract_graph(contract=contract) if existing else None
    errors.extend(_link_problems(links, existing, loaded))
    knock_on, reschedules = _knock_on(rows, existing, loaded, contract, counts, errors)
    return {
        "rows": rows,
        "links": links,
        "errors": errors,
        "counts": counts,
        "chosen": len(choice.tasks),
        "knock_on": knock_on,
        "reschedules": reschedules,
    }


def _link_problems(
    links: list[dict[str, Any]], existing: dict[str, Milestone], loaded: ContractGraph | None
) -> list[str]:
    """Links dependency_add would refuse: a lag over ``MAX_LAG``, or one that closes a loop."""
    problems = []
    for link in links:
        if (not link["exists"] or link["changed_from"]) and abs(link["lag"]) > MAX_LAG:
            link["problem"] = (
                f"its lag of {link['lag']:,} days is more than the {MAX_LAG:,} days a link may have."
            )
            problems.append(
                f"The link from {link['predecessor_name']} to {link['successor_name']}: "
                f"{link['problem']}"
            )
    # The contract's links and relative dates (by milestone id) and the new links (by task id).
    following: dict[int | str, list[int | str]] = {}
    titles: dict[int | str, str] = {}
    if loaded is not None:
        for pk, milestone in loaded.graph.nodes.items():
            following[pk] = list(loaded.graph.after(pk))
            titles[pk] = milestone.title

    def node(uid: str) -> int | str:
        found = existing.get(uid[:REFERENCE_MAX])
        return found.pk if found is not None else uid

    for link in links:
        if not link["exists"]:
            before, after = node(link["predecessor"]), node(link["successor"])
            following.setdefault(before, []).append(after)
            titles.setdefault(before, link["predecessor_name"])
            titles.setdefault(after, link["successor_name"])
    cycle = _find_cycle(following)
    if cycle:
        names = " → ".join(titles.get(step, str(step)) for step in cycle)
        problems.append(
            f"The programme's links would close a loop ({names}): a milestone cannot come after "
            "itself. Remove one of these links in the scheduling tool, or leave a task out."
        )
    return problems


def _find_cycle(following: dict[Any, list[Any]]) -> list[Any]:
    """A loop in ``following`` (its first node repeated last), or an empty list."""
    state: dict[Any, int] = {}  # 1 on the current path, 2 done
    for root in list(following):
        if root in state:
            continue
        path: list[Any] = [root]
        stack = [iter(following.get(root, ()))]
        state[root] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(step) == 1:
                return [*path[path.index(step) :], step]
            if step not in state:
                state[step] = 1
                path.append(step)
                stack.append(iter(following.get(step, ())))
    return []


def _knock_on(
    rows: list[dict[str, Any]],
    existing: dict[str, Milestone],
    loaded: ContractGraph | None,
    contract: Contract,
    counts: dict[str, int],
    errors: list[str],
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """What the reschedules move through the contract's links, done as the apply does them.

    The apply reschedules one milestone at a time, in dependency order, each moving what
    follows it; this plays the same moves on the contract's graph, so the preview's dates are
    the dates after the apply. Returns the other milestones moved and the reschedules in order.
    """
    counts.setdefault("moved_by_links", 0)
    by_pk = {row["existing_id"]: row for row in rows if row.get("existing_id")}
    targets = {
        row["existing_id"]: dt.date.fromisoformat(row["due"])
        for row in rows
        if row.get("how") == "rescheduled" and not row["problem"]
    }
    if not targets or loaded is None:
        return [], [(pk, day.isoformat()) for pk, day in targets.items()]
    graph = loaded.graph
    earliest, latest = milestone_date_range(contract.start_date, contract.end_date)
    # Last first: a milestone is moved before what it follows, so a revision that keeps its
    # links moves each milestone once; a move the links still push later shows as pushed.
    order = [pk for pk in reversed(graph.order()) if pk in targets]
    order += [pk for pk in targets if pk not in graph.nodes]
    dues: dict[int, dt.date] = {}
    starts: dict[int, dt.date | None] = {}
    causes: dict[int, int] = {}
    done: list[tuple[int, str]] = []
    for pk in order:
        target = targets[pk]
        node = graph.nodes.get(pk)
        if node is None or (dues.get(pk) or node.due) == target:
            continue
        current = dues.get(pk) or node.due
        start = starts.get(pk, node.start)
        if start is not None:
            start = min(max(start + (target - current), earliest), target)
        dues[pk], starts[pk] = target, start
        done.append((pk, target.isoformat()))
        for move in propagate(
            graph, loaded.calendar, [pk], dues=dues, starts=starts
        ).moves.values():
            dues[move.id], starts[move.id] = move.new_due, move.new_start
            causes[move.id] = pk
    others: list[dict[str, str]] = []
    for pk, day in dues.items():
        node = graph.nodes[pk]
        if pk in targets:
            if day != targets[pk] and pk in by_pk:
                row = by_pk[pk]
                note = (
                    f"The programme says {day_text(targets[pk])}, but it follows "
                    f"'{graph.nodes[causes[pk]].title}', which moves."
                )
                row.update(due=day.isoformat(), due_text=day_text(day))
                row["note"] = f"{row.get('note', '')} {note}".strip()
            continue
        if day == node.due:
            continue
        driver = graph.nodes[causes[pk]].title
        if not earliest <= day <= latest:
            errors.append(
                f"{node.title} would move to {day_text(day)} with the links from '{driver}', "
                "outside the dates the contract allows."
            )
        counts["moved_by_links"] += 1
        found = by_pk.get(pk)
        if found is None:
            others.append(
                {"title": node.title, "old_due_text": day_text(node.due), "due_text": day_text(day),
                 "driven_by": driver}
            )  # fmt: skip
            continue
        row, note = found, f"It follows '{driver}', which moves."
        if row["status"] == "moved":  # a change request, proposed from the date it is pushed to
            row["note"] = f"{row.get('note', '')} It first moves to {day_text(day)}: {note}".strip()
            continue
        if row["status"] == "unchanged":
            counts["milestones_unchanged"] -= 1
        row.update(status="moved", how="follows", due=day.isoformat(), due_text=day_text(day))
        row["note"] = f"{row.get('note', '')} {note}".strip()
    return others, done


def _members(contract: Contract) -> dict[int, dict[int, str]]:
    found: dict[int, dict[int, str]] = {}
    for org, user, role in Membership.objects.filter(
        organisation__parties__contract=contract
    ).values_list("organisation_id", "user_id", "role"):
        found.setdefault(org, {})[user] = role
    return found


def _date_problem(task: Task, due: dt.date | None, contract: Contract) -> str:
    if due is None:
        return "the task has no date in the programme."
    if due < contract.start_date:
        return (
            f"due {day_text(due)}, before the contract starts on {day_text(contract.start_date)}."
        )
    try:
        validate_milestone_date(
            due, field="due_date", start=contract.start_date, end=contract.end_date
        )
    except DomainError as error:
        return f"due {day_text(due)}: {error.message}"
    if len(task.uid) > REFERENCE_MAX:
        return f"its id is longer than {REFERENCE_MAX} characters."
    return ""


def _people_problem(
    party: Party, owner: User, choice: Choice, members: dict[int, dict[int, str]]
) -> str:
    role = members.get(party.organisation_id, {}).get(owner.pk)
    if role is None or role == Role.VIEWER:
        return f"{owner.get_full_name() or owner.username} is not a member of {party.organisation}."
    if choice.accepting_party.pk == party.pk:
        return f"{party.organisation} would both deliver and accept it; choose another accepting party."
    return ""


def _compare(
    row: dict[str, Any],
    task: Task,
    due: dt.date | None,
    current: Milestone,
    access: ContractAccess,
    pending: bool,
    counts: dict[str, int],
) -> None:
    """An existing milestone with this task's reference: what the new programme changes."""
    row["old_due_text"] = day_text(current.due_date)
    name = (task.name or f"Task {task.uid}")[:TITLE_MAX]
    renamed = name != current.title
    row["renamed_from"] = current.title if renamed else ""
    if due is None or due == current.due_date or current.status not in OPEN_STATUSES:
        row["status"] = "renamed" if renamed else "unchanged"
        if current.status not in OPEN_STATUSES and due and due != current.due_date:
            row["note"] = "Not moved: this milestone is closed."
        counts["milestones_updated" if renamed else "milestones_unchanged"] += 1
        return
    if pending:
        row["status"] = "renamed" if renamed else "unchanged"
        row["note"] = "Not moved: a change request for it is already waiting for a decision."
        counts["milestones_updated" if renamed else "milestones_unchanged"] += 1
        return
    if may_reschedule_directly(current, access):
        row["status"] = "moved"
        row["how"] = "rescheduled"
        counts["rescheduled"] += 1
    elif current.anchor_id is not None:
        row["status"] = "renamed" if renamed else "unchanged"
        row["note"] = f"Not moved: its date follows '{current.anchor}'."
        counts["milestones_updated" if renamed else "milestones_unchanged"] += 1
        return
    else:
        row["status"] = "moved"
        row["how"] = "change request"
        if current.pinned:
            row["note"] = "Its date is pinned, so the move is proposed as a change request."
        counts["change_requests"] += 1
    if renamed:
        counts["milestones_updated"] += 1


def _existing_links(
    contract: Contract, existing: dict[str, Milestone]
) -> dict[tuple[str, str], tuple[int, str, int, bool]]:
    """(predecessor ref, successor ref) → (link id, type, lag, working days?) already saved."""
    by_pk = {m.pk: ref for ref, m in existing.items()}
    return {
        (by_pk[p], by_pk[s]): (pk, kind, lag, working)
        for pk, p, s, kind, lag, working in Dependency.objects.filter(
            successor__contract=contract, successor__in=list(by_pk)
        ).values_list("pk", "predecessor_id", "successor_id", "type", "lag", "working_days")
        if p in by_pk and s in by_pk
    }


def _terms(kind: str, lag: int, working: bool) -> str:
    unit = "working day" if working else "day"
    return f"{kind} {lag} {unit}{'' if abs(lag) == 1 else 's'}"


def _link_row(
    link: KeptLink,
    names: dict[str, str],
    have: dict[tuple[str, str], tuple[int, str, int, bool]],
) -> dict[str, Any]:
    saved = have.get((link.predecessor, link.successor))
    changed = saved is not None and saved[1:] != (link.type, link.lag, link.working)
    return {
        "predecessor": link.predecessor,
        "successor": link.successor,
        "predecessor_name": names.get(link.predecessor, link.predecessor),
        "successor_name": names.get(link.successor, link.successor),
        "type": link.type,
        "lag": link.lag,
        "working": link.working,
        "exact": link.exact,
        "via": link.via,
        "exists": saved is not None,
        # A link saved before whose type or lag the programme now changes: updated on apply.
        "dependency_id": saved[0] if saved is not None else None,
        "changed_from": _terms(*saved[1:]) if saved is not None and changed else "",
    }
