"""Planning services: link types and lags, relative dates, pins, plans and who may move dates.

Dates are checked by hand against the England and Wales calendar: Easter 2027 falls on
Friday 26 March (Good Friday) and Monday 29 March (Easter Monday).
"""

import datetime as dt

import pytest

from milepost.accounts.choices import Role
from milepost.audit.models import Event
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_update
from milepost.core.errors import Forbidden
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.calendar import calendar_day_off_add, calendar_day_off_remove
from milepost.schedule.choices import Criticality, DependencyType, MilestoneStatus
from milepost.schedule.dependencies import dependency_add, dependency_remove, dependency_update
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.planning import (
    contract_graph,
    milestone_anchor_set,
    milestone_pin,
    milestone_plan_set,
)
from milepost.schedule.services import milestone_record_outcome, milestone_reschedule

from .conftest import make_user
from .helpers import refused

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday 1 March 2027
TODAY = dt.date(2027, 3, 1)
D = dt.date


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture(autouse=True)
def _england(clock, world) -> None:
    """Work to the England and Wales calendar, where Easter Monday is a bank holiday.

    The clock is held first, so that the world is built at ``START`` whatever the day: built on
    the real day, its contract would start after these dates from 2027.
    """
    Contract.objects.filter(pk=world.contract.pk).update(holiday_region="ENG")
    world.contract.refresh_from_db()


def due(milestone: Milestone) -> dt.date:
    milestone.refresh_from_db()
    return milestone.due_date


def ms(world, title: str, on: dt.date, **extra) -> Milestone:
    return world.deliverable(title, due_date=on, **extra)


def link(world, before: Milestone, after: Milestone, **terms) -> Dependency:
    return dependency_add(
        predecessor=before, successor=after, actor=world.supplier_manager, **terms
    )


# ---------------------------------------------------------------------------------------------
# link types and lags


@pytest.mark.parametrize(
    ("kind", "lag", "working", "expected"),
    [
        # A moves to run 15 → 19 March; B is a point in time due 10 March, before A.
        (DependencyType.FINISH_TO_START, 2, False, D(2027, 3, 21)),  # 19 + 2 days
        (DependencyType.START_TO_START, 2, False, D(2027, 3, 17)),  # 15 + 2 days
        (DependencyType.FINISH_TO_FINISH, -1, False, D(2027, 3, 18)),  # 19 - 1 day
        (DependencyType.START_TO_FINISH, 0, False, D(2027, 3, 15)),  # A's start
        # A moves to Thursday 25 March; five working days after it, Good Friday and Easter
        # Monday skipped: 30, 31 March and 1, 2, 5 April.
        (DependencyType.FINISH_TO_START, 5, True, D(2027, 4, 5)),
    ],
)
def test_a_moved_predecessor_pushes_its_successor_by_link_type_and_lag(
    world, kind, lag, working, expected
):
    first = ms(world, "Frame", D(2027, 3, 5))
    milestone_plan_set(milestone=first, start_date=D(2027, 3, 1), actor=world.supplier_manager)
    second = ms(world, "Cladding", D(2027, 3, 10))
    link(world, first, second, type=kind, lag=lag, working_days=working)
    assert due(second) == D(2027, 3, 10)  # a link moves no date by itself

    milestone_reschedule(
        milestone=first,
        due_date=D(2027, 3, 25) if working else D(2027, 3, 19),
        reason="Frame late",
        actor=world.supplier_manager,
    )

    assert due(second) == expected
    event = Event.objects.filter(action="milestone.rescheduled", object_id=second.pk).get()
    assert event.after["driven_by"] == first.title
    assert event.after["due_date"] == expected.isoformat()
    assert event.after["cause"] == "'Frame' moved: Frame late"


def test_a_successor_with_a_start_keeps_its_duration_when_pushed(world):
    first = ms(world, "Frame", D(2027, 3, 12))
    second = ms(world, "Fit-out", D(2027, 3, 22))
    milestone_plan_set(milestone=second, start_date=D(2027, 3, 18), actor=world.supplier_manager)
    link(world, first, second)

    milestone_reschedule(
        milestone=first, due_date=D(2027, 3, 19), reason="Late", actor=world.supplier_manager
    )

    second.refresh_from_db()
    assert (second.start_date, second.due_date) == (D(2027, 3, 19), D(2027, 3, 23))


