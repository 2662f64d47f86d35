"""Primavera P6's XER export, read in Python: tab-separated tables (%T name, %F fields, %R rows).

A file cut short (no ``%E`` end marker, or a last row with fewer values than its fields) is
refused: MPXJ reads such a file without complaint and loses the activities after the cut.
"""

import math

from .model import HOURS_PER_DAY, Link, Programme, ProgrammeUnreadable, Task, clean_name, to_date

TYPES = {"PR_FS": "FS", "PR_SS": "SS", "PR_FF": "FF", "PR_SF": "SF"}
MILESTONE_TYPES = ("TT_Mile", "TT_FinMile")
# Level-of-effort and WBS-summary activities span others; they are summaries, not work.
SUMMARY_TYPES = ("TT_LOE", "TT_WBS")


def is_xer(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf").startswith(b"ERMHDR")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # P6 writes the Windows code page of the machine that exported the file.
        return data.decode("cp1252", errors="replace")


def read_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    """Every table of an XER file as rows of field → value; refuse a file cut short."""
    text = _decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].startswith("ERMHDR"):
        raise ProgrammeUnreadable("This is not a Primavera P6 XER file (it has no ERMHDR line).")
    tables: dict[str, list[dict[str, str]]] = {}
    name = ""
    fields: list[str] = []
    ended = False
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        tag = parts[0]
        if tag == "%T":
            name = parts[1].strip() if len(parts) > 1 else ""
            tables.setdefault(name, [])
            fields = []
        elif tag == "%F":
            fields = [part.strip() for part in parts[1:]]
        elif tag == "%R":
            if name not in tables:
                raise ProgrammeUnreadable(
                    f"Line {number} is a row outside any table (no %T line before it), so the "
                    "file cannot be read. Export the programme again."
                )
            values = parts[1:]
            if len(values) < len(fields) and number == len(lines):
                raise ProgrammeUnreadable(
                    f"The file is cut short: its last line (line {number}, in the {name} table) "
                    f"has {len(values)} of its {len(fields)} values. Export the programme again.",
                    code="programme_truncated",
                )
            tables[name].append(dict(zip(fields, values, strict=False)))
        elif tag == "%E":
            ended = True
            break
    if not ended:
        raise ProgrammeUnreadable(
            "The file is cut short: it ends before P6's end marker (%E), so activities or links "
            "may be missing. Export the programme again.",
            code="programme_truncated",
        )
    return tables


def read_xer(data: bytes) -> Programme:
    """Read the activities (not the WBS nodes), TASKPRED links and default calendar."""
    tables = read_tables(data)
    calendars = {row.get("clndr_id", ""): row for row in tables.get("CALENDAR", [])}
    wbs = {row.get("wbs_id", ""): row for row in tables.get("PROJWBS", [])}
    resources = {row.get("rsrc_id", ""): row.get("rsrc_name", "") for row in tables.get("RSRC", [])}
    assigned: dict[str, list[str]] = {}
    for row in tables.get("TASKRSRC", []):
        name = clean_name(resources.get(row.get("rsrc_id", ""), ""))
        if name:
            assigned.setdefault(row.get("task_id", ""), []).append(name)
    projects = tables.get("PROJECT", [])
    project = projects[0] if projects else {}
    calendar = calendars.get(project.get("clndr_id", ""), {})
    programme = Programme(
        format="Primavera P6 XER",
        name=clean_name(project.get("proj_short_name", "")),
        calendar=clean_name(calendar.get("clndr_name", "")),
    )
    # A file of several projects may reuse activity ids: each is then named by its project.
    several = len(projects) > 1
    short_names = {p.get("proj_id", ""): p.get("proj_short_name", "").strip() for p in projects}
    codes: dict[str, str] = {}
    for row in tables.get("TASK", []):
        task_id = row.get("task_id", "")
        code = row.get("task_code", "").strip() or task_id
        if several:
            code = f"{short_names.get(row.get('proj_id', ''), '') or row.get('proj_id', '')}/{code}"
        codes[task_id] = code
        hours_per_day = _hours_per_day(calendars.get(row.get("clndr_id", ""), {}))
        hours = _float(row.get("target_drtn_hr_cnt"))
        node = wbs.get(row.get("wbs_id", ""), {})
        kind = row.get("task_type", "")
        programme.tasks.append(
            Task(
                uid=code,
                name=clean_name(row.get("task_name", "")),
                wbs=clean_name(node.get("wbs_short_name", "")),
                start=to_date(
                    row.get("act_start_date")
                    or row.get("early_start_date")
                    or row.get("target_start_date")
                ),
                finish=to_date(
                    row.get("act_end_date")
                    or row.get("early_end_date")
                    or row.get("target_end_date")
                ),
                duration_days=None if hours is None else hours / hours_per_day,
                milestone=kind in MILESTONE_TYPES,
                summary=kind in SUMMARY_TYPES,
                resources=assigned.get(task_id, []),
            )
        )
    for row in tables.get("TASKPRED", []):
        hours = _float(row.get("lag_hr_cnt")) or 0.0
        days = hours / HOURS_PER_DAY
        predecessor = codes.get(row.get("pred_task_id", ""))
        successor = codes.get(row.get("task_id", ""))
        if predecessor is None or successor is None:
            continue  # a link to another project's activity
        programme.links.append(
            Link(
                predecessor=predecessor,
                successor=successor,
                type=TYPES.get(row.get("pred_type", ""), "FS"),
                lag=round(days),
                exact=abs(days - round(days)) < 1e-6,
            )
        )
    return programme


def _float(value: str | None) -> float | None:
    """A number as P6 writes it, or ``None`` for none, text, infinity or not-a-number."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _hours_per_day(calendar: dict[str, str]) -> float:
    return _float(calendar.get("day_hr_cnt")) or HOURS_PER_DAY
