"""Read a programme file with MPXJ and print it as JSON: run as a child process only.

``python -m milepost.interchange.programmes.mpxj_reader FILE`` starts a Java VM (JPype), reads
FILE with MPXJ's UniversalProjectReader and prints a ``Programme`` as JSON on stdout. The web
process never hosts the JVM: ``reading.read_with_mpxj`` runs this with a time limit.
"""

import json
import resource
import sys
import tempfile
from typing import Any

# MPXJ's TimeUnit names → the units of ``model.lag_days``.
UNITS = {
    "MINUTES": "m", "HOURS": "h", "DAYS": "d", "WEEKS": "w", "MONTHS": "mo",
    "ELAPSED_MINUTES": "em", "ELAPSED_HOURS": "eh", "ELAPSED_DAYS": "ed", "ELAPSED_WEEKS": "ew",
    "ELAPSED_MONTHS": "emo", "PERCENT": "%", "ELAPSED_PERCENT": "e%",
}  # fmt: skip


def _date(value: Any) -> str | None:
    return str(value)[:10] if value is not None else None


def _days(duration: Any) -> float | None:
    if duration is None:
        return None
    unit = UNITS.get(str(duration.getUnits().name()), "d")
    amount = float(duration.getDuration())
    return {"m": amount / 480, "h": amount / 8, "w": amount * 5, "mo": amount * 20}.get(
        unit, amount
    )


def read(path: str) -> dict[str, Any]:
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    # A bounded heap: a hostile file fails here instead of exhausting the server's memory.
    # Temporary files in the folder the parent made for this file (TMPDIR), removed with it.
    jpype.startJVM("-Xmx512m", f"-Djava.io.tmpdir={tempfile.gettempdir()}", convertStrings=True)
    from org.mpxj.reader import UniversalProjectReader

    from milepost.interchange.programmes.model import lag_days

    project = UniversalProjectReader().read(path)
    if project is None:
        raise ValueError("MPXJ does not recognise this file as a programme.")
    properties = project.getProjectProperties()
    calendar = project.getDefaultCalendar()
    tasks, links = [], []
    for task in project.getTasks():
        uid = task.getUniqueID()
        if uid is None or (int(uid) == 0 and task.getParentTask() is None and task.getID() == 0):
            continue  # MS Project's project summary row
        # P6's WBS nodes come through as summary tasks without an activity id or type.
        if (
            task.getActivityType() is None
            and task.getActivityID() is None
            and task.getSummary()
            and str(properties.getFileType() or "").upper() in ("XER", "PMXML")
        ):
            continue
        code = task.getActivityID() or str(uid)
        parent = task.getParentTask()
        tasks.append(
            {
                "uid": str(code),
                "name": str(task.getName() or ""),
                "wbs": str(task.getWBS() or ""),
                "start": _date(task.getStart()),
                "finish": _date(task.getFinish()),
                "duration_days": _days(task.getDuration()),
                "milestone": bool(task.getMilestone()),
                "summary": bool(task.getSummary()),
                "resources": [
                    str(a.getResource().getName() or "")
                    for a in task.getResourceAssignments()
                    if a.getResource() is not None
                ],
                "parent": ""
                if parent is None or parent.getUniqueID() in (None, 0)
                else str(parent.getActivityID() or parent.getUniqueID()),
            }
        )
        for relation in task.getPredecessors():
            before = relation.getPredecessorTask()
            lag = relation.getLag()
            unit = UNITS.get(str(lag.getUnits().name()), "d") if lag is not None else "d"
            days, working, exact = lag_days(float(lag.getDuration()) if lag else 0.0, unit)
            links.append(
                {
                    "predecessor": str(before.getActivityID() or before.getUniqueID()),
                    "successor": str(code),
                    "type": str(relation.getType()),
                    "lag": days,
                    "working": working,
                    "exact": exact,
                }
            )
    return {
        "format": str(properties.getFileType() or "programme"),
        "name": str(properties.getProjectTitle() or properties.getName() or ""),
        "calendar": str(calendar.getName() or "") if calendar is not None else "",
        "tasks": tasks,
        "links": links,
    }


# What the child may write in one file (MPXJ's temporary files) and the memory it may map: set
# by the child itself, first thing, rather than by a preexec_fn in a threaded web process.
FILE_BYTES = 256 * 1024 * 1024
MEMORY_BYTES = 4 * 1024 * 1024 * 1024


def limit_self() -> None:
    """Cap this process's file writes and address space (the JVM started after inherits them)."""
    for kind, cap in ((resource.RLIMIT_FSIZE, FILE_BYTES), (resource.RLIMIT_AS, MEMORY_BYTES)):
        _soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(kind, (cap, cap))


def main() -> int:
    limit_self()
    try:
        result = read(sys.argv[1])
    except Exception as error:
        print(json.dumps({"error": str(error)[:500]}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
