"""Programme files (MS Project, P6, Planner, Phoenix, GanttProject) read, previewed, applied."""

import datetime as dt
from pathlib import Path

import pytest

from milepost.audit.models import Event
from milepost.core.errors import Forbidden
from milepost.interchange.choices import ImportStatus
from milepost.interchange.programmes.links import collapse_links
from milepost.interchange.programmes.model import (
    Link,
    Programme,
    ProgrammeUnreadable,
    Task,
    lag_days,
)
from milepost.interchange.programmes.reading import read_programme
from milepost.interchange.programmes.services import (
    programme_apply,
    programme_plan,
    programme_preview,
)
from milepost.interchange.uploads import Upload
from milepost.schedule.models import ChangeRequest, Dependency, Milestone

from .conftest import World
from .helpers import refused

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")

# file → (tasks, summary tasks, milestones, links), as counted in the folder's README.
CONFORMANCE = {
    "mpp8-project98_sample98.mpp": (19, 3, 1, 6),
    "mpp9_slack9.mpp": (15, 0, 3, 15),
    "mpp14-project2010_sf259-real-anonymised.mpp": (23, 10, 12, 13),
    "mpp14-project2019_task-links.mpp": (16, 0, 0, 8),
    "mspdi-project2010_sample1.xml": (22, 4, 1, 6),
    "mspdi-project2019_task-links.xml": (16, 0, 0, 8),
    "p6-8.2_PredecessorCalendar.xer": (1, 0, 0, 0),
    "p6-8.4_percent-complete.xer": (12, 0, 0, 0),
    "p6-20.12_resource-rates-test.xer": (1, 0, 0, 0),
    "p6-8.4_percent-complete.pmxml": (12, 0, 0, 0),
    "planner_project1.planner": (30, 1, 1, 5),
    "phoenix5_physical-percent-complete.ppx": (2, 0, 0, 1),
    "ganttproject_HouseBuildingSample.gan": (20, 4, 4, 17),
}


def old_contract(w: World):
    """A contract whose term covers the conformance files' dates (2003 to 2024)."""
    return w.other_contract(
        reference="HCC-PROG",
        start_date=dt.date(2000, 1, 3),
        end_date=dt.date(2026, 12, 31),
        active=True,
    )


@pytest.mark.parametrize("name", sorted(CONFORMANCE))
def test_every_conformance_programme_imports_its_tasks_and_links(
    w: World, conformance: Path, name: str
) -> None:
    # given a real programme file and a contract that covers its dates
    contract = old_contract(w)
    data = (conformance / "programmes" / name).read_bytes()
    # when the supplier's manager previews it and applies every task
    batch = programme_preview(
        contract=contract, upload=Upload(name, data), actor=w.supplier_manager
    )
    summary = batch.preview["summary"]
    tasks, summaries, milestones, links = CONFORMANCE[name]
    assert (summary["tasks"], summary["summary_tasks"], summary["milestones"], summary["links"]) == (
        tasks, summaries, milestones, links,
    )  # fmt: skip
    every = [task["uid"] for task in batch.preview["programme"]["tasks"]]
    applied = programme_apply(
        batch=batch, actor=w.supplier_manager, options={**batch.options, "tasks": every}
    )
    # then every task is a milestone and every link a dependency
    assert applied.status == ImportStatus.APPLIED
    assert Milestone.objects.filter(contract=contract).count() == tasks
    assert Dependency.objects.filter(successor__contract=contract).count() == links
    assert applied.counts["milestones_created"] == tasks
    assert applied.counts["dependencies"] == links


def test_truncated_xer_is_refused_naming_the_cut(w: World, conformance: Path) -> None:
    # given the first 7,220 bytes of a P6 export, cut in the middle of an activity
    data = (conformance / "programmes" / "p6-8.4_percent-complete_TRUNCATED.xer").read_bytes()
    contract = old_contract(w)
    # when it is uploaded, then it is refused and nothing is stored
    with refused("programme_truncated", "file") as caught:
        programme_preview(
            contract=contract, upload=Upload("cut.xer", data), actor=w.supplier_manager
        )
    assert "cut short" in caught.value.message


# --- a P6 programme of our own, following XER's documented tables (TASK, TASKPRED) ------------

