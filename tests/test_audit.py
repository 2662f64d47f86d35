"""The hash-chained event log: how events are recorded, scoped and verified."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db.models import ProtectedError

from milepost.accounts.events import AccountEvent
from milepost.accounts.services import organisation_create, user_create
from milepost.audit.models import Event
from milepost.audit.selectors import chain_verify, events_for_contract, events_for_milestone
from milepost.audit.services import GENESIS, event_hash, event_record, hashed_fields
from milepost.contracts.events import ContractEvent
from milepost.contracts.services import contract_update


def test_genesis_is_sixty_four_zeros():
    assert GENESIS == "0" * 64


def test_first_event_links_to_genesis(db):
    assert not Event.objects.exists()

    organisation_create(name="Harbour City Council", actor=None)

    event = Event.objects.get()
    assert event.prev_hash == "0" * 64
    assert event.hash == event_hash(GENESIS, hashed_fields(event))


def test_each_event_links_to_the_hash_of_the_one_before(world):
    events = list(Event.objects.order_by("id"))

    assert len(events) > 10
    assert events[0].prev_hash == GENESIS
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    assert len({event.hash for event in events}) == len(events)


def test_stored_hash_matches_the_content_read_back_from_the_database(world):
    for event in Event.objects.order_by("id"):
        assert event.hash == event_hash(event.prev_hash, hashed_fields(event))


def test_records_actor_action_object_and_values(world):
    event = event_record(
        actor=world.client_manager,
        action=AccountEvent.ORGANISATION_CHANGED_BY_OPERATOR,
        obj=world.client_org,
        before={"name": "Harbour Council"},
        after={"name": "Harbour City Council"},
    )

    stored = Event.objects.get(pk=event.pk)
    assert stored.actor == world.client_manager
    assert stored.actor_name == "cora"
    assert stored.action == "organisation.changed_by_operator"
    assert stored.object_type == "accounts.organisation"
    assert stored.object_id == world.client_org.pk
    assert stored.before == {"name": "Harbour Council"}
    assert stored.after == {"name": "Harbour City Council"}
    assert stored.occurred_at.tzinfo is not None


def test_a_system_event_has_no_actor_and_an_empty_actor_name(db):
    organisation_create(name="Harbour City Council", actor=None)

    event = Event.objects.get()
    assert event.actor is None
    assert event.actor_name == ""


def test_stores_decimals_and_dates_as_they_read_back_so_the_hash_holds(world):
    event = event_record(
        actor=None,
        action=ContractEvent.CONTRACT_REVALUED,
        obj=world.contract,
        before={"value": Decimal("1000000.00"), "due": dt.date(2026, 3, 31)},
        after={"value": Decimal("1250000.50"), "due": dt.date(2026, 4, 30)},
    )

    stored = Event.objects.get(pk=event.pk)
    assert stored.before == {"value": "1000000.00", "due": "2026-03-31"}
    assert stored.after == {"value": "1250000.50", "due": "2026-04-30"}
    assert event.after == stored.after
    assert stored.hash == event_hash(stored.prev_hash, hashed_fields(stored))
    assert chain_verify().intact


# Scope


def test_a_contract_event_carries_the_contract_id_and_no_milestone_id(world):
    contract_update(
        contract=world.contract, title="Harbour library and archive", actor=world.client_manager
    )

    event = Event.objects.latest("id")
    assert event.action == "contract.updated"
    assert event.contract_id == world.contract.pk
    assert event.milestone_id is None


def test_a_party_event_carries_its_contract_id(world):
    event = Event.objects.get(action="party.added", object_id=world.supplier.pk)

    assert event.contract_id == world.contract.pk
    assert event.milestone_id is None


def test_a_milestone_event_carries_its_contract_and_milestone_ids(world):
    milestone = world.deliverable()

    event = Event.objects.get(action="milestone.created")
    assert event.object_type == "schedule.milestone"
    assert event.object_id == milestone.pk
    assert event.contract_id == world.contract.pk
    assert event.milestone_id == milestone.pk


def test_an_organisation_event_has_no_contract_or_milestone_scope(db):
    organisation_create(name="Harbour City Council", actor=None)

    event = Event.objects.get()
    assert (event.contract_id, event.milestone_id) == (None, None)


def test_explicit_scope_overrides_the_scope_of_the_object(world):
    milestone = world.deliverable()

    event = event_record(
        actor=None,
        action=AccountEvent.ORGANISATION_CHANGED_BY_OPERATOR,
        obj=world.client_org,
        contract_id=world.contract.pk,
        milestone_id=milestone.pk,
    )

    stored = Event.objects.get(pk=event.pk)
    assert (stored.contract_id, stored.milestone_id) == (world.contract.pk, milestone.pk)


def test_histories_list_a_contracts_and_a_milestones_events_newest_first(world):
    milestone = world.deliverable()
    unrelated = event_record(
        actor=None, action=AccountEvent.ORGANISATION_CHANGED_BY_OPERATOR, obj=world.client_org
    )

    contract_events = list(events_for_contract(contract_id=world.contract.pk))
    milestone_events = list(events_for_milestone(milestone_id=milestone.pk))

    assert unrelated not in contract_events
    assert [event.id for event in contract_events] == sorted(
        (event.id for event in contract_events), reverse=True
    )
    assert {event.action for event in contract_events} >= {
        "contract.created",
        "party.added",
        "contract.status_changed",
        "milestone.created",
    }
    assert [event.action for event in milestone_events] == ["milestone.created"]


# chain_verify


def test_an_empty_log_is_intact(db):
    report = chain_verify()

    assert report.intact
    assert report.checked == 0
    assert report.first_broken_id is None


def test_reports_an_intact_chain_and_how_many_events_it_checked(world):
    report = chain_verify()

    assert report.intact
    assert report.first_broken_id is None
    assert report.checked == Event.objects.count()


def test_verifies_across_batches(world):
    report = chain_verify(batch_size=2)

    assert report.intact
    assert report.checked == Event.objects.count()


def middle_event():
    """Return every event id and one in the middle of the chain that a user acted on."""
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    target = Event.objects.filter(action="party.added", actor__isnull=False).order_by("id").first()
    assert ids[0] < target.id < ids[-1]
    return ids, target.id


def test_detects_an_event_whose_after_was_edited(world):
    ids, tampered = middle_event()
    Event.objects.filter(pk=tampered).update(after={"role": "admin"})

    report = chain_verify()

    assert not report.intact
    assert report.first_broken_id == tampered
    assert report.checked == ids.index(tampered)


@pytest.mark.parametrize(
    "changes",
    [
        {"before": {"role": "viewer"}},
        {"action": "membership.removed"},
        {"actor_name": "mallory"},
        {"actor": None},
        {"object_id": 999_999},
        {"contract_id": 999_999},
        {"milestone_id": 999_999},
        {"occurred_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_detects_an_edit_to_any_hashed_field(world, changes):
    _, tampered = middle_event()
    Event.objects.filter(pk=tampered).update(**changes)

    assert chain_verify().first_broken_id == tampered


def test_detects_a_deleted_event_at_the_event_after_it(world):
    ids, deleted = middle_event()
    Event.objects.filter(pk=deleted).delete()

    report = chain_verify()

    assert report.first_broken_id == ids[ids.index(deleted) + 1]
    assert report.checked == ids.index(deleted)


def test_detects_an_edited_event_whose_own_hash_was_recomputed(world):
    ids, tampered = middle_event()
    event = Event.objects.get(pk=tampered)
    event.after = {"forged": True}
    Event.objects.filter(pk=tampered).update(
        after=event.after, hash=event_hash(event.prev_hash, hashed_fields(event))
    )

    assert chain_verify().first_broken_id == ids[ids.index(tampered) + 1]


def test_detects_an_event_that_no_longer_links_to_the_one_before(world):
    _, tampered = middle_event()
    event = Event.objects.get(pk=tampered)
    relinked = event_hash(GENESIS, hashed_fields(event))
    Event.objects.filter(pk=tampered).update(prev_hash=GENESIS, hash=relinked)

    assert chain_verify().first_broken_id == tampered


def test_a_user_who_acted_cannot_be_deleted_so_the_chain_stays_intact(db):
    user = user_create(username="petra", password="correct-horse-battery-staple", actor=None)
    organisation_create(name="Harbour City Council", actor=user)

    with pytest.raises(ProtectedError):
        user.delete()

    assert chain_verify().intact
