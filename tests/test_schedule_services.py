"""Services of the schedule app: one test per rule and per error code."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from milepost.accounts.choices import Role
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.services import contract_set_status, party_add
from milepost.core.errors import Forbidden
from milepost.schedule.acceptance import deliverable_accept, deliverable_reject
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.dependencies import dependency_add, dependency_remove
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.records import comment_add, evidence_add, status_update_post
from milepost.schedule.services import (
    milestone_create,
    milestone_record_outcome,
    milestone_release,
    milestone_reschedule,
    milestone_set_status,
    milestone_update,
)

from .helpers import refused, stored_rows

# Noon in London on a Tuesday; Auckland (UTC+13 in March) is already on the 11th.
START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)

S = MilestoneStatus
K = MilestoneKind


pytestmark = pytest.mark.usefixtures("clock")


# ---------------------------------------------------------------------------------------------
# helpers


def last_event(action: str) -> Event:
    event = Event.objects.filter(action=action).order_by("-id").first()
    assert event is not None, f"no {action} event"
    return event


def make(world, kind: str, title: str = "Stage 2 gate", **overrides):
    """Create a milestone of any kind, owned by the supplier member."""
    fields = {
        "contract": world.contract,
        "kind": kind,
        "title": title,
        "owner": world.supplier_member,
        "responsible_party": world.supplier,
        "due_date": world.today + dt.timedelta(days=30),
        "acceptance_criteria": "As the contract's schedule 4 says.",
        "actor": world.supplier_manager,
    }
    fields.update(overrides)
    return milestone_create(**fields)


def other_contract(
    world, *, reference: str = "HCC-2026-002", time_zone: str = "Europe/London", active: bool = True
) -> tuple[Contract, Party, Party]:
    """A second contract between the same client and supplier; return it with both parties."""
    contract = world.other_contract(reference=reference, time_zone=time_zone, active=active)
    parties = contract.parties
    return contract, parties.get(role=PartyRole.CLIENT), parties.get(role=PartyRole.SUPPLIER)


def close_contract(world, status: str) -> None:
    contract_set_status(contract=world.contract, status=status, actor=world.client_manager)


def new_user(username: str, org, role: str):
    user = user_create(
        username=username,
        password="correct-horse-battery-staple",
        email=f"{username}@example.test",
        actor=None,
    )
    membership_set(user=user, organisation=org, role=role, actor=None)
    return user


def upload(name: str = "certificate.pdf", content: bytes = b"%PDF-1.4 signed certificate"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_world_is_frozen_at_the_test_clock(world):
    assert world.today == TODAY


# ---------------------------------------------------------------------------------------------
# milestone_create


def test_manager_creates_a_scheduled_deliverable_with_baseline_equal_to_due_date(world):
    due = TODAY + dt.timedelta(days=45)

    milestone = world.deliverable(due_date=due)

    milestone.refresh_from_db()
    assert milestone.due_date == due
    assert milestone.baseline_due_date == due
    assert milestone.status == S.SCHEDULED
    assert milestone.progress == 0
    assert milestone.met_on is None
    assert milestone.accepting_party == world.client


def test_create_records_a_milestone_created_event(world):
    milestone = world.deliverable("Structure topped out", criticality="critical")

    event = last_event("milestone.created")
    assert event.object_id == milestone.pk
    assert event.milestone_id == milestone.pk
    assert event.contract_id == world.contract.pk
    assert event.actor == world.supplier_manager
    assert event.before is None
    # The snapshot holds the kind, the editable fields, the parties (fixed at creation: who owes
    # the milestone and who accepts it) and the due date.
    assert event.after == {
        "kind": "deliverable",
        "responsible_party": "Northgate Construction",
        "accepting_party": "Harbour City Council",
        "title": "Structure topped out",
        "description": "",
        "owner": "sid",
        "criticality": "critical",
        "acceptance_criteria": "Engineer's inspection certificate signed.",
        "due_date": (TODAY + dt.timedelta(days=30)).isoformat(),
    }


def test_create_strips_the_title(world):
    milestone = world.deliverable("  Foundation complete  ")

    assert milestone.title == "Foundation complete"


def test_manager_of_the_other_party_may_create_milestones(world):
    milestone = world.deliverable(actor=world.client_manager)

    assert Milestone.objects.filter(pk=milestone.pk).exists()


@pytest.mark.parametrize("who", ["supplier_member", "client_member", "client_viewer", "outsider"])
def test_only_managers_create_milestones(world, who):
    with refused("forbidden", error=Forbidden):
        world.deliverable(actor=getattr(world, who))


@pytest.mark.parametrize("status", [ContractStatus.COMPLETED, ContractStatus.TERMINATED])
def test_refuses_new_milestones_on_a_closed_contract(world, status):
    close_contract(world, status)

    with refused("contract_closed", "contract"):
        world.deliverable()


def test_allows_planning_milestones_on_a_draft_contract(world):
    contract, client, supplier = other_contract(world, active=False)

    milestone = world.deliverable(
        contract=contract, responsible_party=supplier, accepting_party=client
    )

    assert milestone.contract == contract
    assert milestone.status == S.SCHEDULED


def test_refuses_a_blank_title(world):
    with refused("required", "title"):
        world.deliverable("   ")


def test_refuses_blank_acceptance_criteria(world):
    with refused("required", "acceptance_criteria"):
        world.deliverable(acceptance_criteria=" \n ")


def test_refuses_an_unknown_kind(world):
    with refused("invalid_kind", "kind"):
        make(world, "milestone")


def test_refuses_an_unknown_criticality(world):
    with refused("invalid_criticality", "criticality"):
        world.deliverable(criticality="urgent")


def test_refuses_a_responsible_party_from_another_contract(world):
    _, _, other_supplier = other_contract(world)

    with refused("party_not_on_contract", "responsible_party"):
        world.deliverable(responsible_party=other_supplier)


def test_refuses_an_accepting_party_from_another_contract(world):
    _, other_client, _ = other_contract(world)

    with refused("party_not_on_contract", "accepting_party"):
        world.deliverable(accepting_party=other_client)


def test_refuses_a_due_date_before_the_contract_starts(world):
    with refused("due_before_start", "due_date"):
        world.deliverable(due_date=world.contract.start_date - dt.timedelta(days=1))


def test_allows_a_due_date_on_the_day_the_contract_starts(world):
    milestone = world.deliverable(due_date=world.contract.start_date)

    assert milestone.due_date == world.contract.start_date


def test_refuses_an_owner_from_another_organisation_than_the_responsible_party(world):
    with refused("owner_not_member", "owner"):
        world.deliverable(owner=world.client_member)


def test_refuses_an_owner_who_is_a_viewer_of_the_responsible_party(world):
    with refused("owner_not_member", "owner"):
        world.deliverable(owner=world.supplier_viewer)


def test_allows_a_manager_of_the_responsible_party_as_owner(world):
    milestone = world.deliverable(owner=world.supplier_manager)

    assert milestone.owner == world.supplier_manager


def test_refuses_a_deliverable_without_an_accepting_party(world):
    with refused("accepting_party_required", "accepting_party"):
        world.deliverable(accepting_party=None)


def test_refuses_a_deliverable_accepted_by_the_party_that_delivers_it(world):
    with refused("accepting_party_is_responsible", "accepting_party"):
        world.deliverable(accepting_party=world.supplier)


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE, K.GATE])
def test_refuses_an_accepting_party_on_a_milestone_that_is_not_a_deliverable(world, kind):
    with refused("accepting_party_not_allowed", "accepting_party"):
        make(world, kind, accepting_party=world.client)


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE, K.GATE])
def test_creates_milestones_of_the_other_kinds_without_an_accepting_party(world, kind):
    milestone = make(world, kind)

    assert milestone.kind == kind
    assert milestone.accepting_party is None


# ---------------------------------------------------------------------------------------------
# milestone_update


def test_manager_updates_editable_fields_with_before_and_after_in_the_event(world):
    milestone = world.deliverable()

    milestone_update(
        milestone=milestone,
        actor=world.supplier_manager,
        owner=world.supplier_manager,
        criticality="critical",
        description="Pile caps included.",
    )

    milestone.refresh_from_db()
    assert milestone.owner == world.supplier_manager
    assert milestone.criticality == "critical"
    assert milestone.description == "Pile caps included."
    event = last_event("milestone.updated")
    assert event.object_id == milestone.pk
    assert event.before == {"owner": "sid", "criticality": "standard", "description": ""}
    assert event.after == {
        "owner": "sam",
        "criticality": "critical",
        "description": "Pile caps included.",
    }


def test_manager_of_the_other_party_may_update_fields_other_than_the_owner(world):
    milestone = world.deliverable()

    milestone_update(
        milestone=milestone,
        actor=world.client_manager,
        criticality="critical",
        acceptance_criteria="Certificate signed by the council's engineer.",
    )

    milestone.refresh_from_db()
    assert milestone.criticality == "critical"
    assert milestone.acceptance_criteria == "Certificate signed by the council's engineer."
    assert last_event("milestone.updated").actor == world.client_manager


@pytest.mark.parametrize("who", ["client_manager", "consultant_manager"])
def test_only_a_manager_of_the_responsible_party_may_change_the_owner(world, who):
    milestone = world.deliverable()

    with refused("not_responsible_manager", error=Forbidden) as caught:
        milestone_update(
            milestone=milestone,
            actor=getattr(world, who),
            owner=world.supplier_manager,
            title="Foundations and pile caps",
        )

    assert "Northgate Construction" in caught.value.message
    # The caller's copy is put back as it was, not only the row.
    assert milestone.owner == world.supplier_member
    assert milestone.title == "Foundation complete"
    milestone.refresh_from_db()
    assert (milestone.owner, milestone.title) == (world.supplier_member, "Foundation complete")


def test_manager_of_another_party_may_pass_the_unchanged_owner(world):
    milestone = world.deliverable()

    milestone_update(
        milestone=milestone, actor=world.client_manager, owner=world.supplier_member, title="Piling"
    )

    milestone.refresh_from_db()
    assert (milestone.owner, milestone.title) == (world.supplier_member, "Piling")
    assert last_event("milestone.updated").after == {"title": "Piling"}


@pytest.mark.parametrize(
    "name", ["due_date", "baseline_due_date", "kind", "status", "progress", "met_on", "contract"]
)
def test_update_refuses_fields_that_have_their_own_service(world, name):
    milestone = world.deliverable()

    with refused("not_editable", name):
        milestone_update(milestone=milestone, actor=world.supplier_manager, **{name: None})


def test_update_that_changes_nothing_writes_no_event(world):
    milestone = world.deliverable()
    before = stored_rows()

    result = milestone_update(
        milestone=milestone,
        actor=world.supplier_manager,
        title=milestone.title,
        owner=milestone.owner,
        criticality=milestone.criticality,
        acceptance_criteria=milestone.acceptance_criteria,
    )

    assert result == milestone
    assert stored_rows() == before


@pytest.mark.parametrize("who", ["supplier_member", "supplier_viewer", "outsider"])
def test_only_managers_update_milestones(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        milestone_update(milestone=milestone, actor=getattr(world, who), title="Renamed")

    milestone.refresh_from_db()
    assert milestone.title == "Foundation complete"


def test_update_strips_the_title_as_create_does(world):
    milestone = world.deliverable()

    milestone_update(milestone=milestone, actor=world.supplier_manager, title="  Piling complete ")

    milestone.refresh_from_db()
    assert milestone.title == "Piling complete"
    assert last_event("milestone.updated").after == {"title": "Piling complete"}


def test_update_refuses_a_blank_title(world):
    milestone = world.deliverable()

    with refused("required", "title"):
        milestone_update(milestone=milestone, actor=world.supplier_manager, title="   ")

    milestone.refresh_from_db()
    assert milestone.title == "Foundation complete"


def test_update_validates_the_result_and_saves_nothing_when_refused(world):
    milestone = world.deliverable()

    with refused("owner_not_member", "owner"):
        milestone_update(
            milestone=milestone, actor=world.supplier_manager, owner=world.supplier_viewer
        )

    milestone.refresh_from_db()
    assert milestone.owner == world.supplier_member


def test_update_refuses_making_the_receiving_party_the_responsible_one(world):
    milestone = world.deliverable()

    with refused("not_editable", "accepting_party"):
        milestone_update(
            milestone=milestone, actor=world.supplier_manager, accepting_party=world.supplier
        )

    milestone.refresh_from_db()
    assert milestone.accepting_party == world.client


@pytest.mark.parametrize(
    ("name", "party"), [("responsible_party", "client"), ("accepting_party", "consultant")]
)
@pytest.mark.parametrize("who", ["supplier_manager", "client_manager"])
def test_update_refuses_moving_either_party_of_a_milestone(world, name, party, who):
    milestone = world.deliverable()

    with refused("not_editable", name):
        milestone_update(
            milestone=milestone, actor=getattr(world, who), **{name: getattr(world, party)}
        )

    milestone.refresh_from_db()
    assert (milestone.responsible_party, milestone.accepting_party) == (
        world.supplier,
        world.client,
    )


def test_update_refuses_a_party_even_when_it_is_unchanged(world):
    milestone = world.deliverable()

    with refused("not_editable", "responsible_party"):
        milestone_update(
            milestone=milestone, actor=world.supplier_manager, responsible_party=world.supplier
        )


def test_update_refuses_milestones_of_a_closed_contract(world):
    milestone = world.deliverable()
    close_contract(world, ContractStatus.COMPLETED)

    with refused("contract_closed", "contract"):
        milestone_update(milestone=milestone, actor=world.supplier_manager, title="Renamed")


# ---------------------------------------------------------------------------------------------
# milestone_reschedule


def test_reschedule_moves_the_due_date_and_keeps_the_baseline(world):
    milestone = world.deliverable()
    agreed = milestone.due_date

    milestone_reschedule(
        milestone=milestone,
        due_date=agreed + dt.timedelta(days=10),
        reason="Steel delivery late",
        actor=world.supplier_manager,
    )

    milestone.refresh_from_db()
    assert milestone.due_date == agreed + dt.timedelta(days=10)
    assert milestone.baseline_due_date == agreed
    assert milestone.slip_days == 10


def test_reschedule_event_carries_the_reason_and_both_dates(world):
    milestone = world.deliverable()
    agreed = milestone.due_date
    new = agreed + dt.timedelta(days=10)

    milestone_reschedule(
        milestone=milestone,
        due_date=new,
        reason="  Steel delivery late ",
        actor=world.supplier_manager,
    )

    event = last_event("milestone.rescheduled")
    assert event.object_id == milestone.pk
    assert event.before == {"due_date": agreed.isoformat()}
    assert event.after == {
        "due_date": new.isoformat(),
        "baseline_due_date": agreed.isoformat(),
        "reason": "Steel delivery late",
    }


def test_reschedule_requires_a_reason(world):
    milestone = world.deliverable()

    with refused("reason_required", "reason"):
        milestone_reschedule(
            milestone=milestone,
            due_date=milestone.due_date + dt.timedelta(days=3),
            reason="  ",
            actor=world.supplier_manager,
        )

    milestone.refresh_from_db()
    assert milestone.due_date == TODAY + dt.timedelta(days=30)


def test_reschedule_refuses_the_date_it_already_has(world):
    milestone = world.deliverable()

    with refused("unchanged", "due_date"):
        milestone_reschedule(
            milestone=milestone,
            due_date=milestone.due_date,
            reason="No change",
            actor=world.supplier_manager,
        )


@pytest.mark.parametrize("status", [S.MET, S.PARTIALLY_MET, S.NOT_MET, S.WAIVED, S.CANCELLED])
def test_reschedule_refuses_a_closed_milestone(world, status):
    milestone = world.deliverable()
    milestone_record_outcome(milestone=milestone, status=status, actor=world.client_manager)

    with refused("milestone_closed", "due_date"):
        milestone_reschedule(
            milestone=milestone,
            due_date=milestone.due_date + dt.timedelta(days=3),
            reason="Late",
            actor=world.supplier_manager,
        )


def test_reschedule_allows_a_milestone_in_progress(world):
    milestone = world.deliverable()
    milestone_record_outcome(milestone=milestone, status=S.IN_PROGRESS, actor=world.supplier_member)

    milestone_reschedule(
        milestone=milestone,
        due_date=TODAY + dt.timedelta(days=40),
        reason="Late",
        actor=world.supplier_manager,
    )

    assert milestone.due_date == TODAY + dt.timedelta(days=40)


def test_reschedule_refuses_a_date_before_the_contract_starts(world):
    milestone = world.deliverable()

    with refused("due_before_start", "due_date"):
        milestone_reschedule(
            milestone=milestone,
            due_date=world.contract.start_date - dt.timedelta(days=1),
            reason="Earlier",
            actor=world.supplier_manager,
        )


@pytest.mark.parametrize("who", ["supplier_member", "client_viewer", "outsider"])
def test_only_managers_reschedule(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        milestone_reschedule(
            milestone=milestone,
            due_date=milestone.due_date + dt.timedelta(days=3),
            reason="Late",
            actor=getattr(world, who),
        )


def test_reschedule_refuses_milestones_of_a_closed_contract(world):
    milestone = world.deliverable()
    close_contract(world, ContractStatus.TERMINATED)

    with refused("contract_closed", "contract"):
        milestone_reschedule(
            milestone=milestone,
            due_date=milestone.due_date + dt.timedelta(days=3),
            reason="Late",
            actor=world.supplier_manager,
        )


# ---------------------------------------------------------------------------------------------
# the transition table, through milestone_record_outcome

# Written out here rather than read from choices.TRANSITIONS, so that a wrong table fails.
ALLOWED = {
    (S.SCHEDULED, S.IN_PROGRESS),
    (S.SCHEDULED, S.MET),
    (S.SCHEDULED, S.PARTIALLY_MET),
    (S.SCHEDULED, S.NOT_MET),
    (S.SCHEDULED, S.WAIVED),
    (S.SCHEDULED, S.CANCELLED),
    (S.IN_PROGRESS, S.MET),
    (S.IN_PROGRESS, S.PARTIALLY_MET),
    (S.IN_PROGRESS, S.NOT_MET),
    (S.IN_PROGRESS, S.WAIVED),
    (S.IN_PROGRESS, S.CANCELLED),
    (S.PARTIALLY_MET, S.MET),
    (S.PARTIALLY_MET, S.NOT_MET),
    (S.PARTIALLY_MET, S.WAIVED),
    (S.NOT_MET, S.IN_PROGRESS),
    (S.NOT_MET, S.WAIVED),
}
ALL_PAIRS = [(old, new) for old in S for new in S]


def _put_in(world, status: str) -> Milestone:
    milestone = world.deliverable()
    if status != S.SCHEDULED:
        milestone_record_outcome(milestone=milestone, status=status, actor=world.client_manager)
    return milestone


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_allowed_transition_changes_the_status_and_records_an_event(world, old, new):
    milestone = _put_in(world, old)

    milestone_record_outcome(
        milestone=milestone, status=new, actor=world.client_manager, reason="Why"
    )

    milestone.refresh_from_db()
    assert milestone.status == new
    event = last_event("milestone.status_changed")
    assert event.object_id == milestone.pk
    assert event.before["status"] == old
    assert event.after["status"] == new
    assert event.after["reason"] == "Why"


@pytest.mark.parametrize(("old", "new"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_forbidden_transition_is_refused(world, old, new):
    milestone = _put_in(world, old)

    with refused("invalid_transition", "status"):
        milestone_record_outcome(milestone=milestone, status=new, actor=world.client_manager)

    milestone.refresh_from_db()
    assert milestone.status == old


def test_refuses_a_status_that_does_not_exist(world):
    milestone = world.deliverable()

    with refused("invalid_status", "status"):
        milestone_record_outcome(milestone=milestone, status="done", actor=world.client_manager)


def test_met_sets_met_on_to_the_contracts_local_today_and_progress_to_100(world):
    # At noon UTC on 10 March it is already 11 March in Auckland.
    contract, client, supplier = other_contract(world, time_zone="Pacific/Auckland")
    milestone = world.deliverable(
        contract=contract, responsible_party=supplier, accepting_party=client
    )

    milestone_record_outcome(milestone=milestone, status=S.MET, actor=world.client_manager)

    milestone.refresh_from_db()
    assert milestone.met_on == dt.date(2026, 3, 11)
    assert milestone.progress == 100


def test_met_keeps_a_past_met_on_that_was_given(world):
    milestone = world.deliverable()

    milestone_record_outcome(
        milestone=milestone,
        status=S.MET,
        met_on=TODAY - dt.timedelta(days=2),
        actor=world.client_manager,
    )

    milestone.refresh_from_db()
    assert milestone.met_on == TODAY - dt.timedelta(days=2)


def test_refuses_met_on_in_the_future(world):
    milestone = world.deliverable()

    with refused("met_on_in_future", "met_on"):
        milestone_record_outcome(
            milestone=milestone,
            status=S.MET,
            met_on=TODAY + dt.timedelta(days=1),
            actor=world.client_manager,
        )

    milestone.refresh_from_db()
    assert (milestone.status, milestone.met_on, milestone.progress) == (S.SCHEDULED, None, 0)


def test_partially_met_sets_met_on_but_leaves_progress(world):
    milestone = world.deliverable()
    status_update_post(
        milestone=milestone, text="Most done", progress=80, actor=world.supplier_member
    )

    milestone_record_outcome(
        milestone=milestone, status=S.PARTIALLY_MET, actor=world.client_manager
    )

    milestone.refresh_from_db()
    assert milestone.met_on == TODAY
    assert milestone.progress == 80


@pytest.mark.parametrize("new", [S.NOT_MET, S.WAIVED])
def test_leaving_partially_met_clears_met_on(world, new):
    milestone = _put_in(world, S.PARTIALLY_MET)

    milestone_record_outcome(milestone=milestone, status=new, actor=world.client_manager)

    milestone.refresh_from_db()
    assert milestone.status == new
    assert milestone.met_on is None
    assert last_event("milestone.status_changed").after["met_on"] is None


def test_refuses_status_changes_while_the_contract_is_suspended(world):
    milestone = world.deliverable()
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    with refused("contract_not_active", "status"):
        milestone_record_outcome(
            milestone=milestone, status=S.IN_PROGRESS, actor=world.client_manager
        )


def test_refuses_status_changes_while_the_contract_is_a_draft(world):
    contract, client, supplier = other_contract(world, active=False)
    milestone = world.deliverable(
        contract=contract, responsible_party=supplier, accepting_party=client
    )

    with refused("contract_not_active", "status"):
        milestone_record_outcome(milestone=milestone, status=S.MET, actor=world.client_manager)

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


# ---------------------------------------------------------------------------------------------
# milestone_set_status

# Written out here rather than read from choices.MANUAL_STATUSES, so that a wrong table fails.
MANUAL = {
    K.DELIVERABLE: {S.IN_PROGRESS, S.NOT_MET, S.WAIVED, S.CANCELLED},
    K.PAYMENT: {S.NOT_MET, S.WAIVED, S.CANCELLED},
    K.PERFORMANCE: {S.WAIVED, S.CANCELLED},
    K.GATE: {S.WAIVED, S.CANCELLED},
}


def _of_kind(world, kind: str) -> Milestone:
    if kind == K.DELIVERABLE:
        return world.deliverable()
    return make(world, kind)


@pytest.mark.parametrize(
    ("kind", "status"), [(kind, status) for kind in K for status in S if status not in MANUAL[kind]]
)
def test_refuses_setting_by_hand_a_status_the_kind_reaches_otherwise(world, kind, status):
    milestone = _of_kind(world, kind)

    with refused("status_not_manual", "status"):
        milestone_set_status(
            milestone=milestone, status=status, actor=world.supplier_manager, reason="Why"
        )

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


RELEASES = {S.NOT_MET, S.WAIVED, S.CANCELLED}


@pytest.mark.parametrize(
    ("kind", "status"),
    [(kind, status) for kind in (K.DELIVERABLE, K.PERFORMANCE) for status in sorted(MANUAL[kind])],
)
def test_counterparty_manager_sets_a_manual_status(world, kind, status):
    # The client accepts the deliverable and is owed the supplier's performance target.
    milestone = _of_kind(world, kind)

    milestone_set_status(
        milestone=milestone, status=status, actor=world.client_manager, reason="Why"
    )

    milestone.refresh_from_db()
    assert milestone.status == status


@pytest.mark.parametrize(
    ("kind", "status"),
    [(kind, status) for kind in (K.PAYMENT, K.GATE) for status in sorted(MANUAL[kind])],
)
@pytest.mark.parametrize("who", ["client_manager", "supplier_manager"])
def test_payments_and_gates_are_not_given_up_through_set_status(world, kind, status, who):
    milestone = _of_kind(world, kind)

    with refused("status_by_kind", "status"):
        milestone_set_status(
            milestone=milestone, status=status, actor=getattr(world, who), reason="Why"
        )

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


def test_status_not_manual_message_says_how_the_kind_is_met(world):
    milestone = world.deliverable()

    with refused("status_not_manual", "status") as caught:
        milestone_set_status(milestone=milestone, status=S.MET, actor=world.client_manager)

    assert "receiving party accepts it" in caught.value.message


@pytest.mark.parametrize("status", [S.WAIVED, S.NOT_MET, S.CANCELLED])
def test_closing_by_hand_requires_a_reason(world, status):
    milestone = world.deliverable()

    with refused("reason_required", "reason"):
        milestone_set_status(
            milestone=milestone, status=status, actor=world.client_manager, reason=" "
        )

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


def test_waiving_records_the_reason_in_the_event(world):
    milestone = world.deliverable()

    milestone_set_status(
        milestone=milestone, status=S.WAIVED, actor=world.client_manager, reason=" Scope removed "
    )

    event = last_event("milestone.status_changed")
    assert event.actor == world.client_manager
    assert event.after["status"] == S.WAIVED
    assert event.after["reason"] == "Scope removed"


def test_owner_may_start_their_milestone_without_a_reason(world):
    milestone = world.deliverable()

    milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=world.supplier_member)

    milestone.refresh_from_db()
    assert milestone.status == S.IN_PROGRESS


def test_manager_may_start_a_milestone_they_do_not_own(world):
    milestone = world.deliverable()

    milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=world.client_manager)

    assert milestone.status == S.IN_PROGRESS


def test_member_who_does_not_own_the_milestone_cannot_start_it(world):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=world.client_member)

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


@pytest.mark.parametrize("who", ["supplier_viewer", "outsider"])
def test_viewer_or_outsider_cannot_start_a_milestone(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=getattr(world, who))


def test_owner_demoted_to_viewer_can_no_longer_start_the_milestone(world):
    milestone = world.deliverable()
    membership_set(
        user=world.supplier_member, organisation=world.supplier_org, role=Role.VIEWER, actor=None
    )

    with refused("forbidden", error=Forbidden):
        milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=world.supplier_member)

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


@pytest.mark.parametrize("status", [S.NOT_MET, S.WAIVED, S.CANCELLED])
def test_owner_who_is_not_a_manager_cannot_close_the_milestone(world, status):
    milestone = world.deliverable()

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone, status=status, actor=world.supplier_member, reason="Why"
        )

    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


@pytest.mark.parametrize("status", sorted(RELEASES))
def test_responsible_manager_cannot_give_up_their_own_deliverable(world, status):
    milestone = world.deliverable()

    with refused("not_counterparty", error=Forbidden) as caught:
        milestone_set_status(
            milestone=milestone, status=status, actor=world.supplier_manager, reason="Why"
        )

    assert "Harbour City Council" in caught.value.message
    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


@pytest.mark.parametrize("who", ["consultant_manager", "client_member"])
def test_only_a_manager_of_the_accepting_party_may_give_up_a_deliverable(world, who):
    milestone = world.deliverable()

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone, status=S.WAIVED, actor=getattr(world, who), reason="Why"
        )


@pytest.mark.parametrize("who", ["client_viewer", "outsider"])
def test_viewer_or_outsider_cannot_give_up_a_milestone(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        milestone_set_status(
            milestone=milestone, status=S.WAIVED, actor=getattr(world, who), reason="Why"
        )


def test_refusal_to_a_party_not_owed_the_milestone_comes_before_the_reason_check(world):
    milestone = world.deliverable()

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone, status=S.WAIVED, actor=world.supplier_manager, reason=" "
        )


@pytest.mark.parametrize("who", ["client_manager", "consultant_manager"])
def test_manager_of_any_other_acting_party_may_give_up_a_performance_target(world, who):
    milestone = make(world, K.PERFORMANCE, "Helpdesk response")

    milestone_set_status(
        milestone=milestone, status=S.WAIVED, actor=getattr(world, who), reason="Monitoring down"
    )

    milestone.refresh_from_db()
    assert milestone.status == S.WAIVED
    assert last_event("milestone.status_changed").actor == getattr(world, who)


def test_responsible_manager_cannot_give_up_their_own_performance_target(world):
    milestone = make(world, K.PERFORMANCE, "Helpdesk response")

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone, status=S.CANCELLED, actor=world.supplier_manager, reason="Why"
        )


def test_manager_of_an_observer_party_cannot_give_up_a_performance_target(world):
    observer_org = organisation_create(name="Harbour Audit Office", actor=None)
    party_add(
        contract=world.contract,
        organisation=observer_org,
        role=PartyRole.OBSERVER,
        actor=world.client_manager,
    )
    auditor = new_user("aud", observer_org, Role.MANAGER)
    milestone = make(world, K.PERFORMANCE, "Helpdesk response")

    with refused("forbidden", error=Forbidden):
        milestone_set_status(milestone=milestone, status=S.WAIVED, actor=auditor, reason="Why")


def test_manager_of_the_observer_and_the_responsible_party_still_cannot_give_it_up(world):
    # Managing an observer party as well does not make the responsible party its counterparty.
    observer_org = organisation_create(name="Harbour Audit Office", actor=None)
    party_add(
        contract=world.contract,
        organisation=observer_org,
        role=PartyRole.OBSERVER,
        actor=world.client_manager,
    )
    membership_set(
        user=world.supplier_manager, organisation=observer_org, role=Role.MANAGER, actor=None
    )
    milestone = make(world, K.PERFORMANCE, "Helpdesk response")

    with refused("not_counterparty", error=Forbidden):
        milestone_set_status(
            milestone=milestone, status=S.WAIVED, actor=world.supplier_manager, reason="Why"
        )


def test_set_status_still_follows_the_transition_table(world):
    milestone = world.deliverable()
    milestone_set_status(
        milestone=milestone, status=S.CANCELLED, actor=world.client_manager, reason="Dropped"
    )

    with refused("invalid_transition", "status"):
        milestone_set_status(
            milestone=milestone, status=S.IN_PROGRESS, actor=world.supplier_manager
        )


# ---------------------------------------------------------------------------------------------
# milestone_release, which the kinds' own services call with who is owed the milestone


def test_release_refuses_a_status_that_gives_nothing_up(world):
    milestone = world.deliverable()

    with refused("not_a_release", "status"):
        milestone_release(
            milestone=milestone,
            status=S.IN_PROGRESS,
            reason="Why",
            deciders=[world.client.pk],
            actor=world.client_manager,
        )


def test_release_still_refuses_a_status_the_kind_never_takes_by_hand(world):
    milestone = world.deliverable()

    with refused("status_not_manual", "status"):
        milestone_release(
            milestone=milestone,
            status=S.MET,
            reason="Why",
            deciders=[world.client.pk],
            actor=world.client_manager,
        )


def test_release_without_deciders_is_refused_to_everyone(world):
    milestone = world.deliverable()

    with refused("not_counterparty", error=Forbidden):
        milestone_release(
            milestone=milestone,
            status=S.WAIVED,
            reason="Why",
            deciders=[],
            actor=world.client_manager,
        )


def test_release_by_any_decider_is_enough_unless_all_are_required(world):
    first = world.deliverable("Foundation complete")
    second = world.deliverable("Structure complete")
    deciders = [world.client.pk, world.consultant.pk]

    milestone_release(
        milestone=first,
        status=S.WAIVED,
        reason="Why",
        deciders=deciders,
        actor=world.client_manager,
    )
    with refused("not_counterparty", error=Forbidden) as caught:
        milestone_release(
            milestone=second,
            status=S.WAIVED,
            reason="Why",
            deciders=deciders,
            all_deciders=True,
            actor=world.client_manager,
        )

    assert first.status == S.WAIVED
    assert "Harbour City Council" in caught.value.message
    assert "Arden Project Management" in caught.value.message


# ---------------------------------------------------------------------------------------------
# gates block their successors


def _gate_before(world, successor: Milestone) -> Milestone:
    gate = make(world, K.GATE, "Stage 2 approval", due_date=TODAY + dt.timedelta(days=10))
    dependency_add(predecessor=gate, successor=successor, actor=world.supplier_manager)
    return gate


@pytest.mark.parametrize("status", [S.MET, S.PARTIALLY_MET])
def test_refuses_to_meet_a_successor_while_its_gate_is_not_passed(world, status):
    successor = world.deliverable()
    _gate_before(world, successor)

    with refused("gate_not_passed", "status") as caught:
        milestone_record_outcome(milestone=successor, status=status, actor=world.client_manager)

    assert "Stage 2 approval" in caught.value.message
    successor.refresh_from_db()
    assert (successor.status, successor.met_on) == (S.SCHEDULED, None)


@pytest.mark.parametrize("gate_status", [S.SCHEDULED, S.IN_PROGRESS, S.NOT_MET])
def test_gate_in_any_unpassed_status_blocks_acceptance_of_its_successor(world, gate_status):
    successor = world.deliverable()
    gate = _gate_before(world, successor)
    if gate_status != S.SCHEDULED:
        milestone_record_outcome(milestone=gate, status=gate_status, actor=None)

    with refused("gate_not_passed", "status"):
        deliverable_accept(milestone=successor, actor=world.client_manager)


# A gate cannot be partially met in practice (its parties approve or reject); if one were, it
# would count as done like any other predecessor.
@pytest.mark.parametrize("gate_status", [S.MET, S.PARTIALLY_MET, S.WAIVED, S.CANCELLED])
def test_successor_can_be_met_once_its_gate_is_passed(world, gate_status):
    successor = world.deliverable()
    gate = _gate_before(world, successor)
    milestone_record_outcome(
        milestone=gate, status=gate_status, actor=None, reason="Board decision"
    )

    deliverable_accept(milestone=successor, actor=world.client_manager)

    successor.refresh_from_db()
    assert successor.status == S.MET


def test_open_gate_does_not_stop_a_successor_being_started_or_marked_not_met(world):
    successor = world.deliverable()
    _gate_before(world, successor)

    milestone_record_outcome(milestone=successor, status=S.IN_PROGRESS, actor=world.supplier_member)
    milestone_record_outcome(milestone=successor, status=S.NOT_MET, actor=world.client_manager)

    assert successor.status == S.NOT_MET


def _after(world, predecessor: Milestone) -> Milestone:
    successor = world.deliverable("Structure complete")
    dependency_add(predecessor=predecessor, successor=successor, actor=world.supplier_manager)
    return successor


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("predecessor_status", [S.SCHEDULED, S.IN_PROGRESS, S.NOT_MET])
def test_open_predecessor_that_is_not_a_gate_blocks(world, predecessor_status, partial):
    predecessor = _put_in(world, predecessor_status)
    successor = _after(world, predecessor)

    with refused("predecessor_open", "status") as caught:
        deliverable_accept(
            milestone=successor, actor=world.client_manager, partial=partial, comment="Some"
        )

    assert "Foundation complete" in caught.value.message
    successor.refresh_from_db()
    assert (successor.status, successor.met_on) == (S.SCHEDULED, None)


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE])
def test_open_predecessor_of_any_other_kind_blocks(world, kind):
    successor = _after(world, make(world, kind, "Earlier obligation"))

    with refused("predecessor_open", "status"):
        milestone_record_outcome(milestone=successor, status=S.MET, actor=world.client_manager)


def test_predecessor_stops_blocking_once_it_is_met(world):
    predecessor = world.deliverable("Foundation complete")
    successor = _after(world, predecessor)
    with refused("predecessor_open", "status"):
        deliverable_accept(milestone=successor, actor=world.client_manager)

    deliverable_accept(milestone=predecessor, actor=world.client_manager)
    deliverable_accept(milestone=successor, actor=world.client_manager)

    successor.refresh_from_db()
    assert successor.status == S.MET


@pytest.mark.parametrize("predecessor_status", [S.PARTIALLY_MET, S.WAIVED, S.CANCELLED])
def test_predecessor_partially_met_or_given_up_does_not_block(world, predecessor_status):
    successor = _after(world, _put_in(world, predecessor_status))

    deliverable_accept(milestone=successor, actor=world.client_manager)

    assert successor.status == S.MET


def test_open_predecessor_does_not_stop_a_successor_being_started_or_given_up(world):
    successor = _after(world, world.deliverable("Foundation complete"))

    milestone_set_status(milestone=successor, status=S.IN_PROGRESS, actor=world.supplier_member)
    milestone_set_status(
        milestone=successor, status=S.NOT_MET, actor=world.client_manager, reason="Dropped"
    )

    assert successor.status == S.NOT_MET


def test_every_direct_predecessor_must_be_done(world):
    done = world.deliverable("Site survey")
    deliverable_accept(milestone=done, actor=world.client_manager)
    successor = _after(world, done)
    dependency_add(
        predecessor=world.deliverable("Foundation complete"),
        successor=successor,
        actor=world.supplier_manager,
    )

    with refused("predecessor_open", "status") as caught:
        deliverable_accept(milestone=successor, actor=world.client_manager)

    assert "Foundation complete" in caught.value.message


def test_an_open_gate_is_named_before_other_open_predecessors(world):
    successor = _after(world, world.deliverable("Foundation complete"))
    _gate_before(world, successor)

    with refused("gate_not_passed", "status") as caught:
        deliverable_accept(milestone=successor, actor=world.client_manager)

    assert "Stage 2 approval" in caught.value.message


def test_gate_blocks_only_its_own_successors(world):
    blocked = world.deliverable("Structure complete")
    free = world.deliverable("Site hoarding")
    _gate_before(world, blocked)

    deliverable_accept(milestone=free, actor=world.client_manager)

    assert free.status == S.MET


# ---------------------------------------------------------------------------------------------
# deliverable_accept and deliverable_reject


def test_receiving_manager_accepts_a_deliverable_which_meets_it(world):
    milestone = world.deliverable()

    deliverable_accept(milestone=milestone, actor=world.client_manager, comment="Certificate seen")

    milestone.refresh_from_db()
    assert (milestone.status, milestone.met_on, milestone.progress) == (S.MET, TODAY, 100)
    event = last_event("deliverable.accepted")
    assert event.actor == world.client_manager
    assert event.object_id == milestone.pk
    assert event.after["status"] == S.MET
    assert event.after["reason"] == "Certificate seen"


@pytest.mark.parametrize(
    "who", ["supplier_manager", "consultant_manager", "client_member", "client_viewer"]
)
def test_only_a_manager_of_the_receiving_party_may_accept(world, who):
    milestone = world.deliverable()

    with refused("not_receiving_party", error=Forbidden) as caught:
        deliverable_accept(milestone=milestone, actor=getattr(world, who))

    assert "Harbour City Council" in caught.value.message
    milestone.refresh_from_db()
    assert milestone.status == S.SCHEDULED


def test_partial_acceptance_requires_a_comment(world):
    milestone = world.deliverable()

    with refused("reason_required", "comment"):
        deliverable_accept(
            milestone=milestone, actor=world.client_manager, partial=True, comment="  "
        )


def test_partial_acceptance_gives_partially_met_and_keeps_the_comment(world):
    milestone = world.deliverable()

    deliverable_accept(
        milestone=milestone,
        actor=world.client_manager,
        partial=True,
        comment="Drainage survey missing",
    )

    milestone.refresh_from_db()
    assert (milestone.status, milestone.met_on) == (S.PARTIALLY_MET, TODAY)
    event = last_event("deliverable.accepted")
    assert event.after["status"] == S.PARTIALLY_MET
    assert event.after["reason"] == "Drainage survey missing"


def test_accepting_the_rest_of_a_partially_met_deliverable_meets_it(world):
    milestone = world.deliverable()
    deliverable_accept(
        milestone=milestone, actor=world.client_manager, partial=True, comment="Survey missing"
    )

    deliverable_accept(milestone=milestone, actor=world.client_manager)

    assert milestone.status == S.MET


def test_accept_refuses_a_deliverable_already_met(world):
    milestone = world.deliverable()
    deliverable_accept(milestone=milestone, actor=world.client_manager)

    with refused("invalid_transition", "status"):
        deliverable_accept(milestone=milestone, actor=world.client_manager)


def test_accept_refuses_while_the_contract_is_suspended(world):
    milestone = world.deliverable()
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    with refused("contract_not_active", "status"):
        deliverable_accept(milestone=milestone, actor=world.client_manager)


def test_reject_requires_a_comment(world):
    milestone = world.deliverable()

    with refused("reason_required", "comment"):
        deliverable_reject(milestone=milestone, actor=world.client_manager, comment="\t")


def test_reject_keeps_the_status_and_records_the_comment(world):
    milestone = world.deliverable()
    milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=world.supplier_member)

    deliverable_reject(
        milestone=milestone, actor=world.client_manager, comment=" Certificate unsigned "
    )

    milestone.refresh_from_db()
    assert (milestone.status, milestone.met_on) == (S.IN_PROGRESS, None)
    event = last_event("deliverable.rejected")
    assert event.actor == world.client_manager
    assert event.object_id == milestone.pk
    assert event.after == {"comment": "Certificate unsigned", "status": S.IN_PROGRESS}


@pytest.mark.parametrize("who", ["supplier_manager", "consultant_manager", "client_member"])
def test_only_a_manager_of_the_receiving_party_may_reject(world, who):
    milestone = world.deliverable()

    with refused("not_receiving_party", error=Forbidden):
        deliverable_reject(milestone=milestone, actor=getattr(world, who), comment="No")


def test_reject_refuses_a_deliverable_that_is_closed(world):
    milestone = world.deliverable()
    deliverable_accept(milestone=milestone, actor=world.client_manager)

    with refused("milestone_closed", "status"):
        deliverable_reject(
            milestone=milestone, actor=world.client_manager, comment="Changed our mind"
        )


def test_reject_refuses_while_the_contract_is_suspended(world):
    milestone = world.deliverable()
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    with refused("contract_not_active", "status"):
        deliverable_reject(milestone=milestone, actor=world.client_manager, comment="No")


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE, K.GATE])
def test_accept_refuses_a_milestone_that_is_not_a_deliverable(world, kind):
    milestone = make(world, kind)

    with refused("not_a_deliverable", "kind"):
        deliverable_accept(milestone=milestone, actor=world.client_manager)


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE, K.GATE])
def test_reject_refuses_a_milestone_that_is_not_a_deliverable(world, kind):
    milestone = make(world, kind)

    with refused("not_a_deliverable", "kind"):
        deliverable_reject(milestone=milestone, actor=world.client_manager, comment="No")


# ---------------------------------------------------------------------------------------------
# status_update_post


def test_owner_posts_an_update_with_progress(world):
    milestone = world.deliverable()
    milestone_set_status(milestone=milestone, status=S.IN_PROGRESS, actor=world.supplier_member)

    update = status_update_post(
        milestone=milestone, text=" Piling finished ", progress=40, actor=world.supplier_member
    )

    update.refresh_from_db()
    assert (update.milestone, update.author, update.text, update.progress) == (
        milestone,
        world.supplier_member,
        "Piling finished",
        40,
    )
    milestone.refresh_from_db()
    assert milestone.progress == 40
    assert last_event("status_update.posted").after == {"text": "Piling finished", "progress": 40}
    progressed = last_event("milestone.progressed")
    assert (progressed.before, progressed.after) == ({"progress": 0}, {"progress": 40})


def test_progress_above_zero_starts_a_scheduled_milestone(world):
    milestone = world.deliverable()

    status_update_post(
        milestone=milestone, text="Piling begun", progress=5, actor=world.supplier_member
    )

    milestone.refresh_from_db()
    assert milestone.status == S.IN_PROGRESS
    assert last_event("milestone.status_changed").after["status"] == S.IN_PROGRESS


def test_update_without_progress_leaves_a_scheduled_milestone_alone(world):
    milestone = world.deliverable()

    status_update_post(
        milestone=milestone, text="Mobilising next week", actor=world.supplier_member
    )

    milestone.refresh_from_db()
    assert (milestone.status, milestone.progress) == (S.SCHEDULED, 0)
    assert not Event.objects.filter(action="milestone.progressed").exists()


def test_manager_may_post_on_a_milestone_they_do_not_own(world):
    milestone = world.deliverable()

    update = status_update_post(
        milestone=milestone, text="Inspected on site", actor=world.client_manager
    )

    assert update.author == world.client_manager


def test_member_who_does_not_own_the_milestone_cannot_post_an_update(world):
    milestone = world.deliverable()

    with refused("not_owner", error=Forbidden):
        status_update_post(milestone=milestone, text="Looks late", actor=world.client_member)


@pytest.mark.parametrize("who", ["supplier_viewer", "client_viewer", "outsider"])
def test_viewers_and_outsiders_cannot_post_updates(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        status_update_post(milestone=milestone, text="Hello", actor=getattr(world, who))


def test_update_requires_text(world):
    milestone = world.deliverable()

    with refused("required", "text"):
        status_update_post(milestone=milestone, text="  ", progress=10, actor=world.supplier_member)

    milestone.refresh_from_db()
    assert milestone.progress == 0


@pytest.mark.parametrize("progress", [-1, 101])
def test_refuses_progress_outside_0_to_100(world, progress):
    milestone = world.deliverable()

    with refused("invalid_progress", "progress"):
        status_update_post(
            milestone=milestone, text="Odd", progress=progress, actor=world.supplier_member
        )


@pytest.mark.parametrize("progress", [0, 100])
def test_accepts_progress_at_the_bounds(world, progress):
    milestone = world.deliverable()

    update = status_update_post(
        milestone=milestone, text="Bounds", progress=progress, actor=world.supplier_member
    )

    assert update.progress == progress


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE, K.GATE])
def test_refuses_progress_by_hand_on_milestones_that_compute_it(world, kind):
    milestone = make(world, kind)

    with refused("progress_computed", "progress"):
        status_update_post(
            milestone=milestone, text="Halfway", progress=50, actor=world.supplier_member
        )


@pytest.mark.parametrize("kind", [K.PAYMENT, K.PERFORMANCE, K.GATE])
def test_allows_a_text_update_on_milestones_that_compute_progress(world, kind):
    milestone = make(world, kind)

    update = status_update_post(
        milestone=milestone, text="Board meets Friday", actor=world.supplier_member
    )

    assert update.progress is None


@pytest.mark.parametrize("status", [S.MET, S.NOT_MET, S.WAIVED, S.CANCELLED, S.PARTIALLY_MET])
def test_refuses_progress_on_a_closed_milestone(world, status):
    milestone = _put_in(world, status)

    with refused("milestone_closed", "progress"):
        status_update_post(
            milestone=milestone, text="More", progress=60, actor=world.supplier_member
        )


def test_refuses_updates_on_a_closed_contract(world):
    milestone = world.deliverable()
    close_contract(world, ContractStatus.COMPLETED)

    with refused("contract_closed", "contract"):
        status_update_post(milestone=milestone, text="Done", actor=world.supplier_member)


# ---------------------------------------------------------------------------------------------
# comment_add


@pytest.mark.parametrize(
    "who", ["client_member", "supplier_member", "consultant_manager", "client_manager"]
)
def test_members_of_any_acting_party_may_comment(world, who):
    milestone = world.deliverable()

    comment = comment_add(
        milestone=milestone, text=" Please attach the survey. ", actor=getattr(world, who)
    )

    comment.refresh_from_db()
    assert (comment.milestone, comment.author, comment.text) == (
        milestone,
        getattr(world, who),
        "Please attach the survey.",
    )
    event = last_event("comment.added")
    assert (event.object_id, event.milestone_id) == (comment.pk, milestone.pk)


@pytest.mark.parametrize("who", ["client_viewer", "supplier_viewer", "outsider"])
def test_viewers_and_outsiders_cannot_comment(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        comment_add(milestone=milestone, text="Hello", actor=getattr(world, who))


def test_refuses_an_empty_comment(world):
    milestone = world.deliverable()

    with refused("required", "text"):
        comment_add(milestone=milestone, text=" \n ", actor=world.client_member)


def test_refuses_a_comment_over_10000_characters(world):
    milestone = world.deliverable()

    with refused("too_long", "text"):
        comment_add(milestone=milestone, text="x" * 10_001, actor=world.client_member)


def test_accepts_a_comment_of_exactly_10000_characters(world):
    milestone = world.deliverable()

    comment = comment_add(milestone=milestone, text="x" * 10_000, actor=world.client_member)

    assert len(comment.text) == 10_000


# ---------------------------------------------------------------------------------------------
# evidence_add


def _files_under(root) -> list[Path]:
    root = Path(root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_evidence_is_stored_under_the_evidence_root_with_its_sha256(world, settings):
    milestone = world.deliverable()
    content = b"%PDF-1.4 inspection certificate, signed"

    evidence = evidence_add(
        milestone=milestone,
        upload=upload("Inspection certificate.pdf", content),
        actor=world.supplier_member,
    )

    evidence.refresh_from_db()
    stored = Path(evidence.file.path)
    assert stored.resolve().is_relative_to(Path(settings.EVIDENCE_ROOT).resolve())
    assert stored.read_bytes() == content
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content)
    assert evidence.original_name == "Inspection_certificate.pdf"
    assert evidence.content_type == "application/pdf"
    assert evidence.uploaded_by == world.supplier_member
    event = last_event("evidence.added")
    assert event.milestone_id == milestone.pk
    assert event.after == {
        "name": "Inspection_certificate.pdf",
        "size": len(content),
        "sha256": evidence.sha256,
    }


def test_evidence_keeps_only_the_base_name_of_the_upload(world, settings):
    milestone = world.deliverable()

    evidence = evidence_add(
        milestone=milestone, upload=upload("../../etc/report.pdf"), actor=world.supplier_member
    )

    assert evidence.original_name == "report.pdf"
    assert Path(evidence.file.path).resolve().is_relative_to(Path(settings.EVIDENCE_ROOT).resolve())


def test_evidence_extension_check_ignores_case(world):
    milestone = world.deliverable()

    evidence = evidence_add(
        milestone=milestone, upload=upload("SCAN.PDF"), actor=world.supplier_member
    )

    assert evidence.file.name.endswith(".pdf")


@pytest.mark.parametrize("name", ["setup.exe", "index.html", "report.pdf.exe", "README", "★★★"])
def test_refuses_evidence_of_a_type_not_allowed(world, settings, name):
    milestone = world.deliverable()
    files = _files_under(settings.EVIDENCE_ROOT)

    with refused("file_type_not_allowed", "file"):
        evidence_add(milestone=milestone, upload=upload(name), actor=world.supplier_member)

    assert _files_under(settings.EVIDENCE_ROOT) == files


def test_refuses_evidence_larger_than_the_limit(world, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    milestone = world.deliverable()

    with refused("file_too_large", "file"):
        evidence_add(
            milestone=milestone, upload=upload(content=b"x" * 11), actor=world.supplier_member
        )


def test_accepts_evidence_exactly_at_the_limit(world, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    milestone = world.deliverable()

    evidence = evidence_add(
        milestone=milestone, upload=upload(content=b"x" * 10), actor=world.supplier_member
    )

    assert evidence.size == 10


def test_refuses_empty_evidence(world):
    milestone = world.deliverable()

    with refused("file_empty", "file"):
        evidence_add(milestone=milestone, upload=upload(content=b""), actor=world.supplier_member)


@pytest.mark.parametrize("who", ["client_member", "consultant_manager", "supplier_manager"])
def test_parties_to_the_milestone_and_managers_may_attach_evidence(world, who):
    milestone = world.deliverable()

    evidence = evidence_add(milestone=milestone, upload=upload(), actor=getattr(world, who))

    assert evidence.uploaded_by == getattr(world, who)


def test_member_of_a_party_outside_the_milestone_cannot_attach_evidence(world):
    consultant_member = new_user("cara", world.consultant_org, Role.MEMBER)
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        evidence_add(milestone=milestone, upload=upload(), actor=consultant_member)


@pytest.mark.parametrize("who", ["supplier_viewer", "outsider"])
def test_viewers_and_outsiders_cannot_attach_evidence(world, who):
    milestone = world.deliverable()

    with refused("forbidden", error=Forbidden):
        evidence_add(milestone=milestone, upload=upload(), actor=getattr(world, who))


# ---------------------------------------------------------------------------------------------
# dependency_add and dependency_remove


def test_manager_links_two_milestones_and_records_an_event(world):
    foundation = world.deliverable("Foundation complete")
    structure = world.deliverable("Structure complete")

    link = dependency_add(predecessor=foundation, successor=structure, actor=world.supplier_manager)

    link.refresh_from_db()
    assert (link.predecessor, link.successor, link.type) == (foundation, structure, "FS")
    event = last_event("dependency.added")
    assert (event.object_id, event.contract_id, event.milestone_id) == (
        link.pk,
        world.contract.pk,
        structure.pk,
    )
    assert event.after == {
        "predecessor": "Foundation complete",
        "successor": "Structure complete",
        "type": "FS",
        "lag": 0,
        "working_days": False,
    }


def test_refuses_a_dependency_across_contracts(world):
    contract, client, supplier = other_contract(world)
    here = world.deliverable("Foundation complete")
    there = world.deliverable(
        "Car park open", contract=contract, responsible_party=supplier, accepting_party=client
    )

    with refused("cross_contract", "predecessor"):
        dependency_add(predecessor=there, successor=here, actor=world.supplier_manager)


def test_refuses_a_milestone_depending_on_itself(world):
    milestone = world.deliverable()

    with refused("self_dependency", "predecessor"):
        dependency_add(predecessor=milestone, successor=milestone, actor=world.supplier_manager)


def test_refuses_the_same_dependency_twice(world):
    foundation = world.deliverable("Foundation complete")
    structure = world.deliverable("Structure complete")
    dependency_add(predecessor=foundation, successor=structure, actor=world.supplier_manager)

    with refused("duplicate_dependency", "predecessor"):
        dependency_add(predecessor=foundation, successor=structure, actor=world.supplier_manager)


def test_refuses_dependency_that_would_close_a_cycle_and_names_it(world):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    c = world.deliverable("Fit-out")
    dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)
    dependency_add(predecessor=b, successor=c, actor=world.supplier_manager)

    with refused("dependency_cycle", "predecessor") as caught:
        dependency_add(predecessor=c, successor=a, actor=world.supplier_manager)

    assert "Foundation → Structure → Fit-out → Foundation" in caught.value.message


def test_refuses_the_reverse_of_an_existing_dependency(world):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)

    with refused("dependency_cycle", "predecessor") as caught:
        dependency_add(predecessor=b, successor=a, actor=world.supplier_manager)

    assert "Foundation → Structure → Foundation" in caught.value.message


def test_allows_two_paths_to_the_same_milestone(world):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    c = world.deliverable("Fit-out")
    dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)
    dependency_add(predecessor=b, successor=c, actor=world.supplier_manager)

    dependency_add(predecessor=a, successor=c, actor=world.supplier_manager)

    assert Dependency.objects.filter(successor=c).count() == 2


@pytest.mark.parametrize("who", ["supplier_member", "client_viewer", "outsider"])
def test_only_managers_add_dependencies(world, who):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")

    with refused("forbidden", error=Forbidden):
        dependency_add(predecessor=a, successor=b, actor=getattr(world, who))


def test_refuses_new_dependencies_on_a_closed_contract(world):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    close_contract(world, ContractStatus.COMPLETED)

    with refused("contract_closed", "contract"):
        dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)


def test_manager_removes_a_dependency_and_records_an_event(world):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    link = dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)
    link_id = link.pk

    dependency_remove(dependency=link, actor=world.client_manager)

    assert not Dependency.objects.filter(pk=link_id).exists()
    event = last_event("dependency.removed")
    assert (event.object_id, event.contract_id, event.milestone_id) == (
        link_id,
        world.contract.pk,
        b.pk,
    )
    assert event.before == {
        "predecessor": "Foundation",
        "successor": "Structure",
        "type": "FS",
        "lag": 0,
        "working_days": False,
    }
    assert event.actor == world.client_manager


@pytest.mark.parametrize("who", ["supplier_member", "client_viewer", "outsider"])
def test_only_managers_remove_dependencies(world, who):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    link = dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)

    with refused("forbidden", error=Forbidden):
        dependency_remove(dependency=link, actor=getattr(world, who))


def test_refuses_removing_dependencies_on_a_closed_contract(world):
    a = world.deliverable("Foundation")
    b = world.deliverable("Structure")
    link = dependency_add(predecessor=a, successor=b, actor=world.supplier_manager)
    close_contract(world, ContractStatus.TERMINATED)

    with refused("contract_closed", "contract"):
        dependency_remove(dependency=link, actor=world.supplier_manager)
