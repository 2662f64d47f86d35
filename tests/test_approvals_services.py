"""Service tests for gates: required parties, their decisions, and re-opening a rejected gate."""

import datetime as dt
from decimal import Decimal

import pytest

from milepost.accounts.choices import Role
from milepost.accounts.services import membership_set, user_create
from milepost.approvals.choices import Decision
from milepost.approvals.models import GateDecision, GateRequirement
from milepost.approvals.selectors import gate_lines
from milepost.approvals.services import gate_create, gate_decide, gate_release, gate_reopen
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.services import contract_set_status
from milepost.core.errors import Forbidden
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_set_status
from tests.helpers import refused

DAY = dt.timedelta(days=1)


def gate(world, **overrides):
    """Create 'Design freeze', owned by the supplier, needing the client's and consultant's approval."""
    fields = {
        "contract": world.contract,
        "title": "Design freeze",
        "owner": world.supplier_member,
        "responsible_party": world.supplier,
        "due_date": world.today + 45 * DAY,
        "required_parties": [world.client, world.consultant],
        "acceptance_criteria": "Client and engineer sign the stage 4 design report.",
        "actor": world.supplier_manager,
    }
    fields.update(overrides)
    return gate_create(**fields)


def approve(milestone, party, actor, comment=""):
    return gate_decide(
        milestone=milestone, party=party, decision=Decision.APPROVE, comment=comment, actor=actor
    )


def reject(milestone, party, actor, comment="Fire strategy missing."):
    return gate_decide(
        milestone=milestone, party=party, decision=Decision.REJECT, comment=comment, actor=actor
    )


def refreshed(milestone):
    milestone.refresh_from_db()
    return milestone


def foreign_party(world):
    """Return the client's party on a second contract."""
    other = world.other_contract(
        with_supplier=False,
        value=Decimal("50000.00"),
        start_date=world.today,
        end_date=world.today + 100 * DAY,
    )
    return other.parties.get()


# gate_create


def test_creates_a_critical_gate_with_its_required_parties(world):
    milestone = gate(world)

    assert milestone.kind == MilestoneKind.GATE
    assert milestone.criticality == Criticality.CRITICAL
    assert milestone.status == MilestoneStatus.SCHEDULED
    assert list(
        GateRequirement.objects.filter(milestone=milestone).values_list("party_id", flat=True)
    ) == [
        world.client.pk,
        world.consultant.pk,
    ]
    assert (
        Event.objects.filter(action="gate.approver_required", milestone_id=milestone.pk).count()
        == 2
    )


def test_rejects_gate_without_required_parties(world):
    with refused("approvers_required", "required_parties"):
        gate(world, required_parties=[])


def test_rejects_gate_naming_a_party_twice(world):
    with refused("duplicate_approver", "required_parties"):
        gate(world, required_parties=[world.client, world.consultant, world.client])


def test_rejects_gate_requiring_a_party_of_another_contract(world):
    stranger = foreign_party(world)

    with refused("party_not_on_contract", "required_parties") as excinfo:
        gate(world, required_parties=[world.client, stranger])

    assert (excinfo.value.code, excinfo.value.field) == (
        "party_not_on_contract",
        "required_parties",
    )


def test_refuses_gate_created_by_a_member_who_is_not_a_manager(world):
    with refused("forbidden", error=Forbidden):
        gate(world, actor=world.supplier_member)


# gate_decide