def test_links_only_push_so_an_earlier_predecessor_leaves_the_successor(world):
    first = ms(world, "Frame", D(2027, 3, 19))
    second = ms(world, "Fit-out", D(2027, 4, 2))
    link(world, first, second)

    milestone_reschedule(
        milestone=first, due_date=D(2027, 3, 12), reason="Ahead", actor=world.supplier_manager
    )

    assert due(second) == D(2027, 4, 2)


def test_a_late_predecessor_moves_the_chain_and_each_move_names_its_cause(world):
    a = ms(world, "Foundation", D(2027, 3, 10))
    b = ms(world, "Structure", D(2027, 3, 12))
    c = ms(world, "Roof", D(2027, 3, 15))
    unrelated = ms(world, "Landscaping", D(2027, 3, 11))
    link(world, a, b, lag=1)
    link(world, b, c)
    events_before = Event.objects.count()

    milestone_reschedule(
        milestone=a, due_date=D(2027, 3, 20), reason="Rain", actor=world.supplier_manager
    )

    assert (due(b), due(c), due(unrelated)) == (D(2027, 3, 21), D(2027, 3, 21), D(2027, 3, 11))
    moved = Event.objects.filter(pk__gt=events_before, action="milestone.rescheduled")
    assert {e.object_id: e.after.get("driven_by", "") for e in moved} == {
        a.pk: "",
        b.pk: "Foundation",
        c.pk: "Structure",
    }
    assert all("Rain" in e.after["reason"] for e in moved)


def test_a_predecessor_met_late_leaves_linked_dates_as_agreed(world):
    a = ms(world, "Survey", D(2027, 2, 20))
    b = ms(world, "Design", D(2027, 2, 25))
    link(world, a, b, lag=3)

    deliverable_accept(milestone=a, actor=world.client_manager, met_on=D(2027, 2, 26))

    # Only a reschedule or an approved change moves an agreed date; the forecast shows the risk.
    assert due(b) == D(2027, 2, 25)
    assert not Event.objects.filter(action="milestone.rescheduled", object_id=b.pk).exists()


@pytest.mark.parametrize(
    ("terms", "code", "field"),
    [
        ({"type": "XX"}, "invalid_dependency_type", "type"),
        ({"lag": 1001}, "invalid_lag", "lag"),
        ({"lag": -1001}, "invalid_lag", "lag"),
    ],
)
def test_refuses_bad_link_terms(world, terms, code, field):
    a, b = ms(world, "A", D(2027, 3, 10)), ms(world, "B", D(2027, 3, 12))

    with refused(code, field):
        link(world, a, b, **terms)


def test_refuses_a_cycle_through_a_relative_date_and_names_it(world):
    a, b = ms(world, "Completion", D(2027, 3, 10)), ms(world, "Retention release", D(2027, 4, 10))
    milestone_anchor_set(
        milestone=b, anchor=a, offset=20, working_days=True, actor=world.supplier_manager
    )

    with refused("dependency_cycle", "predecessor") as caught:
        link(world, b, a)

    assert "Completion → Retention release → Completion" in caught.value.message


def test_updating_a_link_records_both_terms_and_the_next_move_keeps_them(world):
    a, b = ms(world, "A", D(2027, 3, 10)), ms(world, "B", D(2027, 3, 12))
    dependency = link(world, a, b)

    dependency_update(dependency=dependency, lag=7, actor=world.supplier_manager)

    assert due(b) == D(2027, 3, 12)  # a link moves no date by itself
    milestone_reschedule(
        milestone=a, due_date=D(2027, 3, 11), reason="x", actor=world.supplier_manager
    )
    assert due(b) == D(2027, 3, 18)
    event = Event.objects.filter(action="dependency.updated").get()
    assert (event.before["lag"], event.after["lag"]) == (0, 7)


def test_an_unchanged_link_update_writes_nothing(world):
    a, b = ms(world, "A", D(2027, 3, 10)), ms(world, "B", D(2027, 3, 12))
    dependency = link(world, a, b)
    before = Event.objects.count()

    dependency_update(dependency=dependency, lag=0, actor=world.supplier_manager)

    assert Event.objects.count() == before


@pytest.mark.parametrize("who", ["supplier_member", "client_viewer"])
def test_only_managers_change_links(world, who):
    a, b = ms(world, "A", D(2027, 3, 10)), ms(world, "B", D(2027, 3, 12))
    dependency = link(world, a, b)

    with refused("forbidden", error=Forbidden):
        dependency_update(dependency=dependency, lag=3, actor=getattr(world, who))


# ---------------------------------------------------------------------------------------------
# relative dates


