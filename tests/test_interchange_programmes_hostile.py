"""Programme imports: hostile and malformed files are refused by name; the preview is the apply."""

import datetime as dt
import io
import json
import subprocess
import sys
import time
import zipfile

import pytest

from milepost.audit.models import Event
from milepost.core.errors import DomainError
from milepost.interchange.programmes import reading, services
from milepost.interchange.programmes.gan import _finish
from milepost.interchange.programmes.links import collapse_links
from milepost.interchange.programmes.model import Link, Programme, ProgrammeUnreadable, Task
from milepost.interchange.programmes.reading import read_programme
from milepost.interchange.programmes.services import (
    programme_apply,
    programme_plan,
    programme_preview,
)
from milepost.interchange.uploads import Upload
from milepost.schedule.models import ChangeRequest, Dependency, Milestone
from milepost.schedule.planning import milestone_pin

from .conftest import World
from .helpers import refused
from .test_interchange_programmes import LINKS, START, TASKS, xer  # noqa: F401  (START: the clock)

pytestmark = pytest.mark.usefixtures("clock")


def _zip(name: str, size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"\0" * size)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["bomb.mpp", "bomb.zip", "plan.xml", "plan"])
def test_a_zip_archive_is_refused_without_starting_java(monkeypatch, name: str) -> None:  # type: ignore[no-untyped-def]
    # given a small zip that unpacks to a large file, whatever it is called
    data = _zip("inner.mpp", 1_000_000)
    monkeypatch.setattr(reading, "read_with_mpxj", lambda *a: pytest.fail("MPXJ started"))
    # when it is read, then it is refused naming the formats taken, and MPXJ never starts
    with pytest.raises(ProgrammeUnreadable) as caught:
        read_programme(data, name)
    assert caught.value.code == "not_a_programme"
    assert "zip archive" in caught.value.message
    assert "Microsoft Project" in caught.value.message


def test_the_mpxj_child_writes_its_temporary_files_in_its_own_folder(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # given a Java runtime and a child that reports where it would write
    seen = {}

    def run(args, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(kwargs, args=args)

        return subprocess.CompletedProcess(args, 1, b'{"error": "x"}\n', b"")

    monkeypatch.setattr(reading, "java_path", lambda: "/usr/bin/java")
    monkeypatch.setattr(reading.subprocess, "run", run)
    # when an .mpp is read
    with pytest.raises(ProgrammeUnreadable):
        read_programme(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "plan.mpp")
    # then the JVM's temporary folder is the child's own, and its writes are capped
    folder = seen["cwd"]
    assert seen["env"]["JAVA_TOOL_OPTIONS"] == f"-Djava.io.tmpdir={folder}"
    assert seen["env"]["TMPDIR"] == folder
    assert seen["args"][2] == "milepost.interchange.programmes.mpxj_reader"


def test_the_mpxj_child_caps_its_own_file_writes_and_memory() -> None:
    # given the child's first step, run in a process of its own
    code = (
        "import resource; from milepost.interchange.programmes.mpxj_reader import limit_self; "
        "limit_self(); print(resource.getrlimit(resource.RLIMIT_FSIZE)[0], "
        "resource.getrlimit(resource.RLIMIT_AS)[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    # then a file it writes stops at 256 MB and its memory at 4 GB
    assert out.split() == [str(256 * 1024 * 1024).encode(), str(4 * 1024**3).encode()]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"\t16\r\n", b"\tnan\r\n"),  # a lag of nan hours
        (b"\t16\r\n", b"\t1e400\r\n"),  # a lag too large for a float
        (b"\t8\r\n%E", b"\t1e300\r\n%E"),  # a lag too large for a day count
        (b"\t80\t", b"\tinf\t"),  # an infinite duration
        (b"\t80\t", b"\tnan\t"),
    ],
)
def test_xer_numbers_no_tool_writes_are_refused_or_ignored(old: bytes, new: bytes) -> None:
    # given a P6 export with one impossible number
    data = xer().replace(old, new)
    assert data != xer()
    # when it is read, then it is refused by name or the number is left out, never a crash
    outcome: object
    try:
        outcome = read_programme(data, "plan.xer").to_json()
    except ProgrammeUnreadable as error:
        outcome = error.field
    assert outcome == "file" or json.dumps(outcome, allow_nan=False)  # storable as JSON


def test_an_xer_row_before_any_table_is_refused() -> None:
    with pytest.raises(ProgrammeUnreadable) as caught:
        read_programme(b"ERMHDR\t8\r\n%R\t1\t2\r\n%E\r\n", "plan.xer")
    assert "Line 2" in caught.value.message