TASKS = [
    # task_id, code, name, type, hours, start, finish
    ("1001", "M1000", "Site access", "TT_Mile", "0", "2026-04-01 08:00", "2026-04-01 08:00"),
    ("1002", "A1010", "Foundations", "TT_Task", "80", "2026-04-01 08:00", "2026-04-14 17:00"),
    ("1003", "M1020", "Foundations complete", "TT_FinMile", "0", "2026-04-16 17:00", "2026-04-16 17:00"),
    ("1004", "A1030", "Structure", "TT_Task", "160", "2026-04-16 08:00", "2026-05-13 17:00"),
    ("1005", "M1040", "Structure topped out", "TT_FinMile", "0", "2026-05-15 17:00", "2026-05-15 17:00"),
]  # fmt: skip
LINKS = [
    # successor, predecessor, type, lag hours
    ("1002", "1001", "PR_FS", "0"),
    ("1003", "1002", "PR_FS", "16"),
    ("1004", "1003", "PR_SS", "0"),
    ("1005", "1004", "PR_FS", "8"),
]


def xer(tasks: list[tuple[str, ...]] = TASKS, links: list[tuple[str, ...]] = LINKS) -> bytes:
    """A small P6 export: a project, its calendar, one WBS node, activities and their links."""
    lines = [
        "ERMHDR\t8.2\t2026-03-01\tProject\tadmin\tadmin\tdbxDatabaseNoName\tProject Management\tGBP",
        "%T\tPROJECT", "%F\tproj_id\tproj_short_name\tclndr_id", "%R\t1\tLIBRARY\t10",
        "%T\tCALENDAR", "%F\tclndr_id\tclndr_name\tday_hr_cnt", "%R\t10\tStandard 5 Day\t8",
        "%T\tPROJWBS", "%F\twbs_id\tproj_id\twbs_short_name\twbs_name", "%R\t100\t1\tCIV\tCivils",
        "%T\tTASK",
        "%F\ttask_id\tproj_id\twbs_id\tclndr_id\ttask_code\ttask_name\ttask_type"
        "\ttarget_drtn_hr_cnt\ttarget_start_date\ttarget_end_date",
        *(f"%R\t{t[0]}\t1\t100\t10\t" + "\t".join(t[1:]) for t in tasks),
        "%T\tTASKPRED",
        "%F\ttask_pred_id\ttask_id\tpred_task_id\tproj_id\tpred_proj_id\tpred_type\tlag_hr_cnt",
        *(f"%R\t{n}\t{s}\t{p}\t1\t1\t{kind}\t{lag}" for n, (s, p, kind, lag) in enumerate(links)),
        "%E",
    ]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_xer_milestones_and_links_are_read_from_task_and_taskpred() -> None:
    programme = read_programme(xer(), "library.xer")
    assert [t.uid for t in programme.tasks if t.milestone] == ["M1000", "M1020", "M1040"]
    assert programme.calendar == "Standard 5 Day"
    assert programme.tasks[1].duration_days == 10
    assert programme.tasks[1].wbs == "CIV"
    assert [(k.predecessor, k.successor, k.type, k.lag) for k in programme.links] == [
        ("M1000", "A1010", "FS", 0),
        ("A1010", "M1020", "FS", 2),
        ("M1020", "A1030", "SS", 0),
        ("A1030", "M1040", "FS", 1),
    ]


def test_xer_without_end_marker_is_refused() -> None:
    data = xer().replace(b"%E\r\n", b"")
    with pytest.raises(ProgrammeUnreadable, match="end marker") as caught:
        read_programme(data, "cut.xer")
    assert caught.value.code == "programme_truncated"


def test_links_through_tasks_left_out_collapse_with_their_durations_summed() -> None:
    # given the milestones only, with the activities between them left out
    programme = read_programme(xer(), "library.xer")
    # when the links are collapsed
    kept = collapse_links(programme, {"M1000", "M1020", "M1040"})
    # then each milestone follows the previous one by the lags plus the activity between
    assert [(k.predecessor, k.successor, k.type, k.lag, k.exact) for k in kept] == [
        ("M1000", "M1020", "FS", 12, True),
        ("M1020", "M1040", "SS", 21, True),
    ]
    assert kept[0].via == ["Foundations"]


def test_a_fractional_duration_on_the_way_flags_the_lag_as_approximate() -> None:
    programme = Programme(
        format="test",
        tasks=[
            Task(uid="A", name="A", milestone=True, duration_days=0),
            Task(uid="X", name="Half a day", duration_days=0.5),
            Task(uid="B", name="B", milestone=True, duration_days=0),
        ],
        links=[Link("A", "X"), Link("X", "B")],
    )
    (kept,) = collapse_links(programme, {"A", "B"})
    assert (kept.lag, kept.exact) == (0, False)


