"""Programme files (MS Project, P6, Planner, Phoenix, GanttProject) read, previewed, applied."""

import datetime as dt
from pathlib import Path

import pytest

from milepost.interchange.choices import ImportStatus
from milepost.interchange.programmes.services import programme_apply, programme_preview
from milepost.interchange.uploads import Upload
from milepost.schedule.models import Dependency, Milestone

from .conftest import World
from .helpers import refused

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

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