MSPDI = (
    b'<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project"><Tasks>'
    b"<Task><UID>1</UID><Name>A</Name><OutlineLevel>LEVEL</OutlineLevel>"
    b"<Start>2026-04-01T08:00:00</Start><Finish>2026-04-01T08:00:00</Finish><Milestone>1</Milestone>"
    b"</Task><Task><UID>2</UID><Name>B</Name><Start>2026-04-02T08:00:00</Start>"
    b"<Finish>2026-04-02T08:00:00</Finish><Milestone>1</Milestone><PredecessorLink>"
    b"<PredecessorUID>1</PredecessorUID><Type>1</Type><LinkLag>LAG</LinkLag></PredecessorLink>"
    b"</Task></Tasks></Project>"
)


@pytest.mark.parametrize(
    ("level", "lag"),
    [(b"one", b"0"), (b"1", b"x"), (b"1", b"nan"), (b"1", b"1e400"), (b"1", b"inf")],
)
def test_mspdi_numbers_no_tool_writes_are_refused(level: bytes, lag: bytes) -> None:
    data = MSPDI.replace(b"LEVEL", level).replace(b"LAG", lag)
    with pytest.raises(ProgrammeUnreadable) as caught:
        read_programme(data, "plan.xml")
    assert caught.value.field == "file"


GAN = (
    b'<?xml version="1.0"?><project name="x" version="3" gantt-divider-location="1"><tasks>'
    b'<task id="1" name="A" start="START" duration="DAYS" meeting="false"/></tasks></project>'
)


@pytest.mark.parametrize(
    ("start", "days"),
    [(b"9999-12-20", b"30"), (b"2026-01-01", b"nan"), (b"2026-01-01", b"inf"),
     (b"2026-01-01", b"2000000")],
)  # fmt: skip
def test_ganttproject_dates_and_durations_no_tool_writes_are_refused(
    start: bytes, days: bytes
) -> None:
    data = GAN.replace(b"START", start).replace(b"DAYS", days)
    began = time.monotonic()
    with pytest.raises(ProgrammeUnreadable) as caught:
        read_programme(data, "plan.gan")
    assert caught.value.field == "file"
    assert time.monotonic() - began < 1


def test_ganttproject_finish_counts_working_days_arithmetically() -> None:
    # given every start in a fortnight and durations of 1 to 30 working days
    for offset in range(14):
        start = dt.date(2026, 3, 2) + dt.timedelta(days=offset)
        for days in range(1, 31):
            # when the finish is computed, then it matches counting day by day
            day, left = start, days
            while True:
                if day.weekday() < 5:
                    left -= 1
                    if left == 0:
                        break
                day += dt.timedelta(days=1)
            assert _finish(start, days) == day, (start, days)


@pytest.mark.parametrize("reverse", [False, True])
def test_links_through_left_out_tasks_keep_the_longest_path_whatever_their_order(
    reverse: bool,
) -> None:
    # given A → X (3 days) → Y (5 days) → B and a shortcut A → Y, with X and Y left out
    links = [Link("A", "X"), Link("X", "Y"), Link("A", "Y"), Link("Y", "B")]
    programme = Programme(
        format="test",
        tasks=[
            Task(uid="A", name="A", milestone=True, duration_days=0),
            Task(uid="X", name="X", duration_days=3),
            Task(uid="Y", name="Y", duration_days=5),
            Task(uid="B", name="B", milestone=True, duration_days=0),
        ],
        links=links[::-1] if reverse else links,
    )
    # when the links are collapsed, then B follows A by both durations, in either order
    (kept,) = collapse_links(programme, {"A", "B"})
    assert (kept.predecessor, kept.successor, kept.type, kept.lag, kept.exact) == (
        "A", "B", "FS", 8, True,
    )  # fmt: skip
    assert kept.via == ["X", "Y"]


def test_a_loop_among_left_out_tasks_is_cut() -> None:
    programme = Programme(
        format="test",
        tasks=[
            Task(uid="A", name="A", milestone=True, duration_days=0),
            Task(uid="X", name="X", duration_days=1),
            Task(uid="Y", name="Y", duration_days=1),
            Task(uid="B", name="B", milestone=True, duration_days=0),
        ],
        links=[Link("A", "X"), Link("X", "Y"), Link("Y", "X"), Link("Y", "B")],
    )
    (kept,) = collapse_links(programme, {"A", "B"})
    assert (kept.predecessor, kept.lag) == ("A", 2)


# --- the preview promises only what the apply does ----------------------------------------------


def _preview(w: World, data: bytes, name: str = "plan.xer"):  # type: ignore[no-untyped-def]
    return programme_preview(
        contract=w.contract, upload=Upload(name, data), actor=w.supplier_manager
    )


