"""Selectors of the schedule app: visibility, derived health and query budgets."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from milepost.accounts.choices import Role
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.core.errors import NotFound
from milepost.schedule.choices import Health, MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Milestone
from milepost.schedule.records import comment_add, evidence_add, status_update_post
from milepost.schedule.selectors import (
    RELATED,
    ContractCounts,
    contract_counts_for_user,
    milestone_get_for_user,
    milestones_for_user,
)
from milepost.schedule.services import milestone_create
from tests.helpers import refused

# Noon in London; Auckland (UTC+13 in March) is already on the 11th.
START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)
S = MilestoneStatus


pytestmark = pytest.mark.usefixtures("clock")


def due_in(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def set_fields(milestone: Milestone, **fields) -> None:
    """Put a milestone in a state directly: these tests are about reading it back."""
    Milestone.objects.filter(pk=milestone.pk).update(**fields)


def health_of(world, milestone: Milestone, now: dt.datetime | None = None) -> str:
    return milestones_for_user(user=world.client_viewer, now=now).get(pk=milestone.pk).health


def user_in(org, username: str, role: str = Role.MANAGER):
    user = user_create(
        username=username,
        password="correct-horse-battery-staple",
        email=f"{username}@example.test",
        actor=None,
    )
    membership_set(user=user, organisation=org, role=role, actor=None)
    return user


def contract_in(world, *, reference: str, time_zone: str = "Europe/London"):
    """An active contract of the world's client and supplier in ``time_zone``; return its parties."""
    contract = contract_create(
        organisation=world.client_org,
        party_role=PartyRole.CLIENT,
        reference=reference,
        title=f"Contract {reference}",
        value=Decimal("100000.00"),
        currency="GBP",
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=200),
        time_zone=time_zone,
        actor=world.client_manager,
    )
    supplier = party_add(
        contract=contract,
        organisation=world.supplier_org,
        role=PartyRole.SUPPLIER,
        actor=world.client_manager,
    )
    contract_set_status(contract=contract, status=ContractStatus.ACTIVE, actor=world.client_manager)
    return contract, contract.parties.get(role=PartyRole.CLIENT), supplier


def outsider_milestone(world) -> Milestone:
    """A milestone on a contract between two organisations the world's users do not belong to."""
    other_supplier = organisation_create(name="Quayside Builders", actor=None)
    builder = user_in(other_supplier, "quentin", Role.MEMBER)
    contract = contract_create(
        organisation=world.outsider_org,
        party_role=PartyRole.CLIENT,
        reference="UH-001",
        title="Warehouse roof",
        value=Decimal("50000.00"),
        currency="GBP",
        start_date=TODAY - dt.timedelta(days=10),
        end_date=TODAY + dt.timedelta(days=100),
        actor=world.outsider,
    )
    supplier = party_add(
        contract=contract,
        organisation=other_supplier,
        role=PartyRole.SUPPLIER,
        actor=world.outsider,
    )
    return milestone_create(
        contract=contract,
        kind="deliverable",
        title="Roof watertight",
        owner=builder,
        responsible_party=supplier,
        accepting_party=contract.parties.get(role=PartyRole.CLIENT),
        due_date=due_in(20),
        acceptance_criteria="Flood test passed.",
        actor=world.outsider,
    )


# ---------------------------------------------------------------------------------------------
# health


@pytest.mark.parametrize("status", [S.MET, S.PARTIALLY_MET, S.WAIVED, S.CANCELLED])
def test_health_is_done_for_closed_statuses_even_past_the_due_date(world, status):
    milestone = world.deliverable(due_date=due_in(-5))
    set_fields(milestone, status=status, forecast_date=due_in(10))

    assert health_of(world, milestone) == Health.DONE


@pytest.mark.parametrize("status", [S.SCHEDULED, S.IN_PROGRESS])
def test_health_is_overdue_for_an_open_milestone_past_its_due_date(world, status):
    milestone = world.deliverable(due_date=due_in(-1))
    set_fields(milestone, status=status, progress=90)

    assert health_of(world, milestone) == Health.OVERDUE


