"""Milestone sheets: references, triggers and loops named the way an export writes them."""

import datetime as dt

import pytest

from milepost.interchange.sheets.milestones import (
    milestone_sheet_apply,
    milestone_sheet_preview,
)
from milepost.interchange.uploads import Upload
from milepost.schedule.models import Dependency, Milestone
from tests.conftest import World
from tests.helpers import refused

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")

HEADER = (
    "id,reference,kind,title,owner,responsible_party,accepting_party,due_date,"
    "acceptance_criteria,depends_on,payer,payee,trigger,amount"
)
CRITERIA = "Engineer's inspection certificate signed."
PAY = "Harbour City Council,Northgate Construction"


def preview(w: World, rows: list[str], header: str = HEADER, name: str = "p.csv"):  # type: ignore[no-untyped-def]
    upload = Upload(name=name, data="\n".join([header, *rows]).encode())
    return milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)


def test_a_reference_cannot_be_given_to_a_milestone_matched_by_id(w: World) -> None:
    m = w.deliverable("No ref")
    rows = [
        f"{m.pk},M9,deliverable,No ref,sid,Northgate Construction,Harbour City Council,"
        f"{m.due_date},{CRITERIA},,,,,",
        ",N1,deliverable,Next,sid,Northgate Construction,Harbour City Council,2026-06-01,ok,M9,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},M9,1000",
    ]

    batch = preview(w, rows)

    assert f"row 2, reference: milestone {m.pk} has no reference" in batch.preview["errors"][0]


def test_a_payment_triggered_by_an_existing_milestones_id_is_created(w: World) -> None:
    m = w.deliverable("No ref")
    batch = preview(w, [f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},{m.pk},1000"])

    milestone_sheet_apply(batch=batch, actor=w.client_manager)

    assert Milestone.objects.get(reference="P1").payment.trigger == m


def test_a_loop_through_a_payments_trigger_is_refused(w: World) -> None:
    rows = [
        ",D1,deliverable,D,sid,Northgate Construction,Harbour City Council,2026-07-01,ok,P1,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},D1,1000",
    ]

    batch = preview(w, rows)

    assert "loop" in " ".join(batch.preview["errors"])


def test_a_loop_through_an_existing_payments_trigger_is_refused(w: World) -> None:
    d = w.deliverable("D", reference="D1")
    rows = [
        f",D1,deliverable,D,sid,Northgate Construction,Harbour City Council,{d.due_date},"
        f"{CRITERIA},P1,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},D1,1000",
    ]

    batch = preview(w, rows)

    assert "loop" in " ".join(batch.preview["errors"])
    assert not Dependency.objects.exists()


def test_a_cancelled_trigger_is_refused_even_when_the_file_lists_it(w: World) -> None:
    m = w.deliverable("F", reference="F1")
    Milestone.objects.filter(pk=m.pk).update(status="cancelled")
    rows = [
        f",F1,deliverable,F,sid,Northgate Construction,Harbour City Council,{m.due_date},"
        f"{CRITERIA},,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},F1,1000",
    ]

    batch = preview(w, rows)

    assert "row 3, trigger: 'F' is cancelled" in " ".join(batch.preview["errors"])
    with refused("import_has_errors", "file"):
        milestone_sheet_apply(batch=batch, actor=w.client_manager)
