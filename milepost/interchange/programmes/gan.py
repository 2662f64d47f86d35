"""GanttProject's .gan files, read in Python: links are stored on the predecessor.

MPXJ reads only the links between top-level tasks of a .gan, so this reader is used instead.
"""

import datetime as dt
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .model import Link, Programme, ProgrammeUnreadable, Task, clean_name, to_date

# <depend type=…>: 1 start-to-start, 2 finish-to-start, 3 finish-to-finish, 4 start-to-finish.
TYPES = {"1": "SS", "2": "FS", "3": "FF", "4": "SF"}


def is_gan(data: bytes) -> bool:
    head = data[:4096]
    return b"<project" in head and (b"gantt-divider-location" in head or b"ganttproject" in head)


# The longest task taken: a hundred years of days. Longer is no plan, and is refused.
MAX_DAYS = 36_500


def _finish(start: dt.date | None, days: int) -> dt.date | None:
    """The last working day (Monday to Friday) of a task of ``days`` working days."""
    if start is None or days <= 0:
        return start
    day = start
    while day.weekday() >= 5:  # a task starting on a weekend begins on the Monday
        day += dt.timedelta(days=1)
    weeks, left = divmod(days - 1, 5)
    day += dt.timedelta(weeks=weeks)
    for _ in range(left):
        day += dt.timedelta(days=3 if day.weekday() == 4 else 1)
    return day


def _days(value: str | None, uid: str) -> int:
    """A task's duration in whole days; refused when it is no number or over ``MAX_DAYS``."""
    try:
        days = int(float(value or "0"))
    except (ValueError, OverflowError) as error:
        raise ProgrammeUnreadable(
            f"Task {uid} has a duration that is not a number ({str(value)[:20]})."
        ) from error
    if abs(days) > MAX_DAYS:
        raise ProgrammeUnreadable(
            f"Task {uid} lasts {days:,} days; an import takes tasks of at most {MAX_DAYS:,} days."
        )
    return days


def read_gan(data: bytes) -> Programme:
    """Read the tasks (nested: parents are summaries), their links and the resources."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise ProgrammeUnreadable(
            "The file declares XML entities or a DTD, which an import does not read."
        ) from error
    except ElementTree.ParseError as error:
        raise ProgrammeUnreadable(f"The XML cannot be read: {error}.") from error
    resources = {
        res.get("id", ""): clean_name(res.get("name", ""))
        for res in root.iterfind("resources/resource")
    }
    assigned: dict[str, list[str]] = {}
    for allocation in root.iterfind("allocations/allocation"):
        name = resources.get(allocation.get("resource-id", ""), "")
        if name:
            assigned.setdefault(allocation.get("task-id", ""), []).append(name)
    programme = Programme(format="GanttProject", name=clean_name(root.get("name", "")))
    tasks_node = root.find("tasks")
    if tasks_node is None:
        raise ProgrammeUnreadable("This GanttProject file has no tasks.")

    def walk(node: Element, parent: str, wbs: str) -> None:
        for number, child in enumerate(node.iterfind("task"), start=1):
            uid = child.get("id", "")
            start = to_date(child.get("start"))
            days = _days(child.get("duration"), uid)
            code = f"{wbs}.{number}" if wbs else str(number)
            programme.tasks.append(
                Task(
                    uid=uid,
                    name=clean_name(child.get("name", "")),
                    wbs=code,
                    start=start,
                    finish=_finish(start, days),
                    duration_days=float(days),
                    milestone=child.get("meeting") == "true",
                    summary=child.find("task") is not None,
                    resources=assigned.get(uid, []),
                    parent=parent,
                )
            )
            for depend in child.iterfind("depend"):
                lag = _days(depend.get("difference"), uid)
                programme.links.append(
                    Link(
                        predecessor=uid,
                        successor=depend.get("id", ""),
                        type=TYPES.get(depend.get("type", "2"), "FS"),
                        lag=lag,
                    )
                )
            walk(child, uid, code)

    walk(tasks_node, "", "")
    return programme
