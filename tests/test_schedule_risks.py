"""Early warnings and recovery actions: services, selectors, API and pages."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.accounts.services import membership_set, organisation_create
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.services import (
    contract_set_status,
    contract_update,
    party_add,
)
from milepost.core.errors import Forbidden, NotFound
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneKind, MilestoneStatus, RecoveryStatus, WarningStatus
from milepost.schedule.models import EarlyWarning, Milestone, RecoveryAction
from milepost.schedule.risks import risk_owners_for_contract, score_band
from milepost.schedule.risks.early_warnings import (
    early_warning_close,
    early_warning_get_for_user,
    early_warning_raise,
    early_warning_reopen,
    early_warning_update,
    early_warnings_for_contract,
    milestones_by_ids,
    open_warnings_for_milestone,
    warning_milestone_choices,
)
from milepost.schedule.risks.recovery import (
    milestone_health,
    recovery_action_add,
    recovery_action_complete,
    recovery_action_get_for_user,
    recovery_action_update,
    recovery_actions_for_milestone,
)
from milepost.schedule.risks.register import risk_panel, warning_matrix
from milepost.schedule.selectors import milestone_get_for_user
from milepost.schedule.services import milestone_create, milestone_set_status

from .conftest import make_user
from .helpers import refused, signed_in

API = "/api/v1"
DAY = dt.timedelta(days=1)


# Helpers


def raise_warning(world, *, actor=None, milestones=None, **overrides) -> EarlyWarning:
    fields = {
        "contract": world.contract,
        "title": "Steel delivery may slip",
        "likelihood": 4,
        "impact": 3,
        "milestones": milestones if milestones is not None else [world.deliverable()],
        "owner": world.supplier_member,
        "actor": actor or world.supplier_member,
        "mitigation": "Second supplier on standby.",
    }
    fields.update(overrides)
    return early_warning_raise(**fields)


def at_risk(world, title="Frame erected") -> Milestone:
    """A supplier deliverable due in five days with no progress: at risk."""
    return world.deliverable(title, due_date=world.today + 5 * DAY)


def overdue(world, title="Roof on") -> Milestone:
    return world.deliverable(title, due_date=world.today - 5 * DAY)


def add_action(world, milestone=None, *, actor=None, **overrides) -> RecoveryAction:
    fields = {
        "milestone": milestone or overdue(world),
        "cause": "Crane broke down.",
        "plan": "Hire a second crane and work Saturdays.",
        "owner": world.supplier_member,
        "new_target": world.today + 10 * DAY,
        "actor": actor or world.supplier_member,
    }
    fields.update(overrides)
    return recovery_action_add(**fields)


def events(action: str) -> list[Event]:
    return list(Event.objects.filter(action=action))


def observer(world) -> User:
    """A member of an organisation that is an observer party to the contract."""
    org = organisation_create(name="Audit Office", actor=None)
    party_add(
        contract=world.contract,
        organisation=org,
        role=PartyRole.OBSERVER,
        actor=world.client_manager,
    )
    return make_user("olive", org, Role.MEMBER)


def other_contract_milestone(world) -> Milestone:
    contract = world.other_contract(
        title="Harbour car park",
        value=1000,
        start_date=world.today - 10 * DAY,
        end_date=world.today + 100 * DAY,
    )
    return milestone_create(
        contract=contract,
        kind=MilestoneKind.DELIVERABLE,
        title="Car park surfaced",
        owner=world.supplier_member,
        responsible_party=contract.parties.get(role=PartyRole.SUPPLIER),
        accepting_party=contract.parties.get(role=PartyRole.CLIENT),
        due_date=world.today + 20 * DAY,
        acceptance_criteria="Surface inspected.",
        actor=world.supplier_manager,
    )


def complete_contract(world) -> None:
    contract_set_status(
        contract=world.contract, status=ContractStatus.COMPLETED, actor=world.client_manager
    )
    world.contract.refresh_from_db()


# Early warnings: raising


def test_contributor_raises_a_warning_for_their_party_and_an_event_is_written(world):
    foundation = world.deliverable()

    warning = raise_warning(world, milestones=[foundation])

    assert warning.status == WarningStatus.OPEN
    assert warning.raised_by == world.supplier_member
    assert warning.raised_by_party == world.supplier
    assert list(warning.milestones.all()) == [foundation]
    [event] = events("early_warning.raised")
    assert event.contract_id == world.contract.pk and event.object_id == warning.pk
    assert event.after["score"] == 12
    assert event.after["milestones"] == [foundation.pk]
    assert event.after["owner"] == "sid"


def test_raising_party_is_the_first_milestones_responsible_party_when_the_actor_acts_for_it(world):
    # Colin acts for the client and, from now on, the supplier too.
    membership_set(
        user=world.client_member, organisation=world.supplier_org, role=Role.MEMBER, actor=None
    )
    warning = raise_warning(world, actor=world.client_member)
    assert warning.raised_by_party == world.supplier


def test_raising_party_falls_back_to_the_actors_first_party(world):
    membership_set(
        user=world.client_member, organisation=world.supplier_org, role=Role.MEMBER, actor=None
    )
    consultants = world.deliverable(
        "Design review",
        owner=world.consultant_manager,
        responsible_party=world.consultant,
        actor=world.client_manager,
    )
    warning = raise_warning(world, actor=world.client_member, milestones=[consultants])
    assert warning.raised_by_party == world.client


def test_repeated_milestones_are_linked_once(world):
    foundation = world.deliverable()
    warning = raise_warning(world, milestones=[foundation, foundation])
    assert list(warning.milestones.all()) == [foundation]


@pytest.mark.parametrize("who", ["client_viewer", "outsider"])
def test_viewers_and_outsiders_cannot_raise_a_warning(world, who):
    milestone = world.deliverable()
    with refused("forbidden", error=Forbidden):
        raise_warning(world, actor=getattr(world, who), milestones=[milestone])
    assert not EarlyWarning.objects.exists()


def test_observer_party_members_cannot_raise_a_warning(world):
    olive = observer(world)
    with pytest.raises(Forbidden) as caught:
        raise_warning(world, actor=olive)
    assert caught.value.code == "forbidden"


def test_rejects_a_warning_without_a_title(world):
    milestones = [world.deliverable()]
    with refused("required", "title"):
        raise_warning(world, milestones=milestones, title="   ")


def test_rejects_a_title_longer_than_its_column(world):
    milestones = [world.deliverable()]
    with refused("too_long", "title"):
        raise_warning(world, milestones=milestones, title="x" * 201)


@pytest.mark.parametrize("field", ["likelihood", "impact"])
@pytest.mark.parametrize("value", [0, 6, True, "3"])
def test_rejects_likelihood_or_impact_outside_one_to_five(world, field, value):
    milestones = [world.deliverable()]
    with refused("out_of_range", field):
        raise_warning(world, milestones=milestones, **{field: value})


def test_rejects_a_warning_without_milestones(world):
    with refused("milestones_required", "milestones"):
        raise_warning(world, milestones=[])


def test_rejects_a_milestone_of_another_contract(world):
    elsewhere = other_contract_milestone(world)
    milestones = [world.deliverable(), elsewhere]
    with refused("milestone_not_in_contract", "milestones") as caught:
        raise_warning(world, milestones=milestones)
    error = caught.value
    # The other contract's milestone is named by id only.
    assert "Car park" not in error.message


@pytest.mark.parametrize("who", ["client_viewer", "outsider", "observer"])
def test_rejects_an_owner_who_is_not_a_member_of_an_acting_party(world, who):
    owner = observer(world) if who == "observer" else getattr(world, who)
    milestones = [world.deliverable()]
    with refused("owner_not_eligible", "owner"):
        raise_warning(world, milestones=milestones, owner=owner)


def test_owners_are_active_members_of_acting_parties(world):
    olive = observer(world)
    world.supplier_manager.is_active = False
    world.supplier_manager.save(update_fields=["is_active"])
    owners = set(
        risk_owners_for_contract(contract=world.contract).values_list("username", flat=True)
    )
    assert owners == {"cora", "colin", "sid", "connor"}
    assert olive.username not in owners


def test_rejects_raising_a_warning_on_a_closed_contract(world):
    milestone = world.deliverable()
    complete_contract(world)
    with refused("contract_closed", "contract"):
        raise_warning(world, milestones=[milestone])


# Early warnings: updating


def test_owner_updates_a_warning_and_the_event_holds_only_what_changed(world):
    warning = raise_warning(world, owner=world.client_member)

    early_warning_update(
        warning=warning, actor=world.client_member, likelihood=5, title=" Steel delivery may slip "
    )

    warning.refresh_from_db()
    assert warning.likelihood == 5
    [event] = events("early_warning.updated")
    assert event.before == {"likelihood": 4} and event.after == {"likelihood": 5}
    assert event.contract_id == world.contract.pk


def test_updating_milestones_relinks_them_and_records_the_ids(world):
    first, second = world.deliverable("A"), world.deliverable("B")
    warning = raise_warning(world, milestones=[first])

    early_warning_update(warning=warning, actor=world.supplier_member, milestones=[second, first])

    assert set(warning.milestones.all()) == {first, second}
    [event] = events("early_warning.updated")
    assert event.before == {"milestones": [first.pk]}
    assert event.after == {"milestones": sorted([first.pk, second.pk])}


def test_an_update_that_changes_nothing_writes_no_event(world):
    milestone = world.deliverable()
    warning = raise_warning(world, milestones=[milestone])
    early_warning_update(
        warning=warning, actor=world.supplier_member, impact=3, milestones=[milestone]
    )
    assert events("early_warning.updated") == []


@pytest.mark.parametrize("who", ["supplier_member", "client_manager", "consultant_manager"])
def test_raiser_and_managers_of_any_acting_party_may_update(world, who):
    warning = raise_warning(world, owner=world.client_member)
    early_warning_update(warning=warning, actor=getattr(world, who), impact=5)
    assert EarlyWarning.objects.get().impact == 5


def test_a_member_who_neither_owns_nor_raised_it_cannot_update(world):
    warning = raise_warning(world)
    with refused("not_warning_editor", error=Forbidden):
        early_warning_update(warning=warning, actor=world.client_member, impact=5)


def test_a_viewer_cannot_update_even_a_warning_they_own(world):
    warning = raise_warning(world)
    membership_set(
        user=world.supplier_member, organisation=world.supplier_org, role=Role.VIEWER, actor=None
    )
    with refused("forbidden", error=Forbidden):
        early_warning_update(warning=warning, actor=world.supplier_member, impact=5)


def test_rejects_updating_a_field_that_is_not_editable(world):
    warning = raise_warning(world)
    with refused("not_editable", "status"):
        early_warning_update(warning=warning, actor=world.supplier_member, status="closed")


def test_a_refused_update_leaves_the_warning_as_stored(world):
    warning = raise_warning(world)
    with refused("out_of_range", "impact"):
        early_warning_update(warning=warning, actor=world.supplier_member, impact=9)
    assert warning.impact == 3
    with refused("owner_not_eligible", "owner"):
        early_warning_update(
            warning=warning, actor=world.supplier_member, owner=world.client_viewer
        )
    assert warning.owner == world.supplier_member


def test_rejects_updating_milestones_to_none_or_to_another_contracts(world):
    warning = raise_warning(world)
    with refused("milestones_required", "milestones"):
        early_warning_update(warning=warning, actor=world.supplier_member, milestones=[])
    elsewhere = other_contract_milestone(world)
    with refused("milestone_not_in_contract", "milestones"):
        early_warning_update(warning=warning, actor=world.supplier_member, milestones=[elsewhere])


def test_rejects_updating_a_closed_warning(world):
    warning = raise_warning(world)
    early_warning_close(warning=warning, note="Passed.", actor=world.supplier_member)
    with refused("warning_closed", "status"):
        early_warning_update(warning=warning, actor=world.supplier_member, impact=1)


def test_rejects_updating_on_a_closed_contract(world):
    warning = raise_warning(world)
    complete_contract(world)
    warning.contract.refresh_from_db()
    with refused("contract_closed", "contract"):
        early_warning_update(warning=warning, actor=world.supplier_member, impact=1)


# Early warnings: closing and reopening


def test_closing_a_warning_needs_a_note_and_records_it(world):
    warning = raise_warning(world)
    with refused("note_required", "note"):
        early_warning_close(warning=warning, note="  ", actor=world.supplier_member)

    with time_machine.travel(dt.datetime(2031, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        early_warning_close(warning=warning, note=" Steel arrived. ", actor=world.supplier_member)

    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLOSED
    assert warning.closing_note == "Steel arrived."
    assert warning.closed_at == dt.datetime(2031, 3, 4, 9, 0, tzinfo=dt.UTC)
    [event] = events("early_warning.closed")
    assert event.after == {"status": "closed", "note": "Steel arrived."}
    assert event.contract_id == world.contract.pk


def test_rejects_closing_a_closed_warning(world):
    warning = raise_warning(world)
    early_warning_close(warning=warning, note="Passed.", actor=world.supplier_member)
    with refused("already_closed", "status"):
        early_warning_close(warning=warning, note="Again.", actor=world.supplier_member)


def test_reopening_clears_the_closing_note_and_writes_an_event(world):
    warning = raise_warning(world)
    early_warning_close(warning=warning, note="Passed.", actor=world.supplier_member)

    early_warning_reopen(warning=warning, actor=world.client_manager)

    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN
    assert (warning.closed_at, warning.closing_note) == (None, "")
    [event] = events("early_warning.reopened")
    assert event.before == {"status": "closed", "closing_note": "Passed."}
    assert event.contract_id == world.contract.pk


def test_rejects_reopening_an_open_warning(world):
    warning = raise_warning(world)
    with refused("already_open", "status"):
        early_warning_reopen(warning=warning, actor=world.supplier_member)


def test_only_owner_raiser_or_manager_closes_or_reopens(world):
    warning = raise_warning(world)
    with refused("not_warning_editor", error=Forbidden):
        early_warning_close(warning=warning, note="Mine now.", actor=world.client_member)
    early_warning_close(warning=warning, note="Passed.", actor=world.supplier_member)
    with refused("not_warning_editor", error=Forbidden):
        early_warning_reopen(warning=warning, actor=world.client_member)


def test_rejects_closing_on_a_closed_contract(world):
    warning = raise_warning(world)
    complete_contract(world)
    warning.contract.refresh_from_db()
    with refused("contract_closed", "contract"):
        early_warning_close(warning=warning, note="Done.", actor=world.supplier_member)


# Recovery actions


def test_responsible_party_member_adds_a_recovery_action_to_an_overdue_milestone(world):
    milestone = overdue(world)

    action = add_action(world, milestone, cause=" Crane broke down. ")

    assert action.status == RecoveryStatus.OPEN and action.cause == "Crane broke down."
    assert action.created_by == world.supplier_member
    [event] = events("recovery_action.added")
    assert (event.milestone_id, event.contract_id) == (milestone.pk, world.contract.pk)
    assert event.after["owner"] == "sid"
    assert event.after["new_target"] == (world.today + 10 * DAY).isoformat()


def test_recovery_action_for_an_at_risk_milestone(world):
    milestone = at_risk(world)
    assert milestone_health(milestone=milestone) == "at_risk"
    assert add_action(world, milestone).milestone == milestone


def test_recovery_action_for_a_milestone_marked_not_met(world):
    milestone = world.deliverable()
    milestone_set_status(
        milestone=milestone,
        status=MilestoneStatus.NOT_MET,
        reason="Missed the window.",
        actor=world.client_manager,
    )
    assert add_action(world, milestone).milestone == milestone


def test_rejects_a_recovery_action_for_an_on_track_milestone(world):
    milestone = world.deliverable()
    with refused("milestone_not_at_risk", "milestone"):
        add_action(world, milestone)


def test_rejects_a_recovery_action_for_a_milestone_already_done(world):
    milestone = at_risk(world)
    deliverable_accept(milestone=milestone, actor=world.client_manager)
    with refused("milestone_not_at_risk", "milestone") as caught:
        add_action(world, milestone)
    error = caught.value
    assert "done" in error.message


@pytest.mark.parametrize("who", ["client_manager", "consultant_manager", "supplier_manager"])
def test_managers_of_any_acting_party_add_recovery_actions(world, who):
    assert add_action(world, actor=getattr(world, who)).created_by == getattr(world, who)


def test_a_member_of_another_party_cannot_add_a_recovery_action(world):
    with pytest.raises(Forbidden) as caught:
        add_action(world, actor=world.client_member)
    assert caught.value.code == "not_recovery_editor"


@pytest.mark.parametrize("who", ["supplier_viewer", "outsider"])
def test_viewers_and_outsiders_cannot_add_recovery_actions(world, who):
    with pytest.raises(Forbidden) as caught:
        add_action(world, actor=getattr(world, who))
    assert caught.value.code == "forbidden"


@pytest.mark.parametrize("field", ["cause", "plan"])
def test_rejects_a_recovery_action_without_cause_or_plan(world, field):
    milestone = overdue(world)
    with refused("required", field):
        add_action(world, milestone, **{field: " "})


def test_rejects_a_recovery_owner_who_is_a_viewer(world):
    milestone = overdue(world)
    with refused("owner_not_eligible", "owner"):
        add_action(world, milestone, owner=world.client_viewer)


def test_new_target_is_judged_by_the_contracts_own_date(world):
    contract_update(
        contract=world.contract, time_zone="Pacific/Kiritimati", actor=world.client_manager
    )
    milestone = overdue(world)
    utc_day = world.today + 2 * DAY
    # Noon UTC is already 02:00 the next day on Kiritimati (UTC+14).
    noon = dt.datetime.combine(utc_day, dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(noon, tick=False):
        with refused("target_in_past", "new_target"):
            add_action(world, milestone, new_target=utc_day)
        assert add_action(world, milestone, new_target=utc_day + DAY).new_target == utc_day + DAY


def test_rejects_a_recovery_action_on_a_closed_contract(world):
    milestone = overdue(world)
    complete_contract(world)
    milestone.contract.refresh_from_db()
    with refused("contract_closed", "contract"):
        add_action(world, milestone)


def test_updating_a_recovery_action_records_what_changed(world):
    action = add_action(world)

    recovery_action_update(
        action=action, actor=world.supplier_manager, plan="Night shifts.", cause="Crane broke down."
    )

    action.refresh_from_db()
    assert action.plan == "Night shifts."
    [event] = events("recovery_action.updated")
    assert event.before == {"plan": "Hire a second crane and work Saturdays."}
    assert event.after == {"plan": "Night shifts."}
    assert event.milestone_id == action.milestone_id


def test_a_recovery_update_that_changes_nothing_writes_no_event(world):
    action = add_action(world)
    recovery_action_update(action=action, actor=world.supplier_member, cause="Crane broke down.")
    assert events("recovery_action.updated") == []


def test_a_refused_recovery_update_leaves_the_action_as_stored(world):
    action = add_action(world)
    with refused("target_in_past", "new_target"):
        recovery_action_update(
            action=action, actor=world.supplier_member, new_target=world.today - DAY
        )
    assert action.new_target == world.today + 10 * DAY
    with refused("required", "plan"):
        recovery_action_update(action=action, actor=world.supplier_member, plan="")
    with refused("owner_not_eligible", "owner"):
        recovery_action_update(action=action, actor=world.supplier_member, owner=world.outsider)
    assert action.owner == world.supplier_member


def test_the_actions_own_owner_may_update_and_complete_it(world):
    action = add_action(world, owner=world.client_member)
    recovery_action_update(action=action, actor=world.client_member, plan="Client supplies crane.")
    recovery_action_complete(action=action, actor=world.client_member)
    assert action.status == RecoveryStatus.DONE


def test_a_member_of_another_party_cannot_update_or_complete_a_recovery_action(world):
    action = add_action(world)
    with refused("not_recovery_editor", error=Forbidden):
        recovery_action_update(action=action, actor=world.client_member, plan="Mine.")
    with refused("not_recovery_editor", error=Forbidden):
        recovery_action_complete(action=action, actor=world.client_member)


def test_completing_a_recovery_action_marks_it_done_with_an_event(world):
    action = add_action(world)
    moment = dt.datetime.combine(world.today, dt.time(15), tzinfo=ZoneInfo("Europe/London"))

    with time_machine.travel(moment, tick=False):
        recovery_action_complete(action=action, actor=world.supplier_member)

    action.refresh_from_db()
    assert action.status == RecoveryStatus.DONE and action.done_at == moment
    [event] = events("recovery_action.completed")
    assert event.after == {"status": "done"}
    assert (event.milestone_id, event.contract_id) == (action.milestone_id, world.contract.pk)


def test_rejects_completing_a_done_action_or_changing_it(world):
    action = add_action(world)
    recovery_action_complete(action=action, actor=world.supplier_member)
    with refused("already_done", "status"):
        recovery_action_complete(action=action, actor=world.supplier_member)
    with refused("action_done", "status"):
        recovery_action_update(action=action, actor=world.supplier_member, plan="More.")


def test_rejects_changing_a_recovery_action_on_a_closed_contract(world):
    action = add_action(world)
    complete_contract(world)
    action.milestone.contract.refresh_from_db()
    with refused("contract_closed", "contract"):
        recovery_action_complete(action=action, actor=world.supplier_member)
    with refused("contract_closed", "contract"):
        recovery_action_update(action=action, actor=world.supplier_member, plan="x")


# Selectors


def test_register_lists_open_warnings_first_then_by_score(world):
    low = raise_warning(world, title="Low", likelihood=2, impact=2)
    high = raise_warning(world, title="High", likelihood=5, impact=4)
    closed = raise_warning(world, title="Closed", likelihood=5, impact=5)
    early_warning_close(warning=closed, note="Passed.", actor=world.supplier_member)

    rows = list(early_warnings_for_contract(user=world.client_viewer, contract=world.contract))

    assert [(w.title, w.score) for w in rows] == [("High", 20), ("Low", 4), ("Closed", 25)]
    only_closed = early_warnings_for_contract(
        user=world.client_viewer, contract=world.contract, status=WarningStatus.CLOSED
    )
    assert [w.pk for w in only_closed] == [closed.pk]
    assert [
        w.pk
        for w in early_warnings_for_contract(
            user=world.client_viewer, contract=world.contract, status="open"
        )
    ] == [high.pk, low.pk]


def test_register_refuses_an_unknown_status(world):
    with refused("invalid_status", "status"):
        early_warnings_for_contract(
            user=world.client_viewer, contract=world.contract, status="maybe"
        )


def test_register_reads_milestones_and_people_in_a_fixed_number_of_queries(
    world, django_assert_num_queries
):
    milestones = [world.deliverable(f"M{i}") for i in range(3)]
    for i in range(4):
        raise_warning(world, title=f"W{i}", milestones=milestones[: i % 3 + 1])

    with django_assert_num_queries(2):
        rows = list(
            early_warnings_for_contract(user=world.supplier_member, contract=world.contract)
        )
        seen = [
            (
                w.owner.username,
                w.raised_by.username,
                str(w.raised_by_party.organisation),
                [m.title for m in w.milestones.all()],
                w.contract.reference,
            )
            for w in rows
        ]
    assert len(seen) == 4


def test_outsiders_see_no_warnings_and_no_recovery_actions(world):
    warning = raise_warning(world)
    action = add_action(world)

    assert not early_warnings_for_contract(user=world.outsider, contract=world.contract).exists()
    with refused("not_found", error=NotFound):
        early_warning_get_for_user(user=world.outsider, pk=warning.pk)
    assert not recovery_actions_for_milestone(user=world.outsider, milestone=action.milestone)
    with refused("not_found", error=NotFound):
        recovery_action_get_for_user(user=world.outsider, pk=action.pk)
    assert early_warning_get_for_user(user=world.client_viewer, pk=warning.pk).score == 12
    assert recovery_action_get_for_user(user=world.client_viewer, pk=action.pk) == action


def test_open_warnings_for_a_milestone_are_the_open_ones_highest_first(world):
    milestone = world.deliverable()
    other = world.deliverable("Other")
    low = raise_warning(world, milestones=[milestone], likelihood=1, impact=1)
    high = raise_warning(world, milestones=[milestone, other], likelihood=3, impact=3)
    raise_warning(world, milestones=[other])
    gone = raise_warning(world, milestones=[milestone], likelihood=5, impact=5)
    early_warning_close(warning=gone, note="Passed.", actor=world.supplier_member)

    assert list(open_warnings_for_milestone(milestone=milestone)) == [high, low]


def test_recovery_actions_list_open_ones_first_by_new_target(world):
    milestone = overdue(world)
    later = add_action(world, milestone, new_target=world.today + 20 * DAY)
    sooner = add_action(world, milestone, new_target=world.today + 5 * DAY)
    done = add_action(world, milestone, new_target=world.today + DAY)
    recovery_action_complete(action=done, actor=world.supplier_member)

    rows = recovery_actions_for_milestone(user=world.client_viewer, milestone=milestone)
    assert list(rows) == [sooner, later, done]


def test_matrix_counts_open_warnings_by_likelihood_and_impact(world):
    raise_warning(world, likelihood=5, impact=1)
    raise_warning(world, likelihood=5, impact=1)
    raise_warning(world, likelihood=1, impact=5)
    closed = raise_warning(world, likelihood=3, impact=3)
    early_warning_close(warning=closed, note="Passed.", actor=world.supplier_member)

    matrix = warning_matrix(warnings=EarlyWarning.objects.all())

    assert [row[0].likelihood for row in matrix] == [5, 4, 3, 2, 1]
    assert [cell.impact for cell in matrix[0]] == [1, 2, 3, 4, 5]
    assert matrix[0][0].count == 2 and matrix[4][4].count == 1
    assert sum(cell.count for row in matrix for cell in row) == 3
    assert (matrix[0][4].score, matrix[0][4].band) == (25, "high")


@pytest.mark.parametrize(
    ("score", "band"),
    [(1, "low"), (4, "low"), (5, "medium"), (12, "medium"), (15, "high"), (25, "high")],
)
def test_score_bands(score, band):
    assert score_band(score) == band


def test_milestones_by_ids_keeps_the_order_given_and_refuses_strangers(world):
    first, second = world.deliverable("A"), world.deliverable("B")
    found = milestones_by_ids(
        contract=world.contract, ids=[second.pk, first.pk, second.pk], field="ids"
    )
    assert found == [second, first]
    elsewhere = other_contract_milestone(world)
    with refused("milestone_not_in_contract", "ids"):
        milestones_by_ids(contract=world.contract, ids=[first.pk, elsewhere.pk], field="ids")


def test_milestone_choices_leave_out_done_milestones_unless_linked(world):
    open_one = at_risk(world)
    done = at_risk(world, "Done already")
    deliverable_accept(milestone=done, actor=world.client_manager)

    assert list(warning_milestone_choices(contract=world.contract)) == [open_one]
    assert set(warning_milestone_choices(contract=world.contract, linked=[done.pk])) == {
        open_one,
        done,
    }


def test_risk_panel_for_the_responsible_party(world, django_assert_max_num_queries):
    milestone = at_risk(world)
    warning = raise_warning(world, milestones=[milestone])
    action = add_action(world, milestone)
    shown = milestone_get_for_user(user=world.supplier_member, pk=milestone.pk)

    with django_assert_max_num_queries(3):
        panel = risk_panel(user=world.supplier_member, milestone=shown)

    assert panel["risk_milestone"] == milestone and panel["risk_health"] == "at_risk"
    assert panel["risk_warnings"] == [warning] and panel["risk_actions"] == [action]
    assert panel["risk_can_add_action"] and panel["risk_completable"] == {action.pk}
    assert panel["risk_can_raise_warning"]


def test_risk_panel_for_a_viewer_and_for_an_actions_owner(world):
    milestone = overdue(world)
    action = add_action(world, milestone, owner=world.client_member)

    viewer = risk_panel(user=world.client_viewer, milestone=milestone)
    assert not viewer["risk_can_add_action"] and not viewer["risk_can_raise_warning"]
    assert viewer["risk_completable"] == set() and viewer["risk_health"] == "overdue"

    owner = risk_panel(user=world.client_member, milestone=milestone)
    assert not owner["risk_can_add_action"] and owner["risk_completable"] == {action.pk}


def test_risk_panel_offers_no_action_for_an_on_track_milestone(world):
    panel = risk_panel(user=world.supplier_manager, milestone=world.deliverable())
    assert panel["risk_health"] == "on_track" and not panel["risk_can_add_action"]


def test_milestone_panel_partial_renders_from_the_panel_alone(world):
    milestone = overdue(world)
    warning = raise_warning(world, milestones=[milestone], title="Crane hire")
    add_action(world, milestone, plan="Hire a second crane.")

    html = render_to_string(
        "schedule/risks/partials/milestone_panel.html",
        risk_panel(user=world.supplier_member, milestone=milestone),
    )

    assert reverse("early-warning-detail", args=[warning.pk]) in html and "Crane hire" in html
    assert "Hire a second crane." in html
    assert f"?milestone={milestone.pk}#raise" in html
    assert "Add a recovery action" in html


# API


def test_api_lists_the_register_for_a_party_and_hides_it_from_outsiders(world):
    raise_warning(world, title="Low", likelihood=1, impact=1)
    raise_warning(world, title="High", likelihood=5, impact=5)
    url = f"{API}/contracts/{world.contract.pk}/early-warnings"

    response = signed_in(world.client_viewer).get(url)

    assert response.status_code == 200
    assert [(w["title"], w["score"]) for w in response.json()] == [("High", 25), ("Low", 1)]
    assert signed_in(world.client_viewer).get(url, {"status": "closed"}).json() == []
    assert signed_in(world.outsider).get(url).status_code == 404


def test_api_raises_a_warning_by_milestone_ids_and_owner_username(world):
    milestone = world.deliverable()
    body = {
        "title": "Late steel",
        "likelihood": 3,
        "impact": 4,
        "milestones": [milestone.pk],
        "owner": "colin",
        "mitigation": "Order early.",
    }

    response = signed_in(world.supplier_member).post(
        f"{API}/contracts/{world.contract.pk}/early-warnings", body, content_type="application/json"
    )

    assert response.status_code == 201
    data = response.json()
    assert data["score"] == 12 and data["owner"] == "colin" and data["status"] == "open"
    assert data["milestone_ids"] == [milestone.pk]
    assert data["milestones"] == [{"id": milestone.pk, "title": milestone.title}]
    assert data["raised_by"] == "sid" and data["raised_by_party"] == "Northgate Construction"
    assert events("early_warning.raised")


def test_api_refuses_a_viewer_raising_a_warning(world):
    body = {
        "title": "Late steel",
        "likelihood": 3,
        "impact": 4,
        "milestones": [world.deliverable().pk],
        "owner": "sid",
    }
    response = signed_in(world.client_viewer).post(
        f"{API}/contracts/{world.contract.pk}/early-warnings", body, content_type="application/json"
    )
    assert response.status_code == 403


def test_api_names_the_field_of_an_unknown_milestone_or_owner(world):
    url = f"{API}/contracts/{world.contract.pk}/early-warnings"
    body = {"title": "T", "likelihood": 3, "impact": 4, "milestones": [987654], "owner": "sid"}
    client = signed_in(world.supplier_member)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "milestones"
    body.update(milestones=[world.deliverable().pk], owner="nobody")
    error = client.post(url, body, content_type="application/json").json()["error"]
    assert (error["code"], error["field"]) == ("user_not_found", "owner")


def test_api_reads_one_warning_for_a_party_only(world):
    warning = raise_warning(world)
    url = f"{API}/early-warnings/{warning.pk}"
    assert signed_in(world.consultant_manager).get(url).json()["title"] == warning.title
    assert signed_in(world.outsider).get(url).status_code == 404


def test_api_patches_a_warning_for_its_owner_but_not_for_another_member(world):
    warning = raise_warning(world)
    first, second = warning.milestones.get(), world.deliverable("Second")
    url = f"{API}/early-warnings/{warning.pk}"
    patch = {"impact": 5, "owner": "colin", "milestones": [second.pk, first.pk], "title": None}

    response = signed_in(world.supplier_member).patch(url, patch, content_type="application/json")

    assert response.status_code == 200
    data = response.json()
    assert (data["impact"], data["score"], data["owner"]) == (5, 20, "colin")
    assert data["milestone_ids"] == [first.pk, second.pk]
    assert data["title"] == warning.title
    denied = signed_in(world.supplier_viewer).patch(
        url, {"impact": 1}, content_type="application/json"
    )
    assert denied.status_code == 403


def test_api_closes_and_reopens_a_warning_for_its_owner_only(world):
    warning = raise_warning(world)
    url = f"{API}/early-warnings/{warning.pk}"
    member = signed_in(world.client_member)

    assert (
        member.post(f"{url}/close", {"note": "x"}, content_type="application/json").status_code
        == 403
    )
    closed = signed_in(world.supplier_member).post(
        f"{url}/close", {"note": "Steel arrived."}, content_type="application/json"
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closing_note"] == "Steel arrived."
    assert member.post(f"{url}/reopen").status_code == 403
    reopened = signed_in(world.supplier_member).post(f"{url}/reopen")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_api_lists_a_milestones_recovery_actions_for_parties_only(world):
    action = add_action(world)
    url = f"{API}/milestones/{action.milestone_id}/recovery-actions"
    [row] = signed_in(world.client_viewer).get(url).json()
    assert row["id"] == action.pk and row["owner"] == "sid" and row["status"] == "open"
    assert row["milestone"] == action.milestone.title
    assert signed_in(world.outsider).get(url).status_code == 404


def test_api_adds_a_recovery_action_for_the_responsible_party_but_not_another_member(world):
    milestone = overdue(world)
    url = f"{API}/milestones/{milestone.pk}/recovery-actions"
    body = {
        "cause": "Crane broke down.",
        "plan": "Second crane.",
        "owner": "sid",
        "new_target": (world.today + 7 * DAY).isoformat(),
    }

    response = signed_in(world.supplier_member).post(url, body, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["new_target"] == body["new_target"]
    assert response.json()["created_by"] == "sid"
    denied = signed_in(world.client_member).post(url, body, content_type="application/json")
    assert denied.status_code == 403


def test_api_patches_a_recovery_action_for_the_responsible_party_only(world):
    action = add_action(world)
    url = f"{API}/recovery-actions/{action.pk}"
    response = signed_in(world.supplier_manager).patch(
        url, {"owner": "sam", "plan": None}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["owner"] == "sam"
    denied = signed_in(world.client_member).patch(
        url, {"plan": "Mine."}, content_type="application/json"
    )
    assert denied.status_code == 403


def test_api_completes_a_recovery_action_but_not_for_a_viewer(world):
    action = add_action(world)
    url = f"{API}/recovery-actions/{action.pk}/complete"
    assert signed_in(world.supplier_viewer).post(url).status_code == 403
    response = signed_in(world.supplier_member).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "done" and response.json()["done_at"]


# Pages


def test_register_page_shows_the_register_matrix_and_raise_form(world):
    raise_warning(world, title="Low risk", likelihood=1, impact=2)
    raise_warning(world, title="High risk", likelihood=5, impact=4)
    url = reverse("contract-early-warnings", args=[world.contract.pk])

    response = signed_in(world.supplier_member).get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("High risk") < body.index("Low risk")
    assert "2 open warnings" in body
    assert "at score 20 (high)" in body
    assert 'id="raise"' in body and 'name="likelihood"' in body
    assert reverse("reporting:contract-detail", args=[world.contract.pk]) in body


def test_register_page_for_a_viewer_has_no_form_and_outsiders_get_404(world):
    url = reverse("contract-early-warnings", args=[world.contract.pk])
    response = signed_in(world.client_viewer).get(url)
    assert response.status_code == 200 and 'name="likelihood"' not in response.content.decode()
    assert signed_in(world.client_viewer).post(url, {"title": "x"}).status_code == 403
    assert signed_in(world.outsider).get(url).status_code == 404


def test_register_page_filters_by_status_and_answers_htmx_with_the_table(world):
    raise_warning(world, title="Still open")
    closed = raise_warning(world, title="Gone away")
    early_warning_close(warning=closed, note="Passed.", actor=world.supplier_member)
    url = reverse("contract-early-warnings", args=[world.contract.pk])

    response = signed_in(world.client_member).get(url, {"status": "closed"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "Gone away" in body and "Still open" not in body
    assert "<h1>" not in body and 'id="register"' in body


def test_register_form_preselects_a_milestone_and_raises_a_warning(world):
    milestone = world.deliverable()
    url = reverse("contract-early-warnings", args=[world.contract.pk])
    client = signed_in(world.supplier_member)
    page = client.get(url, {"milestone": milestone.pk}).content.decode()
    assert f'<option value="{milestone.pk}" selected>' in page

    response = client.post(
        url,
        {
            "title": "Ground water",
            "likelihood": "3",
            "impact": "5",
            "milestones": [milestone.pk],
            "owner": world.supplier_member.pk,
            "mitigation": "Pumps on site.",
        },
    )

    warning = EarlyWarning.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("early-warning-detail", args=[warning.pk])
    assert (warning.title, warning.likelihood, warning.impact) == ("Ground water", 3, 5)
    assert list(warning.milestones.all()) == [milestone]


def test_register_form_shows_its_errors_on_the_page(world):
    url = reverse("contract-early-warnings", args=[world.contract.pk])
    response = signed_in(world.supplier_member).post(
        url, {"title": "", "likelihood": "3", "impact": "3", "owner": world.supplier_member.pk}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was saved" in body and "This field is required." in body
    assert not EarlyWarning.objects.exists()


def test_warning_page_renders_for_a_party_and_404s_for_an_outsider(world):
    warning = raise_warning(world, description="Mill strike threatened.")
    url = reverse("early-warning-detail", args=[warning.pk])

    body = signed_in(world.client_viewer).get(url).content.decode()

    assert "Mill strike threatened." in body and "12 · medium" in body
    assert 'name="op"' not in body
    assert reverse("contract-early-warnings", args=[world.contract.pk]) in body
    assert signed_in(world.outsider).get(url).status_code == 404
    assert signed_in(world.client_viewer).post(url, {"op": "reopen"}).status_code == 403


def test_warning_page_edits_closes_and_reopens(world):
    warning = raise_warning(world)
    milestone = warning.milestones.get()
    url = reverse("early-warning-detail", args=[warning.pk])
    client = signed_in(world.supplier_member)
    assert 'value="update"' in client.get(url).content.decode()

    edited = client.post(
        url,
        {
            "op": "update",
            "title": "Steel delivery will slip",
            "likelihood": "5",
            "impact": "3",
            "milestones": [milestone.pk],
            "owner": world.client_member.pk,
            "mitigation": "",
        },
    )
    assert edited.status_code == 302
    warning.refresh_from_db()
    assert (warning.title, warning.likelihood, warning.owner) == (
        "Steel delivery will slip",
        5,
        world.client_member,
    )

    assert client.post(url, {"op": "close", "note": "Arrived."}).status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLOSED
    page = client.get(url).content.decode()
    assert "Arrived." in page and 'value="reopen"' in page

    reopened = client.post(url, {"op": "reopen"}, follow=True)
    assert "Early warning reopened." in reopened.content.decode()
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN
    again = client.post(url, {"op": "reopen"}, follow=True)
    assert "already open" in again.content.decode()


def test_warning_page_shows_a_missing_note_on_its_field(world):
    warning = raise_warning(world)
    response = signed_in(world.supplier_member).post(
        reverse("early-warning-detail", args=[warning.pk]), {"op": "close", "note": ""}
    )
    assert response.status_code == 422
    assert 'href="#id_note"' in response.content.decode()


def test_warning_page_refuses_an_unknown_action(world):
    warning = raise_warning(world)
    url = reverse("early-warning-detail", args=[warning.pk])
    assert signed_in(world.supplier_member).post(url, {"op": "explode"}).status_code == 400


def test_recovery_page_renders_for_a_party_and_404s_for_an_outsider(world):
    action = add_action(world, plan="Night shifts.")
    url = reverse("milestone-recovery", args=[action.milestone_id])

    response = signed_in(world.client_viewer).get(url)

    body = response.content.decode()
    assert response.status_code == 200 and "Night shifts." in body
    assert 'name="cause"' not in body and "Mark done" not in body
    assert reverse("milestones:milestone-detail", args=[action.milestone_id]) in body
    assert signed_in(world.outsider).get(url).status_code == 404
    assert signed_in(world.client_viewer).post(url, {"op": "add"}).status_code == 403


def test_recovery_page_adds_an_action_and_marks_it_done(world):
    milestone = overdue(world)
    url = reverse("milestone-recovery", args=[milestone.pk])
    client = signed_in(world.supplier_member)

    added = client.post(
        url,
        {
            "op": "add",
            "cause": "Crane broke down.",
            "plan": "Second crane.",
            "owner": world.supplier_member.pk,
            "new_target": (world.today + 3 * DAY).isoformat(),
        },
    )
    assert added.status_code == 302
    action = RecoveryAction.objects.get()
    assert "Mark done" in client.get(url).content.decode()

    done = client.post(url, {"op": "complete", "action": action.pk}, follow=True)
    assert "Recovery action marked done." in done.content.decode()
    action.refresh_from_db()
    assert action.status == RecoveryStatus.DONE
    again = client.post(url, {"op": "complete", "action": action.pk}, follow=True)
    assert "already done" in again.content.decode()


def test_recovery_page_shows_a_past_target_on_its_field(world):
    milestone = overdue(world)
    response = signed_in(world.supplier_member).post(
        reverse("milestone-recovery", args=[milestone.pk]),
        {
            "op": "add",
            "cause": "Crane broke down.",
            "plan": "Second crane.",
            "owner": world.supplier_member.pk,
            "new_target": (world.today - DAY).isoformat(),
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id_new_target"' in body and "cannot be before today" in body
    assert not RecoveryAction.objects.exists()


def test_recovery_page_will_not_complete_another_milestones_action(world):
    action = add_action(world)
    elsewhere = at_risk(world)
    url = reverse("milestone-recovery", args=[elsewhere.pk])
    client = signed_in(world.supplier_member)
    assert client.post(url, {"op": "complete", "action": action.pk}).status_code == 404
    assert client.post(url, {"op": "complete", "action": "x"}).status_code == 404
    assert client.post(url, {"op": "other"}).status_code == 400
    mine = reverse("milestone-recovery", args=[action.milestone_id])
    denied = signed_in(world.supplier_viewer).post(mine, {"op": "complete", "action": action.pk})
    assert denied.status_code == 403


def test_recovery_page_explains_why_an_on_track_milestone_has_no_form(world):
    milestone = world.deliverable()
    body = (
        signed_in(world.supplier_manager)
        .get(reverse("milestone-recovery", args=[milestone.pk]))
        .content.decode()
    )
    assert "this one is on track" in body and 'name="cause"' not in body
