"""The critical path of a contract in the database: the selector's numbers, the API, the page.

Dates are checked by hand against the England and Wales calendar: Good Friday 2027 is 26 March
and Easter Monday 29 March.
"""

import datetime as dt

import pytest
from django.urls import reverse

from milepost.contracts.models import Contract
from milepost.schedule.critical import contract_critical_path
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.planning import milestone_anchor_set, milestone_pin, milestone_plan_set
from milepost.schedule.services import milestone_reschedule, milestone_set_status

from .helpers import signed_in

API = "/api/v1"
START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday 1 March 2027
D = dt.date


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def plan(world):
    """A → B → (10 wd) → D (pinned) → P (10 wd after D's due date), and A → C → D; X cancelled.

    A, Foundations: due Fri 12 Mar 2027.
    B, Structure: Fri 12 Mar to Fri 2 Apr 2027, after A (FS).
    C, Services: due Wed 17 Mar 2027, after A (FS).
    D, Handover: due Fri 16 Apr 2027, pinned; 10 working days after B (FS, Mon 5 to Fri 16 Apr)
       and after C (FS).
    P, Final account: 10 working days after D's due date: Mon 19 to Fri 30 Apr 2027.
    """
    Contract.objects.filter(pk=world.contract.pk).update(holiday_region="ENG")
    world.contract.refresh_from_db()
    manager = world.supplier_manager
    made = {
        key: world.deliverable(title, due_date=due)
        for key, title, due in [
            ("A", "Foundations", D(2027, 3, 12)),
            ("B", "Structure", D(2027, 4, 2)),
            ("C", "Services", D(2027, 3, 17)),
            ("D", "Handover", D(2027, 4, 16)),
            ("P", "Final account", D(2027, 4, 10)),
            ("X", "Landscaping", D(2027, 6, 1)),
        ]
    }
    milestone_plan_set(milestone=made["B"], start_date=D(2027, 3, 12), actor=manager)
    dependency_add(predecessor=made["A"], successor=made["B"], actor=manager)
    dependency_add(predecessor=made["A"], successor=made["C"], actor=manager)
    dependency_add(
        predecessor=made["B"], successor=made["D"], lag=10, working_days=True, actor=manager
    )
    dependency_add(predecessor=made["C"], successor=made["D"], actor=manager)
    milestone_pin(milestone=made["D"], pinned=True, actor=manager)
    milestone_anchor_set(
        milestone=made["P"],
        anchor=made["D"],
        event="due",
        offset=10,
        working_days=True,
        actor=manager,
    )
    # The client, who would receive it, gives the landscaping up.
    milestone_set_status(
        milestone=made["X"], status="cancelled", reason="Out of scope", actor=world.client_manager
    )
    for milestone in made.values():
        milestone.refresh_from_db()
    return made


def test_selector_gives_each_milestones_float_the_chain_and_the_finish(
    plan, django_assert_num_queries
):
    contract = plan["A"].contract
    with django_assert_num_queries(4):
        path = contract_critical_path(contract=contract)
    rows = {row.title: row for row in path.rows}
    # P is last (Fri 30 Apr): no float. D is pinned: none of its own. B must leave 10 wd before
    # Fri 16 Apr, so finish by Sun 4 Apr: none beyond Fri 2 Apr. A must finish by B's start
    # (as late as Sun 14 Mar): none beyond Fri 12 Mar. C may finish as late as D, Fri 16 Apr:
    # Thu 18 Mar to Fri 16 Apr is 20 working days, Easter skipped.
    assert {title: row.total_float for title, row in rows.items()} == {
        "Foundations": 0,
        "Services": 20,
        "Structure": 0,
        "Handover": 0,
        "Final account": 0,
        "Landscaping": None,
    }
    assert [row.title for row in path.chain] == [
        "Foundations",
        "Structure",
        "Handover",
        "Final account",
    ]
    assert path.finish == D(2027, 4, 30) and path.critical_count == 4
    assert [row.title for row in path.rows] == [
        "Foundations",
        "Services",
        "Structure",
        "Handover",
        "Final account",
        "Landscaping",
    ]
    assert rows["Final account"].due == D(2027, 4, 30)
    assert rows["Final account"].basis == "10 working days after Handover's due date 16 April 2027"
    assert rows["Services"].latest_finish == D(2027, 4, 16)
    assert rows["Structure"].start == D(2027, 3, 12)
    assert rows["Handover"].pinned and rows["Handover"].critical
    assert not rows["Landscaping"].critical and rows["Landscaping"].latest_finish is None
    assert (rows["Landscaping"].kind_label, rows["Landscaping"].status_label) == (
        "Deliverable",
        "Cancelled",
    )