def test_a_relative_date_counts_working_days_and_says_how(world):
    completion = ms(world, "Practical Completion", D(2027, 3, 19))
    payment = ms(world, "Final account", D(2027, 6, 1))

    milestone_anchor_set(
        milestone=payment,
        anchor=completion,
        offset=10,
        working_days=True,
        actor=world.client_manager,
    )

    payment.refresh_from_db()
    # 10 working days after Friday 19 March: 22-25 March, then (skipping 26 and 29 March)
    # 30, 31 March and 1, 2, 5, 6 April.
    assert payment.due_date == D(2027, 4, 6)
    assert payment.date_basis == (
        "10 working days after Practical Completion is met (not yet: counted from its due date "
        "19 March 2027); 2 holidays skipped"
    )
    assert Event.objects.filter(action="milestone.anchor_set", object_id=payment.pk).exists()


def test_a_relative_date_follows_its_anchor_earlier_and_later(world):
    anchor = ms(world, "Handover", D(2027, 3, 10))
    follower = ms(world, "Training", D(2027, 5, 1))
    milestone_anchor_set(
        milestone=follower,
        anchor=anchor,
        event="due",
        offset=14,
        actor=world.supplier_manager,
    )
    assert due(follower) == D(2027, 3, 24)

    milestone_reschedule(
        milestone=anchor, due_date=D(2027, 3, 5), reason="Early", actor=world.supplier_manager
    )

    assert due(follower) == D(2027, 3, 19)


def test_a_relative_date_is_recomputed_when_its_anchor_is_met(world):
    anchor = ms(world, "Completion certificate", D(2027, 3, 10))
    payment = ms(world, "Retention", D(2027, 5, 1))
    milestone_anchor_set(milestone=payment, anchor=anchor, offset=14, actor=world.client_manager)
    assert due(payment) == D(2027, 3, 24)

    deliverable_accept(milestone=anchor, actor=world.client_manager, met_on=D(2027, 2, 25))

    payment.refresh_from_db()
    assert payment.due_date == D(2027, 3, 11)
    assert payment.date_basis == "14 days after Completion certificate met on 25 February 2027"
    event = Event.objects.filter(action="milestone.rescheduled", object_id=payment.pk).last()
    assert event is not None
    assert "met on 2027-02-25" in event.after["cause"]


def test_a_relative_date_cannot_be_rescheduled_by_hand(world):
    anchor = ms(world, "Handover", D(2027, 3, 10))
    follower = ms(world, "Training", D(2027, 5, 1))
    milestone_anchor_set(milestone=follower, anchor=anchor, offset=3, actor=world.supplier_manager)
    follower.refresh_from_db()

    with refused("date_is_relative", "due_date"):
        milestone_reschedule(
            milestone=follower, due_date=D(2027, 4, 1), reason="x", actor=world.supplier_manager
        )


def test_clearing_an_anchor_keeps_the_date_and_fixes_it(world):
    anchor = ms(world, "Handover", D(2027, 3, 10))
    follower = ms(world, "Training", D(2027, 5, 1))
    milestone_anchor_set(milestone=follower, anchor=anchor, offset=3, actor=world.supplier_manager)

    milestone_anchor_set(milestone=follower, anchor=None, actor=world.supplier_manager)

    follower.refresh_from_db()
    assert (follower.anchor_id, follower.due_date, follower.date_basis) == (
        None,
        D(2027, 3, 13),
        "",
    )
    assert Event.objects.filter(action="milestone.anchor_cleared").exists()


@pytest.mark.parametrize(
    ("setup", "code", "field"),
    [
        ("self", "self_anchor", "anchor"),
        ("bad_event", "invalid_anchor_event", "event"),
        ("offset", "invalid_offset", "offset"),
        ("before_start", "due_before_start", "offset"),
    ],
)
def test_refuses_a_bad_anchor(world, setup, code, field):
    anchor = ms(world, "Handover", D(2027, 3, 10))
    follower = ms(world, "Training", D(2027, 5, 1))
    args = {"milestone": follower, "anchor": anchor, "actor": world.supplier_manager}
    if setup == "self":
        args["anchor"] = follower
    elif setup == "bad_event":
        args["event"] = "started"
    elif setup == "offset":
        args["offset"] = 5000
    else:
        args["offset"] = -200

    with refused(code, field):
        milestone_anchor_set(**args)

    follower.refresh_from_db()
    assert (follower.anchor_id, follower.due_date) == (None, D(2027, 5, 1))


