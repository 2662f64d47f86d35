"""One programme read from any scheduling tool: its tasks, the links between them, its calendar.

Every reader (MSPDI, XER and GanttProject in Python; the rest through MPXJ in a child process)
returns a ``Programme``, so the preview and the apply never see a file format.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from milepost.core.errors import DomainError

# A working day is 8 hours and a working week 5 days, MS Project's and P6's defaults; a lag in
# months or a percentage of the predecessor's duration has no exact length in days and is flagged.
HOURS_PER_DAY = 8
DAYS_PER_WEEK = 5
DAYS_PER_MONTH = 20
LINK_TYPES = ("FS", "SS", "FF", "SF")


class ProgrammeUnreadable(DomainError):
    """A programme file that cannot be read, named for the person who uploaded it."""

    def __init__(self, message: str, code: str = "programme_unreadable") -> None:
        super().__init__(code, message, field="file")


@dataclass
class Task:
    """One task of the programme: a milestone when ``milestone`` (zero duration or flagged)."""

    uid: str
    name: str
    wbs: str = ""
    start: dt.date | None = None
    finish: dt.date | None = None
    duration_days: float | None = None
    milestone: bool = False
    summary: bool = False
    resources: list[str] = field(default_factory=list)
    parent: str = ""


@dataclass
class Link:
    """Predecessor → successor; ``lag`` in days (working days unless ``working`` is false)."""

    predecessor: str
    successor: str
    type: str = "FS"
    lag: int = 0
    working: bool = True
    exact: bool = True


@dataclass
class Programme:
    """A programme as read: what the tool saved, before anything is chosen."""

    format: str
    name: str = ""
    calendar: str = ""
    tasks: list[Task] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def milestone_count(self) -> int:
        return sum(1 for task in self.tasks if task.milestone)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for task in data["tasks"]:
            for key in ("start", "finish"):
                task[key] = task[key].isoformat() if task[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Programme":
        tasks = []
        for raw in data.get("tasks", []):
            raw = dict(raw)
            for key in ("start", "finish"):
                raw[key] = dt.date.fromisoformat(raw[key]) if raw.get(key) else None
            raw["name"] = clean_name(str(raw.get("name") or ""))
            tasks.append(Task(**raw))
        links = [Link(**raw) for raw in data.get("links", [])]
        return cls(
            format=str(data.get("format", "")),
            name=clean_name(str(data.get("name") or "")),
            calendar=str(data.get("calendar") or ""),
            tasks=tasks,
            links=links,
        )


def clean_name(name: str) -> str:
    """A task name as a person reads it: no-break and doubled spaces folded, ends trimmed."""
    return " ".join(name.replace("\u00a0", " ").split())


def lag_days(amount: float, unit: str) -> tuple[int, bool, bool]:
    """Turn a lag in a tool's unit into (days, working days?, exact?).

    ``unit`` is one of m, h, d, w, mo (working time) or em, eh, ed, ew, emo (elapsed time), or
    % / e% (a share of the predecessor's duration, never exact).
    """
    elapsed = unit.startswith("e")
    base = unit[1:] if elapsed else unit
    per_day = {"m": HOURS_PER_DAY * 60, "h": HOURS_PER_DAY, "d": 1}
    if elapsed:
        per_day = {"m": 24 * 60, "h": 24, "d": 1}
    if base in per_day:
        days = amount / per_day[base]
    elif base == "w":
        days = amount * (7 if elapsed else DAYS_PER_WEEK)
    elif base == "mo":
        return round(amount * (30 if elapsed else DAYS_PER_MONTH)), not elapsed, False
    else:
        return 0, True, amount == 0
    whole = round(days)
    return whole, not elapsed, abs(days - whole) < 1e-6


def to_date(value: Any) -> dt.date | None:
    """The date part of an ISO date or date-time ("2015-02-24T08:00", "2015-02-24 08:00")."""
    if not value:
        return None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