def test_lags_in_units_become_working_or_calendar_days() -> None:
    assert lag_days(4800 / 10, "m") == (1, True, True)  # 8 hours
    assert lag_days(2, "w") == (10, True, True)
    assert lag_days(24, "eh") == (1, False, True)
    assert lag_days(4, "h") == (0, True, False)
    assert lag_days(1, "mo")[2] is False


def test_preview_chooses_the_milestones_and_writes_nothing_but_the_import(w: World) -> None:
    before = Milestone.objects.count()
    batch = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    assert batch.options["tasks"] == ["M1000", "M1020", "M1040"]
    assert batch.options["responsible_party"] == w.supplier.pk
    assert batch.options["accepting_party"] == w.client.pk
    assert batch.options["owner"] == w.supplier_manager.pk
    assert batch.error_count == 0
    assert Milestone.objects.count() == before


def test_apply_creates_milestones_with_references_links_and_one_event(w: World) -> None:
    batch = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    applied = programme_apply(batch=batch, actor=w.supplier_manager)
    made = {m.reference: m for m in Milestone.objects.filter(contract=w.contract)}
    assert set(made) == {"M1000", "M1020", "M1040"}
    assert made["M1040"].due_date == dt.date(2026, 5, 15)
    assert made["M1040"].title == "Structure topped out"
    links = Dependency.objects.filter(successor__contract=w.contract)
    assert sorted(
        (d.predecessor.reference, d.successor.reference, d.type, d.lag) for d in links
    ) == [
        ("M1000", "M1020", "FS", 12),
        ("M1020", "M1040", "SS", 21),
    ]
    assert all(d.working_days for d in links)
    assert applied.counts["milestones_created"] == 3
    assert applied.counts["dependencies"] == 2
    events = Event.objects.filter(action="import.applied")
    assert events.count() == 1
    assert events.get().after["sha256"] == Upload("library.xer", xer()).sha256


def test_reimporting_the_same_programme_changes_nothing(w: World) -> None:
    first = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    programme_apply(batch=first, actor=w.supplier_manager)
    again = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    applied = programme_apply(batch=again, actor=w.supplier_manager)
    assert applied.counts["milestones_unchanged"] == 3
    assert applied.counts["milestones_created"] == 0
    assert applied.counts["dependencies"] == 0
    assert Milestone.objects.filter(contract=w.contract).count() == 3


def _moved() -> bytes:
    tasks = [list(t) for t in TASKS]
    tasks[4][5] = tasks[4][6] = "2026-05-22 17:00"
    return xer([tuple(t) for t in tasks])


def test_updated_programme_reschedules_own_milestones_with_the_programme_as_reason(
    w: World,
) -> None:
    first = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    programme_apply(batch=first, actor=w.supplier_manager)
    update = programme_preview(
        contract=w.contract, upload=Upload("library-rev2.xer", _moved()), actor=w.supplier_manager
    )
    row = next(r for r in _plan(update, w)["rows"] if r["uid"] == "M1040")
    assert (row["status"], row["how"], row["old_due_text"], row["due_text"]) == (
        "moved", "rescheduled", "15 May 2026", "22 May 2026",
    )  # fmt: skip
    applied = programme_apply(batch=update, actor=w.supplier_manager)
    assert applied.counts["rescheduled"] == 1
    moved = Milestone.objects.get(contract=w.contract, reference="M1040")
    assert moved.due_date == dt.date(2026, 5, 22)
    assert moved.baseline_due_date == dt.date(2026, 5, 15)
    reason = Event.objects.filter(milestone_id=moved.pk, action="milestone.rescheduled").get()
    assert "library-rev2.xer" in str(reason.after)


def test_updated_programme_from_the_other_party_becomes_change_requests(w: World) -> None:
    first = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    programme_apply(batch=first, actor=w.supplier_manager)
    update = programme_preview(
        contract=w.contract, upload=Upload("library-rev2.xer", _moved()), actor=w.client_manager
    )
    applied = programme_apply(batch=update, actor=w.client_manager)
    assert applied.counts["change_requests"] == 1
    change = ChangeRequest.objects.get()
    assert change.new_due_date == dt.date(2026, 5, 22)
    assert "library-rev2.xer" in change.reason
    assert Milestone.objects.get(reference="M1040").due_date == dt.date(2026, 5, 15)