# ---------------------------------------------------------------------------------------------
# pinned dates


def test_a_pinned_date_does_not_move_and_the_push_is_flagged(world):
    a = ms(world, "Structure", D(2027, 3, 10))
    pinned = ms(world, "Opening ceremony", D(2027, 3, 20))
    after_pin = ms(world, "Snagging", D(2027, 3, 22))
    milestone_pin(milestone=pinned, pinned=True, actor=world.client_manager)
    link(world, a, pinned, lag=5)
    link(world, pinned, after_pin, lag=1)

    milestone_reschedule(
        milestone=a, due_date=D(2027, 3, 18), reason="Steel late", actor=world.supplier_manager
    )

    pinned.refresh_from_db()
    assert pinned.due_date == D(2027, 3, 20)
    assert pinned.schedule_conflict == (
        "Pinned to 20 March 2027, but Structure would need it on 23 March 2027 (3 days later)."
    )
    # What follows the pin is reckoned from the pinned date, which held.
    assert due(after_pin) == D(2027, 3, 22)
    flagged = Event.objects.filter(action="milestone.schedule_conflict").get()
    assert flagged.object_id == pinned.pk


def test_unpinning_lets_the_waiting_push_through_and_clears_the_conflict(world):
    a = ms(world, "Structure", D(2027, 3, 10))
    pinned = ms(world, "Opening ceremony", D(2027, 3, 20))
    milestone_pin(milestone=pinned, pinned=True, actor=world.client_manager)
    link(world, a, pinned, lag=5)
    milestone_reschedule(
        milestone=a, due_date=D(2027, 3, 18), reason="x", actor=world.supplier_manager
    )
    pinned.refresh_from_db()
    assert pinned.schedule_conflict

    milestone_pin(milestone=pinned, pinned=False, actor=world.client_manager)

    pinned.refresh_from_db()
    assert (pinned.due_date, pinned.schedule_conflict) == (D(2027, 3, 23), "")


def test_a_pinned_date_cannot_be_rescheduled_directly(world):
    pinned = ms(world, "Opening ceremony", D(2027, 3, 20))
    milestone_pin(milestone=pinned, pinned=True, actor=world.client_manager)

    with refused("milestone_pinned", "due_date"):
        milestone_reschedule(
            milestone=pinned, due_date=D(2027, 3, 27), reason="x", actor=world.supplier_manager
        )


def test_a_relative_date_cannot_be_pinned_and_a_pinned_one_cannot_be_made_relative(world):
    anchor = ms(world, "Handover", D(2027, 3, 10))
    follower = ms(world, "Training", D(2027, 5, 1))
    milestone_anchor_set(milestone=follower, anchor=anchor, offset=3, actor=world.supplier_manager)
    follower.refresh_from_db()
    with refused("date_is_relative", "pinned"):
        milestone_pin(milestone=follower, pinned=True, actor=world.client_manager)

    other = ms(world, "Opening", D(2027, 5, 1))
    milestone_pin(milestone=other, pinned=True, actor=world.client_manager)
    with refused("milestone_pinned", "anchor"):
        milestone_anchor_set(milestone=other, anchor=anchor, actor=world.client_manager)


def test_removing_the_link_that_pushed_clears_the_conflict(world):
    a = ms(world, "Structure", D(2027, 3, 10))
    pinned = ms(world, "Opening ceremony", D(2027, 3, 20))
    milestone_pin(milestone=pinned, pinned=True, actor=world.client_manager)
    dependency = link(world, a, pinned, lag=5)
    milestone_reschedule(
        milestone=a, due_date=D(2027, 3, 18), reason="x", actor=world.supplier_manager
    )
    pinned.refresh_from_db()
    assert pinned.schedule_conflict

    dependency_remove(dependency=dependency, actor=world.supplier_manager)

    pinned.refresh_from_db()
    assert pinned.schedule_conflict == ""


# ---------------------------------------------------------------------------------------------
# plans