def test_health_is_overdue_for_not_met_even_before_the_due_date(world):
    milestone = world.deliverable(due_date=due_in(60))
    set_fields(milestone, status=S.NOT_MET)

    assert health_of(world, milestone) == Health.OVERDUE


def test_health_is_not_overdue_on_the_due_date_itself(world):
    milestone = world.deliverable(due_date=TODAY)
    set_fields(milestone, progress=90)

    assert health_of(world, milestone) == Health.ON_TRACK


@pytest.mark.parametrize("days", [0, 7, 14])
def test_health_is_at_risk_when_due_within_14_days_with_progress_below_50(world, days):
    milestone = world.deliverable(due_date=due_in(days))
    set_fields(milestone, progress=49)

    assert health_of(world, milestone) == Health.AT_RISK


def test_health_is_on_track_when_due_within_14_days_with_progress_of_50(world):
    milestone = world.deliverable(due_date=due_in(5))
    set_fields(milestone, progress=50)

    assert health_of(world, milestone) == Health.ON_TRACK


def test_health_is_on_track_when_due_after_the_risk_window_without_progress(world):
    milestone = world.deliverable(due_date=due_in(15))

    assert health_of(world, milestone) == Health.ON_TRACK


def test_health_is_at_risk_when_the_forecast_is_later_than_the_due_date(world):
    milestone = world.deliverable(due_date=due_in(90))
    set_fields(milestone, progress=60, forecast_date=due_in(91))

    assert health_of(world, milestone) == Health.AT_RISK


def test_health_is_on_track_when_the_forecast_is_on_the_due_date(world):
    milestone = world.deliverable(due_date=due_in(90))
    set_fields(milestone, progress=60, forecast_date=due_in(90))

    assert health_of(world, milestone) == Health.ON_TRACK


def test_health_follows_the_clock_passed_in(world):
    milestone = world.deliverable(due_date=due_in(30))
    later = START + dt.timedelta(days=31)

    assert health_of(world, milestone) == Health.ON_TRACK
    assert health_of(world, milestone, now=later) == Health.OVERDUE


def test_health_uses_the_frozen_clock_when_no_instant_is_given(world):
    milestone = world.deliverable(due_date=due_in(30))

    with time_machine.travel(START + dt.timedelta(days=31), tick=False):
        health = health_of(world, milestone)

    assert health == Health.OVERDUE


def test_overdue_depends_on_the_contracts_own_time_zone(world):
    auckland, auck_client, auck_supplier = contract_in(
        world, reference="AKL-1", time_zone="Pacific/Auckland"
    )
    london, lon_client, lon_supplier = contract_in(
        world, reference="LON-1", time_zone="Europe/London"
    )
    in_auckland = world.deliverable(
        "Auckland handover",
        contract=auckland,
        responsible_party=auck_supplier,
        accepting_party=auck_client,
    )
    in_london = world.deliverable(
        "London handover",
        contract=london,
        responsible_party=lon_supplier,
        accepting_party=lon_client,
    )
    set_fields(in_auckland, due_date=TODAY, progress=90)
    set_fields(in_london, due_date=TODAY, progress=90)
    # 10:30 UTC is 23:30 on the 10th in Auckland; 11:30 UTC is 00:30 on the 11th there.
    before_midnight = dt.datetime(2026, 3, 10, 10, 30, tzinfo=dt.UTC)
    after_midnight = dt.datetime(2026, 3, 10, 11, 30, tzinfo=dt.UTC)

    assert health_of(world, in_auckland, now=before_midnight) == Health.ON_TRACK
    assert health_of(world, in_london, now=before_midnight) == Health.ON_TRACK
    assert health_of(world, in_auckland, now=after_midnight) == Health.OVERDUE
    assert health_of(world, in_london, now=after_midnight) == Health.ON_TRACK