def test_a_slip_past_a_pinned_date_shows_negative_float_and_the_conflict(plan, world):
    # A slips a week to Fri 19 Mar: B runs to Fri 9 Apr and would need D on Fri 23 Apr: A and
    # B are 5 working days behind it.
    milestone_reschedule(
        milestone=plan["A"], due_date=D(2027, 3, 19), reason="Late", actor=world.supplier_manager
    )
    path = contract_critical_path(contract=plan["A"].contract)
    rows = {row.title: row for row in path.rows}
    assert rows["Structure"].due == D(2027, 4, 9)
    assert rows["Structure"].total_float == -5 and rows["Foundations"].total_float == -5
    assert rows["Handover"].conflict.startswith("Pinned to 16 April 2027, but Structure")
    assert rows["Handover"].due == D(2027, 4, 16)


def test_a_contract_without_milestones_has_no_path(world):
    path = contract_critical_path(contract=world.contract)
    assert (path.rows, path.chain, path.finish) == ([], [], None)


# The API


def test_api_gives_the_critical_path_to_any_party_user(plan, world):
    response = signed_in(world.client_viewer).get(
        f"{API}/contracts/{world.contract.pk}/critical-path"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["finish"] == "2027-04-30"
    assert body["chain"] == [plan[key].pk for key in "ABDP"]
    services = next(row for row in body["milestones"] if row["title"] == "Services")
    assert services == {
        "id": plan["C"].pk,
        "title": "Services",
        "kind": "deliverable",
        "status": "scheduled",
        "start": None,
        "due": "2027-03-17",
        "latest_finish": "2027-04-16",
        "total_float": 20,
        "critical": False,
        "pinned": False,
        "basis": "",
        "conflict": "",
    }


def test_api_critical_path_is_404_for_an_outsider(world):
    response = signed_in(world.outsider).get(f"{API}/contracts/{world.contract.pk}/critical-path")
    assert response.status_code == 404


# The page


def test_page_shows_the_chain_in_order_and_each_milestones_float(plan, world):
    url = reverse("contract-critical-path", args=[world.contract.pk])
    response = signed_in(world.supplier_member).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Critical path · HCC-2026-001</h1>" in body
    contract_url = reverse("reporting:contract-detail", args=[world.contract.pk])
    assert f'<a href="{contract_url}">HCC-2026-001</a>' in body
    chain = body[body.index('<ol class="chain">') : body.index("</ol>")]
    positions = [chain.index(title) for title in ("Foundations", "Structure", "Handover", "Final")]
    assert positions == sorted(positions)
    assert "Services" not in chain
    services = reverse("milestones:milestone-detail", args=[plan["C"].pk])
    assert f'<a href="{services}">Services</a>' in body
    assert '<td class="num">20</td>' in body
    assert "10 working days after Handover&#x27;s due date 16 April 2027" in body
    assert "<dd>30 Apr 2027</dd>" in body and "<dd>4 of 6 milestones</dd>" in body


def test_page_shows_a_conflict_and_negative_float(plan, world):
    milestone_reschedule(
        milestone=plan["A"], due_date=D(2027, 3, 19), reason="Late", actor=world.supplier_manager
    )
    body = (
        signed_in(world.client_manager)
        .get(reverse("contract-critical-path", args=[world.contract.pk]))
        .content.decode()
    )
    assert "float -5: behind a pinned date" in body
    assert "Pinned to 16 April 2027, but Structure would need it on 23 April 2027" in body


def test_page_pages_through_a_long_table(world, monkeypatch):
    from milepost.schedule.views import critical

    monkeypatch.setattr(critical, "PAGE", 2)
    monkeypatch.setattr(critical, "CHAIN_SHOWN", 1)
    steps = [
        world.deliverable(f"Step {n}", due_date=world.today + dt.timedelta(days=10 + n))
        for n in range(3)
    ]
    # Pinned, the first two have no float; the last finishes last: all three are critical.
    for step in steps[:2]:
        milestone_pin(milestone=step, pinned=True, actor=world.supplier_manager)
    client = signed_in(world.client_manager)
    url = reverse("contract-critical-path", args=[world.contract.pk])
    first = client.get(url).content.decode()
    assert "Page 1 of 2 (3 milestones, by due date)" in first and "Step 2" not in first
    assert "… and 2 more; the table below marks every one." in first
    second = client.get(url, {"page": "2"}).content.decode()
    assert "Step 2" in second and "Page 2 of 2" in second


def test_page_is_404_for_an_outsider(world):
    response = signed_in(world.outsider).get(
        reverse("contract-critical-path", args=[world.contract.pk])
    )
    assert response.status_code == 404


def test_page_of_a_contract_without_milestones_says_so(world):
    body = (
        signed_in(world.client_viewer)
        .get(reverse("contract-critical-path", args=[world.contract.pk]))
        .content.decode()
    )
    assert "No open milestone is critical" in body and "The contract has no milestones." in body