def _shift(tasks: list[tuple[str, ...]], days: int, which: set[str]) -> list[tuple[str, ...]]:
    out = []
    for task in tasks:
        if task[1] in which:
            start, finish = (
                (dt.datetime.fromisoformat(t) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M")
                for t in task[5:7]
            )
            task = (*task[:5], start, finish)
        out.append(task)
    return out


def test_links_that_close_a_loop_are_errors_in_the_preview_and_refused(w: World) -> None:
    # given a programme whose last milestone also comes before the first
    batch = _preview(w, xer(links=[*LINKS, ("1001", "1005", "PR_FS", "0")]))
    # when it is previewed, then the loop is named
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    assert any("close a loop" in error and "Site access" in error for error in plan["errors"])
    assert batch.error_count == 1
    # and the apply refuses it, writing nothing
    with refused("import_invalid", "tasks"):
        programme_apply(batch=batch, actor=w.supplier_manager)


def test_a_loop_through_the_contracts_own_links_is_an_error(w: World) -> None:
    # given the programme imported once, then a revision that reverses its last link
    programme_apply(batch=_preview(w, xer()), actor=w.supplier_manager)
    tasks = [*TASKS, ("1006", "M1050", "Handover", "TT_FinMile", "0", "2026-05-20 17:00",
                      "2026-05-20 17:00")]  # fmt: skip
    links = [("1006", "1005", "PR_FS", "0"), ("1001", "1006", "PR_FS", "0")]
    batch = _preview(w, xer(tasks=tasks, links=links))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    assert any("close a loop" in error for error in plan["errors"])
    with refused("import_invalid", "tasks"):
        programme_apply(batch=batch, actor=w.supplier_manager)


def test_a_task_linked_to_itself_is_left_out_of_the_links(w: World) -> None:
    batch = _preview(w, xer(links=[*LINKS, ("1003", "1003", "PR_FS", "0")]))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    assert plan["errors"] == []
    assert all(link["predecessor"] != link["successor"] for link in plan["links"])
    applied = programme_apply(batch=batch, actor=w.supplier_manager)
    assert applied.counts["dependencies"] == 2


def test_a_lag_over_the_limit_is_an_error_in_the_preview(w: World) -> None:
    # given a link of 80,000 hours (10,000 working days) between two milestones
    batch = _preview(w, xer(links=[("1003", "1001", "PR_FS", "80000")]))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    (link,) = plan["links"]
    assert "more than the 1,000 days" in link["problem"]
    assert any("Site access to Foundations complete" in error for error in plan["errors"])
    with refused("import_invalid", "tasks"):
        programme_apply(batch=batch, actor=w.supplier_manager)


def test_two_tasks_with_one_id_are_errors_in_the_preview(w: World) -> None:
    tasks = [*TASKS, ("1006", "M1040", "Another", "TT_FinMile", "0", "2026-05-20 17:00",
                      "2026-05-20 17:00")]  # fmt: skip
    batch = _preview(w, xer(tasks=tasks))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    assert sum("2 tasks of the programme have this id" in error for error in plan["errors"]) == 2
    with refused("import_invalid", "tasks"):
        programme_apply(batch=batch, actor=w.supplier_manager)


def test_a_pinned_milestone_moved_by_the_programme_is_proposed_as_a_change(w: World) -> None:
    programme_apply(batch=_preview(w, xer()), actor=w.supplier_manager)
    pinned = Milestone.objects.get(contract=w.contract, reference="M1040")
    milestone_pin(milestone=pinned, pinned=True, actor=w.supplier_manager)
    batch = _preview(w, xer(tasks=_shift(TASKS, 7, {"M1040"})))
    row = next(r for r in programme_plan(batch=batch, actor=w.supplier_manager)["rows"]
               if r["uid"] == "M1040")  # fmt: skip
    assert (row["status"], row["how"]) == ("moved", "change request")
    assert "pinned" in row["note"]
    applied = programme_apply(batch=batch, actor=w.supplier_manager)
    assert applied.counts["change_requests"] == 1
    assert ChangeRequest.objects.get().new_due_date == dt.date(2026, 5, 22)


def _dates(w: World) -> dict[str, dt.date]:
    return dict(Milestone.objects.filter(contract=w.contract).values_list("reference", "due_date"))


@pytest.mark.parametrize(("days", "which"), [(7, {"M1000"}), (7, {"M1000", "M1020", "M1040"}),
                                             (3, {"M1020"}), (-2, {"M1040"})])  # fmt: skip
def test_a_reimport_previews_the_dates_the_apply_gives(
    w: World, days: int, which: set[str]
) -> None:
    # given the programme imported once
    programme_apply(batch=_preview(w, xer()), actor=w.supplier_manager)
    # when a revision moves some milestones and is previewed
    batch = _preview(w, xer(tasks=_shift(TASKS, days, which)))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    promised = {row["uid"]: dt.date.fromisoformat(row["due"]) for row in plan["rows"]
                if row["chosen"]}  # fmt: skip
    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    programme_apply(batch=batch, actor=w.supplier_manager)
    # then every milestone is where the preview said, and no reschedule left one where it was
    assert _dates(w) == promised
    moves = Event.objects.filter(pk__gt=last, action="milestone.rescheduled")
    assert moves.exists()
    assert all(event.before["due_date"] != event.after["due_date"] for event in moves)


def test_moving_the_first_milestone_moves_what_follows_in_the_preview(w: World) -> None:
    programme_apply(batch=_preview(w, xer()), actor=w.supplier_manager)
    batch = _preview(w, xer(tasks=_shift(TASKS, 7, {"M1000"})))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    follows = [row for row in plan["rows"] if row.get("how") == "follows"]
    assert [row["uid"] for row in follows] == ["M1020", "M1040"]
    assert "It follows 'Site access', which moves." in follows[0]["note"]
    assert plan["counts"]["moved_by_links"] == 2


def test_an_apply_that_fails_after_writing_leaves_nothing(w: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # given a preview with three new milestones, and a link that fails once they are written
    batch = _preview(w, xer())

    def fail(**kwargs):  # type: ignore[no-untyped-def]
        assert Milestone.objects.filter(contract=w.contract).exists()
        raise DomainError("boom", "The link could not be saved.", field="predecessor")

    monkeypatch.setattr(services, "dependency_add", fail)
    # when it is applied, then it is refused and the milestones written before are gone too
    with refused("boom", "predecessor"):
        programme_apply(batch=batch, actor=w.supplier_manager)


def test_a_reimport_that_changes_a_links_lag_shows_and_applies_it(w: World) -> None:
    # given the programme imported once (Structure topped out follows SS 21 working days)
    programme_apply(batch=_preview(w, xer()), actor=w.supplier_manager)
    # when a revision lengthens the lag after the structure by two days
    links = [*LINKS[:3], ("1005", "1004", "PR_FS", "24")]
    batch = _preview(w, xer(links=links))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    (link,) = [link for link in plan["links"] if link["successor"] == "M1040"]
    # then the preview says what the link was, and the apply changes it
    assert (link["changed_from"], link["type"], link["lag"]) == ("SS 21 working days", "SS", 23)
    assert plan["counts"]["dependencies_updated"] == 1
    programme_apply(batch=batch, actor=w.supplier_manager)
    saved = Dependency.objects.get(successor__reference="M1040")
    assert (saved.type, saved.lag) == ("SS", 23)
    assert Event.objects.filter(action="dependency.updated").count() == 1


def test_a_milestone_outside_the_programme_that_the_links_move_is_listed(w: World) -> None:
    # given the programme imported, and a handover of its own 5 days after its last milestone
    programme_apply(batch=_preview(w, xer()), actor=w.supplier_manager)
    last = Milestone.objects.get(contract=w.contract, reference="M1040")
    handover = w.deliverable("Handover", due_date=dt.date(2026, 5, 22))
    Dependency.objects.create(
        predecessor=last, successor=handover, type="FS", lag=5, working_days=False
    )
    # when a revision moves the last milestone a week later
    batch = _preview(w, xer(tasks=_shift(TASKS, 7, {"M1040"})))
    plan = programme_plan(batch=batch, actor=w.supplier_manager)
    # then the preview lists the handover's move, and the apply makes it
    assert plan["knock_on"] == [
        {"title": "Handover", "old_due_text": "22 May 2026", "due_text": "27 May 2026",
         "driven_by": "Structure topped out"},
    ]  # fmt: skip
    programme_apply(batch=batch, actor=w.supplier_manager)
    handover.refresh_from_db()
    assert handover.due_date == dt.date(2026, 5, 27)


def test_activities_of_a_multi_project_xer_are_named_by_their_project() -> None:
    # given a P6 file holding two projects that both use the activity id M1000
    data = xer(tasks=TASKS[:1]).replace(
        b"%R\t1\tLIBRARY\t10\r\n", b"%R\t1\tLIBRARY\t10\r\n%R\t2\tDEPOT\t10\r\n"
    )
    data = data.replace(b"%T\tTASKPRED", b"%R\t2001\t2\t100\t10\tM1000\tDepot access\tTT_Mile\t0"
                        b"\t2026-04-02 08:00\t2026-04-02 08:00\r\n%T\tTASKPRED")  # fmt: skip
    # when it is read, then each activity is named by its project's short name
    programme = read_programme(data, "two.xer")
    assert [task.uid for task in programme.tasks] == ["LIBRARY/M1000", "DEPOT/M1000"]
