"""Programme imports: hostile and malformed files are refused by name; the preview is the apply."""

import datetime as dt
import io
import json
import time
import zipfile

import pytest

from milepost.interchange.programmes import reading
from milepost.interchange.programmes.gan import _finish
from milepost.interchange.programmes.links import collapse_links
from milepost.interchange.programmes.model import Link, Programme, ProgrammeUnreadable, Task
from milepost.interchange.programmes.reading import read_programme

from .test_interchange_programmes import START, xer  # noqa: F401  (START: the clock)

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
        seen.update(kwargs)
        import subprocess

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
    assert seen["preexec_fn"] is reading._limit_child


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
