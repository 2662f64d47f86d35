"""Microsoft Project's XML (MSPDI), read in Python with defusedxml: no Java needed."""

import re
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .model import Link, Programme, ProgrammeUnreadable, Task, clean_name, lag_days, to_date

NS = "{http://schemas.microsoft.com/project}"
# PredecessorLink/Type: 0 finish-to-finish, 1 finish-to-start, 2 start-to-finish, 3 start-to-start.
TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
# LagFormat → unit (MS Project's TimeUnit numbers); LinkLag is always in tenths of a minute.
LAG_FORMATS = {
    "3": "m", "4": "em", "5": "h", "6": "eh", "7": "d", "8": "ed", "9": "w", "10": "ew",
    "11": "mo", "12": "emo", "19": "%", "20": "e%",
    "35": "m", "36": "em", "37": "h", "38": "eh", "39": "d", "40": "ed", "41": "w", "42": "ew",
    "43": "mo", "44": "emo", "51": "%", "52": "e%",
}  # fmt: skip
DURATION = re.compile(r"PT(\d+(?:\.\d+)?)H(\d+(?:\.\d+)?)M(\d+(?:\.\d+)?)S")


def is_mspdi(data: bytes) -> bool:
    head = data[:4096]
    return b"<Project" in head and b"schemas.microsoft.com/project" in head


def _text(node: Element, name: str) -> str:
    child = node.find(NS + name)
    return (child.text or "").strip() if child is not None else ""


def _hours(value: str) -> float | None:
    match = DURATION.match(value)
    if not match:
        return None
    hours, minutes, seconds = (float(part) for part in match.groups())
    return hours + minutes / 60 + seconds / 3600


def read_mspdi(data: bytes) -> Programme:
    """Read an MSPDI file's tasks (without the project summary row), links and calendar."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise ProgrammeUnreadable(
            "The file declares XML entities or a DTD, which an import does not read."
        ) from error
    except ElementTree.ParseError as error:
        raise ProgrammeUnreadable(f"The XML cannot be read: {error}.") from error
    calendars = {
        _text(cal, "UID"): _text(cal, "Name")
        for cal in root.iterfind(f"{NS}Calendars/{NS}Calendar")
    }
    resources = {
        _text(res, "UID"): clean_name(_text(res, "Name"))
        for res in root.iterfind(f"{NS}Resources/{NS}Resource")
    }
    assigned: dict[str, list[str]] = {}
    for assignment in root.iterfind(f"{NS}Assignments/{NS}Assignment"):
        name = resources.get(_text(assignment, "ResourceUID"), "")
        if name:
            assigned.setdefault(_text(assignment, "TaskUID"), []).append(name)
    programme = Programme(
        format="MSPDI XML",
        name=clean_name(_text(root, "Title") or _text(root, "Name")),
        calendar=calendars.get(_text(root, "CalendarUID"), ""),
    )
    parents: list[str] = []
    for node in root.iterfind(f"{NS}Tasks/{NS}Task"):
        uid = _text(node, "UID")
        level = int(_text(node, "OutlineLevel") or "1")
        if _text(node, "IsNull") == "1" or level == 0 or uid == "0":
            continue
        del parents[level - 1 :]
        hours = _hours(_text(node, "Duration"))
        programme.tasks.append(
            Task(
                uid=uid,
                name=clean_name(_text(node, "Name")),
                wbs=_text(node, "WBS"),
                start=to_date(_text(node, "Start")),
                finish=to_date(_text(node, "Finish")),
                duration_days=None if hours is None else hours / 8,
                milestone=_text(node, "Milestone") == "1",
                summary=_text(node, "Summary") == "1",
                resources=assigned.get(uid, []),
                parent=parents[-1] if parents else "",
            )
        )
        parents.append(uid)
        for link in node.iterfind(f"{NS}PredecessorLink"):
            unit = LAG_FORMATS.get(_text(link, "LagFormat") or "7", "d")
            # LinkLag is in tenths of a minute whatever LagFormat says it is shown in.
            minutes = int(float(_text(link, "LinkLag") or "0")) / 10
            elapsed = unit.startswith("e")
            lag, working, exact = lag_days(minutes, "em" if elapsed else "m")
            if unit.endswith(("%", "mo")):
                exact = False
            programme.links.append(
                Link(
                    predecessor=_text(link, "PredecessorUID"),
                    successor=uid,
                    type=TYPES.get(_text(link, "Type") or "1", "FS"),
                    lag=lag,
                    working=working,
                    exact=exact,
                )
            )
    return programme