def test_rejects_decision_on_a_milestone_that_is_not_a_gate(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_a_gate", "kind"):
        approve(deliverable, world.client, world.client_manager)


def test_rejects_a_decision_that_is_neither_approve_nor_reject(world):
    milestone = gate(world)

    with refused("invalid_decision", "decision"):
        gate_decide(
            milestone=milestone, party=world.client, decision="abstain", actor=world.client_manager
        )


def test_rejects_decision_from_a_party_the_gate_does_not_require(world):
    milestone = gate(world)

    with refused("party_not_required", "party"):
        approve(milestone, world.supplier, world.supplier_manager)


def test_refuses_decision_from_a_member_of_the_party_who_is_not_a_manager(world):
    milestone = gate(world)

    with refused("not_party_manager", error=Forbidden):
        approve(milestone, world.client, world.client_member)


def test_refuses_decision_for_a_party_by_a_manager_of_another_party(world):
    milestone = gate(world)

    with refused("not_party_manager", error=Forbidden):
        approve(milestone, world.client, world.consultant_manager)


def test_admin_of_the_party_may_decide_for_it(world):
    admin = user_create(username="ada", password="correct-horse-battery-staple", actor=None)
    membership_set(user=admin, organisation=world.client_org, role=Role.ADMIN, actor=None)
    milestone = gate(world)

    record = approve(milestone, world.client, admin)

    assert (record.party, record.decision, record.decided_by) == (
        world.client,
        Decision.APPROVE,
        admin,
    )


def test_rejection_needs_a_comment(world):
    milestone = gate(world)

    with refused("reason_required", "comment"):
        reject(milestone, world.client, world.client_manager, comment="   ")

    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


def test_rejects_a_second_decision_by_the_same_party(world):
    milestone = gate(world)
    approve(milestone, world.client, world.client_manager)

    with refused("already_decided", "party"):
        reject(milestone, world.client, world.client_manager)

    assert GateDecision.objects.get().decision == Decision.APPROVE


def test_rejects_decisions_once_the_gate_is_rejected(world):
    milestone = gate(world)
    reject(milestone, world.client, world.client_manager)

    with refused("gate_closed", "decision"):
        approve(milestone, world.consultant, world.consultant_manager)


def test_rejects_decision_on_a_stale_copy_of_a_rejected_gate(world):
    milestone = gate(world)
    stale = Milestone.objects.get(pk=milestone.pk)
    reject(milestone, world.client, world.client_manager)

    with refused("gate_closed", "decision"):
        approve(stale, world.consultant, world.consultant_manager)

    assert refreshed(milestone).status == MilestoneStatus.NOT_MET


def test_rejects_decision_while_the_contract_is_suspended(world):
    milestone = gate(world, required_parties=[world.client, world.consultant, world.supplier])
    approve(milestone, world.client, world.client_manager)
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    with refused("contract_not_active", "contract"):
        approve(milestone, world.consultant, world.consultant_manager)


def test_first_approval_puts_the_gate_in_progress(world):
    milestone = gate(world)

    record = approve(milestone, world.client, world.client_manager, comment="Design is sound.")

    assert (record.decision, record.comment, record.decided_by) == (
        Decision.APPROVE,
        "Design is sound.",
        world.client_manager,
    )
    milestone = refreshed(milestone)
    assert (milestone.status, milestone.progress, milestone.met_on) == (
        MilestoneStatus.IN_PROGRESS,
        50,
        None,
    )


def test_gate_passes_only_when_every_required_party_approves(world):
    milestone = gate(world, required_parties=[world.client, world.consultant, world.supplier])
    approve(milestone, world.client, world.client_manager)
    approve(milestone, world.supplier, world.supplier_manager)
    assert (refreshed(milestone).status, milestone.progress) == (MilestoneStatus.IN_PROGRESS, 67)

    approve(milestone, world.consultant, world.consultant_manager)

    milestone = refreshed(milestone)
    assert (milestone.status, milestone.progress, milestone.met_on) == (
        MilestoneStatus.MET,
        100,
        world.today,
    )
    assert Event.objects.filter(action="gate.passed", milestone_id=milestone.pk).exists()


def test_a_gate_passes_on_the_day_of_its_latest_approval_not_of_the_last_one_entered(world):
    milestone = gate(world)
    approve(milestone, world.client, world.client_manager)  # today
    gate_decide(
        milestone=milestone,
        party=world.consultant,
        decision=Decision.APPROVE,
        actor=world.consultant_manager,
        decided_on=world.today - 10 * DAY,  # entered after, given earlier
    )

    milestone = refreshed(milestone)
    assert (milestone.status, milestone.met_on) == (MilestoneStatus.MET, world.today)


def test_a_gate_passes_on_its_latest_backdated_approval(world):
    milestone = gate(world)
    for party, actor, days in (
        (world.client, world.client_manager, 4),
        (world.consultant, world.consultant_manager, 9),
    ):
        gate_decide(
            milestone=milestone,
            party=party,
            decision=Decision.APPROVE,
            actor=actor,
            decided_on=world.today - days * DAY,
        )

    assert refreshed(milestone).met_on == world.today - 4 * DAY


def test_a_decision_dated_outside_the_contracts_range_is_refused(world):
    milestone = gate(world)
    long_ago = world.contract.start_date.replace(year=world.contract.start_date.year - 11)

    with refused("date_out_of_range", "decided_on"):
        gate_decide(
            milestone=milestone,
            party=world.client,
            decision=Decision.APPROVE,
            actor=world.client_manager,
            decided_on=long_ago,
        )

    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


def test_one_rejection_fails_the_gate(world):
    milestone = gate(world)
    approve(milestone, world.client, world.client_manager)

    reject(milestone, world.consultant, world.consultant_manager)

    milestone = refreshed(milestone)
    assert milestone.status == MilestoneStatus.NOT_MET
    event = Event.objects.get(action="gate.rejected", milestone_id=milestone.pk)
    assert (
        event.after["reason"] == f"Rejected by {world.consultant_org.name}: Fire strategy missing."
    )


def test_successor_cannot_be_met_while_the_gate_is_not_passed(world):
    milestone = gate(world)
    fit_out = world.deliverable("Fit-out complete", due_date=world.today + 90 * DAY)
    dependency_add(predecessor=milestone, successor=fit_out, actor=world.supplier_manager)
    approve(milestone, world.client, world.client_manager)
    events = Event.objects.count()

    with refused("gate_not_passed", "status"):
        deliverable_accept(milestone=fit_out, actor=world.client_manager)

    assert refreshed(fit_out).status == MilestoneStatus.SCHEDULED
    assert Event.objects.count() == events


def test_successor_can_be_met_once_the_gate_passes(world):
    milestone = gate(world)
    fit_out = world.deliverable("Fit-out complete", due_date=world.today + 90 * DAY)
    dependency_add(predecessor=milestone, successor=fit_out, actor=world.supplier_manager)
    approve(milestone, world.client, world.client_manager)
    approve(milestone, world.consultant, world.consultant_manager)

    deliverable_accept(milestone=fit_out, actor=world.client_manager)

    assert refreshed(fit_out).status == MilestoneStatus.MET


def test_gate_cannot_be_set_met_by_hand(world):
    milestone = gate(world)

    with refused("status_not_manual", "status"):
        milestone_set_status(
            milestone=milestone, status=MilestoneStatus.MET, actor=world.client_manager
        )

    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


# gate_reopen


def test_reopen_clears_the_decisions_so_parties_decide_again(world):
    milestone = gate(world)
    approve(milestone, world.client, world.client_manager)
    reject(milestone, world.consultant, world.consultant_manager)

    gate_reopen(
        milestone=milestone,
        reason="Fire strategy added in revision C.",
        actor=world.supplier_manager,
    )

    milestone = refreshed(milestone)
    assert (milestone.status, milestone.progress) == (MilestoneStatus.IN_PROGRESS, 0)
    assert not GateDecision.objects.filter(milestone=milestone).exists()
    approve(milestone, world.client, world.client_manager)
    approve(milestone, world.consultant, world.consultant_manager)
    assert refreshed(milestone).status == MilestoneStatus.MET


def test_reopen_keeps_the_old_decisions_in_the_history(world):
    milestone = gate(world)
    approve(milestone, world.client, world.client_manager)
    reject(milestone, world.consultant, world.consultant_manager)

    gate_reopen(
        milestone=milestone,
        reason="Fire strategy added in revision C.",
        actor=world.supplier_manager,
    )

    decided = Event.objects.filter(action="gate.decided", milestone_id=milestone.pk).order_by("id")
    assert [(e.after["party"], e.after["decision"]) for e in decided] == [
        (world.client_org.name, Decision.APPROVE),
        (world.consultant_org.name, Decision.REJECT),
    ]
    reopened = Event.objects.get(action="gate.reopened", milestone_id=milestone.pk)
    assert reopened.after["reason"] == "Fire strategy added in revision C."


def test_rejects_reopening_a_gate_that_was_not_rejected(world):
    milestone = gate(world)
    approve(milestone, world.client, world.client_manager)

    with refused("gate_not_rejected", "status"):
        gate_reopen(milestone=milestone, reason="Start again.", actor=world.supplier_manager)

    assert (refreshed(milestone).status, milestone.progress) == (MilestoneStatus.IN_PROGRESS, 50)


def test_rejects_reopening_a_stale_copy_of_a_gate_already_reopened(world):
    milestone = gate(world)
    reject(milestone, world.client, world.client_manager)
    stale = Milestone.objects.get(pk=milestone.pk)
    gate_reopen(milestone=milestone, reason="Fire strategy added.", actor=world.supplier_manager)
    approve(milestone, world.client, world.client_manager)

    with refused("gate_not_rejected", "status"):
        gate_reopen(milestone=stale, reason="Fire strategy added.", actor=world.supplier_manager)

    assert GateDecision.objects.get().party == world.client


def test_reopen_needs_a_reason(world):
    milestone = gate(world)
    reject(milestone, world.client, world.client_manager)

    with refused("reason_required", "reason"):
        gate_reopen(milestone=milestone, reason="  ", actor=world.supplier_manager)

    assert refreshed(milestone).status == MilestoneStatus.NOT_MET


def test_rejects_reopening_a_milestone_that_is_not_a_gate(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_a_gate", "kind"):
        gate_reopen(milestone=deliverable, reason="Start again.", actor=world.supplier_manager)


def test_refuses_reopen_by_a_member_who_is_not_a_manager(world):
    milestone = gate(world)
    reject(milestone, world.client, world.client_manager)

    with refused("forbidden", error=Forbidden):
        gate_reopen(milestone=milestone, reason="Start again.", actor=world.supplier_member)

    assert refreshed(milestone).status == MilestoneStatus.NOT_MET


# gate_release


def waive(milestone, actor, reason="Board agreed to skip the design review."):
    return gate_release(
        milestone=milestone, status=MilestoneStatus.WAIVED, reason=reason, actor=actor
    )


def test_one_required_partys_manager_alone_cannot_waive_a_gate_two_parties_require(world):
    milestone = gate(world)

    with refused("not_counterparty", error=Forbidden) as excinfo:
        waive(milestone, world.client_manager)

    assert world.client_org.name in excinfo.value.message
    assert world.consultant_org.name in excinfo.value.message
    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


def test_each_required_partys_manager_in_turn_still_cannot_waive_the_gate(world):
    milestone = gate(world)

    for actor in (world.client_manager, world.consultant_manager):
        with refused("not_counterparty", error=Forbidden):
            waive(milestone, actor)

    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


@pytest.mark.parametrize("status", [MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED])
def test_manager_of_every_required_party_may_release_the_gate(world, status):
    both = user_create(username="bea", password="correct-horse-battery-staple", actor=None)
    membership_set(user=both, organisation=world.client_org, role=Role.MANAGER, actor=None)
    membership_set(user=both, organisation=world.consultant_org, role=Role.MANAGER, actor=None)
    milestone = gate(world)

    gate_release(milestone=milestone, status=status, reason=" Joint decision ", actor=both)

    assert refreshed(milestone).status == status
    event = Event.objects.filter(action="milestone.status_changed", milestone_id=milestone.pk)
    event = event.latest("id")
    assert (event.actor, event.after["status"], event.after["reason"]) == (
        both,
        status,
        "Joint decision",
    )


@pytest.mark.parametrize("status", [MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED])
def test_client_manager_releases_a_gate_only_the_client_requires(world, status):
    milestone = gate(world, required_parties=[world.client])

    gate_release(
        milestone=milestone, status=status, reason="Not needed.", actor=world.client_manager
    )

    assert refreshed(milestone).status == status


@pytest.mark.parametrize("who", ["supplier_manager", "consultant_manager", "client_member"])
def test_only_a_manager_of_the_required_party_may_waive_the_gate(world, who):
    # The supplier is responsible for the gate: it cannot wave itself through.
    milestone = gate(world, required_parties=[world.client])

    with refused("not_counterparty", error=Forbidden):
        waive(milestone, getattr(world, who))

    assert refreshed(milestone).status == MilestoneStatus.SCHEDULED


def test_waiving_a_gate_needs_a_reason(world):
    milestone = gate(world, required_parties=[world.client])

    with refused("reason_required", "reason"):
        waive(milestone, world.client_manager, reason=" ")


@pytest.mark.parametrize(
    "status",
    [
        MilestoneStatus.MET,
        MilestoneStatus.PARTIALLY_MET,
        MilestoneStatus.NOT_MET,
        MilestoneStatus.IN_PROGRESS,
    ],
)
def test_gate_release_refuses_statuses_that_follow_the_parties_decisions(world, status):
    milestone = gate(world, required_parties=[world.client])

    with refused("status_not_manual", "status"):
        gate_release(milestone=milestone, status=status, reason="Why", actor=world.client_manager)


def test_gate_release_refuses_a_milestone_that_is_not_a_gate(world):
    deliverable = world.deliverable("Foundation complete")

    with refused("not_a_gate", "kind"):
        waive(deliverable, world.client_manager)


def test_gate_cannot_be_waived_through_set_status(world):
    milestone = gate(world, required_parties=[world.client])

    with refused("status_by_kind", "status"):
        milestone_set_status(
            milestone=milestone,
            status=MilestoneStatus.WAIVED,
            reason="Not needed.",
            actor=world.client_manager,
        )


def test_a_rejected_gate_may_be_waived_by_its_required_party(world):
    milestone = gate(world, required_parties=[world.client])
    reject(milestone, world.client, world.client_manager)

    waive(milestone, world.client_manager)

    assert refreshed(milestone).status == MilestoneStatus.WAIVED


def test_successor_can_be_met_once_the_gate_is_waived(world):
    milestone = gate(world, required_parties=[world.client])
    fit_out = world.deliverable("Fit-out complete", due_date=world.today + 90 * DAY)
    dependency_add(predecessor=milestone, successor=fit_out, actor=world.supplier_manager)

    waive(milestone, world.client_manager)
    deliverable_accept(milestone=fit_out, actor=world.client_manager)

    assert refreshed(fit_out).status == MilestoneStatus.MET


# approvals.selectors.gate_lines


def test_gate_lines_pair_each_required_party_with_its_decision_in_two_queries(
    world, django_assert_num_queries
):
    milestone = gate(world)
    approve(milestone, world.consultant, world.consultant_manager)

    with django_assert_num_queries(2):
        lines = gate_lines(milestone=milestone)
        summary = [
            (line.party.organisation.name, line.decision and line.decision.decided_by.username)
            for line in lines
        ]

    assert summary == [
        (world.client_org.name, None),
        (world.consultant_org.name, world.consultant_manager.username),
    ]
