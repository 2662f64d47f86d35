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


def _finish(start: dt.date | None, days: int) -> dt.date | None:
    """The last working day (Monday to Friday) of a task of ``days`` working days."""
    if start is None or days <= 0:
        return start
    day, left = start, days
    while True:
        if day.weekday() < 5:
            left -= 1
            if left == 0:
                return day
        day += dt.timedelta(days=1)


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
            days = int(float(child.get("duration") or "0"))
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
                lag = int(float(depend.get("difference") or "0"))
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
