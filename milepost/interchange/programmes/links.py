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


# (lag in days, working days?, exact?, names of the left-out tasks on the way, first to last)
Path = tuple[float, bool, bool, list[str]]


def collapse_links(programme: Programme, chosen: set[str]) -> list[KeptLink]:
    """The dependencies between the ``chosen`` tasks (by uid), in the programme's order."""
    tasks = {task.uid: task for task in programme.tasks}
    incoming: dict[str, list[Link]] = {}
    for link in programme.links:
        # A task linked to itself is a mistake in the file, not an order: the link is left out.
        if (
            link.predecessor in tasks
            and link.successor in tasks
            and link.predecessor != link.successor
        ):
            incoming.setdefault(link.successor, []).append(link)
    walker = _Walker(incoming, tasks, chosen)
    kept: dict[tuple[str, str], KeptLink] = {}
    for task in programme.tasks:
        if task.uid not in chosen:
            continue
        for found in walker.into(task.uid):
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


class _Walker:
    """The longest path from each chosen task to another through the tasks left out.

    Each left-out task is worked out once per end (start or finish) a path leaves it from, so
    the answer does not depend on the order of the links; a loop among left-out tasks is cut.
    """

    def __init__(
        self, incoming: dict[str, list[Link]], tasks: dict[str, Task], chosen: set[str]
    ) -> None:
        self.incoming, self.tasks, self.chosen = incoming, tasks, chosen
        self.memo: dict[tuple[str, str], dict[tuple[str, str], Path]] = {}
        self.open: set[tuple[str, str]] = set()

    def into(self, successor: str) -> list[KeptLink]:
        """The links into the chosen ``successor``, one per predecessor and type, longest lag."""
        best: dict[tuple[str, str], Path] = {}
        for link in self.incoming.get(successor, []):
            for (before, letter), path in self._arriving(link).items():
                key = (before, letter + link.type[1])
                if key not in best or path[0] > best[key][0]:
                    best[key] = path
        found = []
        for (before, kind), (lag, working, exact, via) in best.items():
            if before == successor:
                continue  # a loop back to the same task through tasks left out
            whole = round(lag)
            found.append(
                KeptLink(
                    predecessor=before,
                    successor=successor,
                    type=kind,
                    lag=whole,
                    working=working,
                    exact=exact and abs(lag - whole) < 1e-6,
                    via=via,
                )
            )
        return found

    def _arriving(self, link: Link) -> dict[tuple[str, str], Path]:
        """(chosen predecessor, its end) → the longest path ending with ``link``."""
        if link.predecessor in self.chosen:
            return {
                (link.predecessor, link.type[0]): (float(link.lag), link.working, link.exact, [])
            }
        out: dict[tuple[str, str], Path] = {}
        for key, (lag, working, exact, via) in self._leaving(
            link.predecessor, link.type[0]
        ).items():
            mixed = working != link.working and bool(lag) and bool(link.lag)
            out[key] = (
                lag + link.lag,
                working and link.working,
                exact and link.exact and not mixed,
                via,
            )
        return out

    def _leaving(self, uid: str, end: str) -> dict[tuple[str, str], Path]:
        """(chosen predecessor, its end) → the longest path to the ``end`` of left-out ``uid``."""
        key = (uid, end)
        if key in self.memo:
            return self.memo[key]
        if key in self.open:
            return {}  # a loop among the tasks left out: no path goes round it
        self.open.add(key)
        task = self.tasks[uid]
        best: dict[tuple[str, str], Path] = {}
        for earlier in self.incoming.get(uid, []):
            days, whole_days = _through(task, earlier.type[1], end)
            for found, (lag, working, exact, via) in self._arriving(earlier).items():
                total = lag + days
                if found not in best or total > best[found][0]:
                    best[found] = (total, working, exact and whole_days, [*via, task.name])
        self.open.discard(key)
        self.memo[key] = best
        return best