def test_a_later_start_pushes_a_start_to_start_successor(world):
    a = ms(world, "Excavation", D(2027, 3, 20))
    b = ms(world, "Shoring", D(2027, 3, 16))
    milestone_plan_set(milestone=a, start_date=D(2027, 3, 10), actor=world.supplier_member)
    link(world, a, b, type=DependencyType.START_TO_START, lag=2)
    assert due(b) == D(2027, 3, 16)

    milestone_plan_set(milestone=a, start_date=D(2027, 3, 15), actor=world.supplier_member)

    assert due(b) == D(2027, 3, 17)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"start_date": D(2027, 5, 2)}, "start_after_due", "start_date"),
        ({"start_date": D(2020, 1, 1)}, "start_before_contract", "start_date"),
        ({"estimate": (5, 3, 8)}, "invalid_estimate", "estimate_likely"),
        ({"estimate": (1, 2, 5000)}, "invalid_estimate", "estimate_pessimistic"),
    ],
)
def test_refuses_a_bad_plan(world, changes, code, field):
    milestone = ms(world, "Fit-out", D(2027, 5, 1))

    with refused(code, field):
        milestone_plan_set(milestone=milestone, actor=world.supplier_member, **changes)


def test_a_three_point_estimate_is_saved_and_recorded(world):
    milestone = ms(world, "Fit-out", D(2027, 5, 1))

    milestone_plan_set(milestone=milestone, estimate=(10, 15, 30), actor=world.supplier_member)

    milestone.refresh_from_db()
    assert (
        milestone.estimate_optimistic,
        milestone.estimate_likely,
        milestone.estimate_pessimistic,
    ) == (10, 15, 30)
    event = Event.objects.filter(action="milestone.planned").get()
    assert event.after == {
        "estimate_optimistic": 10,
        "estimate_likely": 15,
        "estimate_pessimistic": 30,
    }


def test_only_the_owner_or_a_manager_plans(world):
    milestone = ms(world, "Fit-out", D(2027, 5, 1))

    with refused("not_owner", error=Forbidden):
        milestone_plan_set(milestone=milestone, estimate=(1, 2, 3), actor=world.client_member)


# ---------------------------------------------------------------------------------------------
# who may move a date without a change request


def test_a_party_moves_its_own_standard_milestone_directly(world):
    milestone = ms(world, "Fit-out", D(2027, 5, 1))

    milestone_reschedule(
        milestone=milestone, due_date=D(2027, 5, 8), reason="Late", actor=world.supplier_manager
    )

    assert due(milestone) == D(2027, 5, 8)


@pytest.mark.parametrize("case", ["critical", "other_party", "contract_forbids"])
def test_other_date_moves_need_a_change_request(world, case):
    milestone = ms(
        world,
        "Fit-out",
        D(2027, 5, 1),
        criticality=Criticality.CRITICAL if case == "critical" else Criticality.STANDARD,
    )
    mover = world.client_manager if case == "other_party" else world.supplier_manager
    if case == "contract_forbids":
        contract_update(contract=world.contract, self_reschedule=False, actor=world.client_manager)
        milestone.contract.refresh_from_db()

    with refused("change_request_required", error=Forbidden):
        milestone_reschedule(
            milestone=milestone, due_date=D(2027, 5, 8), reason="Late", actor=mover
        )


def test_the_contract_graph_loads_in_three_queries(world, django_assert_num_queries):
    a, b = ms(world, "A", D(2027, 3, 10)), ms(world, "B", D(2027, 3, 12))
    link(world, a, b, lag=2, working_days=True)
    milestone_record_outcome(
        milestone=a, status=MilestoneStatus.IN_PROGRESS, actor=world.supplier_member
    )

    with django_assert_num_queries(3):
        loaded = contract_graph(contract=world.contract)

    assert loaded.graph.links[0].lag == 2 and loaded.graph.links[0].working
    assert loaded.graph.nodes[a.pk].status == MilestoneStatus.IN_PROGRESS


def test_a_new_day_off_moves_dates_counted_in_working_days_and_removing_it_moves_them_back(
    world,
):
    completion = ms(world, "Practical Completion", D(2027, 4, 9))  # a Friday
    payment = ms(world, "Final account", D(2027, 6, 1))
    milestone_anchor_set(
        milestone=payment,
        anchor=completion,
        offset=3,
        working_days=True,
        actor=world.client_manager,
    )
    assert due(payment) == D(2027, 4, 14)
    admin = make_user("cara", world.client_org, Role.ADMIN)

    day_off = calendar_day_off_add(
        contract=world.contract, day=D(2027, 4, 13), reason="Site shutdown", actor=admin
    )

    assert due(payment) == D(2027, 4, 15)
    event = Event.objects.filter(action="milestone.rescheduled", object_id=payment.pk).last()
    assert event is not None and "non-working day" in event.after["cause"]

    calendar_day_off_remove(day_off=day_off, actor=admin)

    assert due(payment) == D(2027, 4, 14)