def test_local_today_is_annotated_per_contract(world):
    auckland, client, supplier = contract_in(world, reference="AKL-1", time_zone="Pacific/Auckland")
    there = world.deliverable(contract=auckland, responsible_party=supplier, accepting_party=client)
    here = world.deliverable()

    rows = {m.pk: m.local_today for m in milestones_for_user(user=world.client_manager)}

    assert rows[there.pk] == dt.date(2026, 3, 11)
    assert rows[here.pk] == TODAY


# ---------------------------------------------------------------------------------------------
# visibility


def test_milestones_for_user_hides_other_organisations_milestones(world):
    ours = world.deliverable()
    theirs = outsider_milestone(world)

    for who in ("client_manager", "supplier_member", "client_viewer", "consultant_manager"):
        assert list(milestones_for_user(user=getattr(world, who))) == [ours]
    assert list(milestones_for_user(user=world.outsider)) == [theirs]


def test_milestones_for_user_shows_nothing_to_someone_in_no_organisation(world):
    world.deliverable()
    loner = user_create(
        username="lone",
        password="correct-horse-battery-staple",
        email="lone@example.test",
        actor=None,
    )

    assert not milestones_for_user(user=loner).exists()


def test_milestones_for_user_lists_in_due_date_order(world):
    late = world.deliverable("Late", due_date=due_in(40))
    early = world.deliverable("Early", due_date=due_in(10))

    assert list(milestones_for_user(user=world.client_manager)) == [early, late]


def test_milestone_get_for_user_returns_a_visible_milestone_with_health(world):
    milestone = world.deliverable(due_date=due_in(3))

    got = milestone_get_for_user(user=world.client_viewer, pk=milestone.pk)

    assert got == milestone
    assert got.health == Health.AT_RISK


def test_milestone_get_for_user_raises_not_found_for_an_outsider(world):
    milestone = world.deliverable()

    with refused("not_found", error=NotFound):
        milestone_get_for_user(user=world.outsider, pk=milestone.pk)


def test_milestone_get_for_user_answers_the_same_for_a_missing_milestone(world):
    milestone = world.deliverable()

    with refused("not_found", error=NotFound) as hidden:
        milestone_get_for_user(user=world.outsider, pk=milestone.pk)
    with refused("not_found", error=NotFound) as missing:
        milestone_get_for_user(user=world.outsider, pk=milestone.pk + 1000)

    assert (hidden.value.code, hidden.value.message) == (missing.value.code, missing.value.message)


# ---------------------------------------------------------------------------------------------
# contract_counts_for_user


def test_contract_counts_for_user_counts_each_contract_by_health_and_due_window(world):
    world.deliverable("Overdue", due_date=due_in(-2))
    not_met = world.deliverable("Not met", due_date=due_in(30))
    world.deliverable("Soon, at risk", due_date=due_in(3))
    soon_on_track = world.deliverable("Soon, on track", due_date=due_in(14))
    world.deliverable("Later", due_date=due_in(60))
    met = world.deliverable("Met", due_date=due_in(5))
    waived = world.deliverable("Waived", due_date=due_in(-20))
    set_fields(not_met, status=S.NOT_MET)
    set_fields(soon_on_track, progress=70)
    set_fields(met, status=S.MET)
    set_fields(waived, status=S.WAIVED)
    other, client, supplier = contract_in(world, reference="LON-2")
    world.deliverable(
        "Elsewhere", contract=other, responsible_party=supplier, accepting_party=client
    )

    counts = contract_counts_for_user(user=world.supplier_member)

    assert counts == {
        world.contract.pk: ContractCounts(total=7, overdue=2, at_risk=1, due_soon=2, done=2),
        other.pk: ContractCounts(total=1, overdue=0, at_risk=0, due_soon=0, done=0),
    }


def test_contract_counts_due_window_can_be_widened(world):
    world.deliverable(due_date=due_in(20))

    narrow = contract_counts_for_user(user=world.client_manager)
    wide = contract_counts_for_user(user=world.client_manager, due_within_days=30)

    assert narrow[world.contract.pk].due_soon == 0
    assert wide[world.contract.pk].due_soon == 1


