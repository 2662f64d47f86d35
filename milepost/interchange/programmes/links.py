"""Links between the tasks chosen for import, through the tasks left out.

A link that passes through tasks not imported is collapsed onto the nearest imported
predecessor: A →(FS 2) X →(FS 3) B with X (5 working days) left out becomes A →(FS 10) B, the
lags plus X's duration. The result is exact when every lag and duration on the way is a whole
number of working days; otherwise it is rounded and flagged. Where several paths join the same
two tasks the longest lag is kept (it is the one that binds), flagged when their types differ.
"""

from dataclasses import dataclass, field

from .model import Link, Programme, Task


@dataclass
class KeptLink:
    """A Milepost dependency to create: predecessor → successor between imported tasks."""

    predecessor: str
    successor: str
    type: str
    lag: int
    working: bool
    exact: bool
    via: list[str] = field(default_factory=list)


def _through(task: Task, arrive: str, leave: str) -> tuple[float, bool]:
    """Days from the ``arrive`` end of a left-out task to its ``leave`` end (S or F)."""
    if arrive == leave:
        return 0.0, True
    days = task.duration_days or 0.0
    exact = task.duration_days is not None and abs(days - round(days)) < 1e-6
    return (days if arrive == "S" else -days), exact


def collapse_links(programme: Programme, chosen: set[str]) -> list[KeptLink]:
    """The dependencies between the ``chosen`` tasks (by uid), in the programme's order."""
    tasks = {task.uid: task for task in programme.tasks}
    incoming: dict[str, list[Link]] = {}
    for link in programme.links:
        if link.predecessor in tasks and link.successor in tasks:
            incoming.setdefault(link.successor, []).append(link)
    kept: dict[tuple[str, str], KeptLink] = {}
    for task in programme.tasks:
        if task.uid not in chosen:
            continue
        for found in _walk(task.uid, incoming, tasks, chosen):
            key = (found.predecessor, found.successor)
            other = kept.get(key)
            if other is None:
                kept[key] = found
            else:
                if other.type != found.type:
                    other.exact = False
                if found.lag > other.lag:
                    found.exact = found.exact and other.type == found.type
                    kept[key] = found
    return list(kept.values())


def _walk(
    successor: str, incoming: dict[str, list[Link]], tasks: dict[str, Task], chosen: set[str]
) -> list[KeptLink]:
    found: list[KeptLink] = []
    # (task reached, the end of it the path leaves from, successor's end, lag, working, exact, via)
    stack: list[tuple[Link, str, float, bool, bool, list[str]]] = [
        (link, link.type[1], float(link.lag), link.working, link.exact, [])
        for link in incoming.get(successor, [])
    ]
    seen: set[str] = {successor}
    while stack:
        link, end, lag, working, exact, via = stack.pop()
        before = link.predecessor
        if before in chosen:
            whole = round(lag)
            found.append(
                KeptLink(
                    predecessor=before,
                    successor=successor,
                    type=link.type[0] + end,
                    lag=whole,
                    working=working,
                    exact=exact and abs(lag - whole) < 1e-6,
                    via=via,
                )
            )
            continue
        if before in seen:
            continue
        seen.add(before)
        for earlier in incoming.get(before, []):
            days, whole_days = _through(tasks[before], earlier.type[1], link.type[0])
            mixed = earlier.working != working and bool(earlier.lag) and bool(lag)
            stack.append(
                (
                    _relinked(earlier, link),
                    end,
                    lag + days + earlier.lag,
                    working and earlier.working,
                    exact and earlier.exact and whole_days and not mixed,
                    [*via, tasks[before].name],
                )
            )
    return found


def _relinked(earlier: Link, later: Link) -> Link:
    """The composed link: ``earlier``'s predecessor and start letter, ``later``'s successor."""
    return Link(
        predecessor=earlier.predecessor,
        successor=later.successor,
        type=earlier.type[0] + later.type[1],
        lag=earlier.lag,
        working=earlier.working,
        exact=earlier.exact,
    )