def _plan(batch, w: World):  # type: ignore[no-untyped-def]
    return programme_plan(batch=batch, actor=w.supplier_manager)


def test_a_task_before_the_contract_starts_refuses_the_whole_import(w: World) -> None:
    tasks = [list(t) for t in TASKS]
    tasks[4][5] = tasks[4][6] = "2025-01-06 17:00"
    batch = programme_preview(
        contract=w.contract,
        upload=Upload("early.xer", xer([tuple(t) for t in tasks])),
        actor=w.supplier_manager,
    )
    assert batch.error_count == 1
    with refused("import_invalid", "tasks") as caught:
        programme_apply(batch=batch, actor=w.supplier_manager)
    assert "Structure topped out (task M1040): due 6 Jan 2025, before the contract starts" in (
        caught.value.message
    )


def test_a_viewer_may_not_import(w: World) -> None:
    with refused("forbidden", None, error=Forbidden):
        programme_preview(
            contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_viewer
        )


def test_choosing_a_party_of_another_contract_is_refused(w: World) -> None:
    other = w.other_contract()
    batch = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    options = {**batch.options, "responsible_party": other.parties.first().pk}  # type: ignore[union-attr]
    with refused("party_not_on_contract", "responsible_party"):
        programme_apply(batch=batch, actor=w.supplier_manager, options=options)


def test_resources_map_tasks_to_another_party_and_owner(w: World) -> None:
    batch = programme_preview(
        contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
    )
    options = {
        **batch.options,
        "accepting_party": w.client.pk,
        "mapping": {"wbs:CIV": {"party": w.supplier.pk, "owner": w.supplier_member.pk}},
    }
    programme_apply(batch=batch, actor=w.supplier_manager, options=options)
    assert set(Milestone.objects.values_list("owner__username", flat=True)) == {"sid"}


def test_mspdi_with_an_entity_declaration_is_refused(w: World) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Project xmlns="http://schemas.microsoft.com/project"><Tasks/></Project>'
    )
    with refused("programme_unreadable", "file"):
        programme_preview(
            contract=w.contract, upload=Upload("p.xml", data), actor=w.supplier_manager
        )


def test_without_java_an_mpp_is_refused_saying_how_to_install_it(w: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MILEPOST_JAVA = "no-such-java-binary"
    with refused("java_missing", "file") as caught:
        programme_preview(
            contract=w.contract,
            upload=Upload("plan.mpp", b"\xd0\xcf\x11\xe0" + b"\0" * 100),
            actor=w.supplier_manager,
        )
    assert "apt-get install default-jre-headless" in caught.value.message


def test_demo_programme_is_read_as_microsoft_project_xml() -> None:
    from milepost.operations.demo.programme import mspdi

    programme = read_programme(mspdi(dt.date(2026, 3, 2)), "seawall.xml")
    assert (len(programme.tasks), programme.milestone_count, len(programme.links)) == (9, 5, 9)
    assert programme.calendar == "Standard"
    kept = collapse_links(programme, {t.uid for t in programme.tasks if t.milestone})
    assert [(k.predecessor, k.successor, k.lag, k.exact) for k in kept][:2] == [
        ("1", "3", 15, True),
        ("3", "5", 10, True),
    ]


@pytest.mark.parametrize(
    "pair",
    [
        ("mpp14-project2019_task-links.mpp", "mspdi-project2019_task-links.xml"),
        ("mpp8-project98_sample98.mpp", "mspdi-project2010_sample1.xml"),
    ],
)
def test_mpp_and_mspdi_of_one_plan_give_the_same_links(conformance: Path, pair) -> None:  # type: ignore[no-untyped-def]
    folder = conformance / "programmes"
    mpp, xml = (read_programme((folder / name).read_bytes(), name) for name in pair)
    assert sorted((k.type, k.lag, k.working) for k in mpp.links) == sorted(
        (k.type, k.lag, k.working) for k in xml.links
    )


def test_a_file_of_another_kind_is_refused_without_starting_java(w: World) -> None:
    with refused("not_a_programme", "file"):
        programme_preview(
            contract=w.contract,
            upload=Upload("report.pdf", b"%PDF-1.4 inspection report"),
            actor=w.supplier_manager,
        )


def test_a_programme_over_the_row_limit_is_refused(w: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MILEPOST_IMPORT_MAX_ROWS = 4
    with refused("too_many_rows", "file"):
        programme_preview(
            contract=w.contract, upload=Upload("library.xer", xer()), actor=w.supplier_manager
        )