def test_contract_counts_for_user_leaves_out_contracts_the_user_cannot_see(world):
    world.deliverable()
    theirs = outsider_milestone(world)

    assert set(contract_counts_for_user(user=world.client_manager)) == {world.contract.pk}
    assert contract_counts_for_user(user=world.outsider) == {
        theirs.contract_id: ContractCounts(total=1, overdue=0, at_risk=0, due_soon=0, done=0)
    }


def test_contract_counts_for_user_runs_one_query(world, django_assert_num_queries):
    for days in (-1, 3, 30):
        world.deliverable(f"Due in {days}", due_date=due_in(days))

    with django_assert_num_queries(1):
        counts = contract_counts_for_user(user=world.client_manager)

    assert counts[world.contract.pk].total == 3


# ---------------------------------------------------------------------------------------------
# query budgets


def test_milestones_for_user_lists_30_milestones_in_one_query(world, django_assert_max_num_queries):
    for n in range(15):
        world.deliverable(f"Supplier deliverable {n}", due_date=due_in(n))
        world.deliverable(
            f"Client deliverable {n}",
            due_date=due_in(n + 1),
            owner=world.client_member,
            responsible_party=world.client,
            accepting_party=world.supplier,
            actor=world.client_manager,
        )

    with django_assert_max_num_queries(1):
        rows = [
            (
                m.owner.username,
                m.responsible_party.organisation.name,
                m.accepting_party.organisation.name,
                m.contract.reference,
                m.health,
            )
            for m in milestones_for_user(user=world.supplier_member)
        ]

    assert len(rows) == 30
    assert {row[1] for row in rows} == {"Northgate Construction", "Harbour City Council"}


def test_milestone_get_for_user_loads_what_is_asked_within_six_queries(
    world, django_assert_max_num_queries
):
    milestone = world.deliverable("Structure complete")
    for n in range(3):
        status_update_post(milestone=milestone, text=f"Week {n}", actor=world.supplier_member)
        comment_add(milestone=milestone, text=f"Remark {n}", actor=world.client_member)
    for n in range(2):
        upload = SimpleUploadedFile(f"photo{n}.png", b"\x89PNG fake", content_type="image/png")
        evidence_add(milestone=milestone, upload=upload, actor=world.supplier_member)
        predecessor = world.deliverable(f"Predecessor {n}")
        dependency_add(predecessor=predecessor, successor=milestone, actor=world.supplier_manager)
    follower = world.deliverable("Fit-out")
    dependency_add(predecessor=milestone, successor=follower, actor=world.supplier_manager)

    with django_assert_max_num_queries(6):
        got = milestone_get_for_user(user=world.client_viewer, pk=milestone.pk, related=RELATED)
        updates = [(u.author.username, u.text) for u in got.status_updates.all()]
        comments = [(c.author.username, c.text) for c in got.comments.all()]
        evidence = [(e.uploaded_by.username, e.original_name) for e in got.evidence.all()]
        predecessors = [link.predecessor.title for link in got.predecessor_links.all()]
        successors = [link.successor.title for link in got.successor_links.all()]
        header = (
            got.contract.owner.name,
            got.owner.username,
            got.responsible_party.organisation.name,
        )

    assert len(updates) == 3
    assert len(comments) == 3
    assert len(evidence) == 2
    assert sorted(predecessors) == ["Predecessor 0", "Predecessor 1"]
    assert successors == ["Fit-out"]
    assert header == ("Harbour City Council", "sid", "Northgate Construction")


def test_milestone_get_for_user_loads_only_the_milestone_unless_asked(
    world, django_assert_num_queries
):
    milestone = world.deliverable("Structure complete")
    comment_add(milestone=milestone, text="Remark", actor=world.client_member)

    with django_assert_num_queries(1):
        got = milestone_get_for_user(user=world.client_viewer, pk=milestone.pk)
        header = (got.contract.reference, got.owner.username, got.health)
    assert header == ("HCC-2026-001", "sid", "on_track")
    with django_assert_num_queries(1):
        assert [c.text for c in got.comments.all()] == ["Remark"]
