"""Services and selectors for contracts and parties: one test per rule and error code."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from milepost.accounts.choices import Role
from milepost.accounts.services import membership_set
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import (
    ContractAccess,
    contract_access,
    contract_get_for_user,
    contracts_for_user,
)
from milepost.contracts.services import (
    contract_create,
    contract_set_status,
    contract_update,
    party_add,
    party_remove,
)
from milepost.core.errors import Forbidden, NotFound
from tests.helpers import refused, stored_rows

S = ContractStatus
ALL_STATUSES = list(S.values)
# Written out by hand so that a change to CONTRACT_TRANSITIONS has to change this test too.
ALLOWED_TRANSITIONS = {
    (S.DRAFT, S.ACTIVE),
    (S.DRAFT, S.TERMINATED),
    (S.ACTIVE, S.SUSPENDED),
    (S.ACTIVE, S.COMPLETED),
    (S.ACTIVE, S.TERMINATED),
    (S.SUSPENDED, S.ACTIVE),
    (S.SUSPENDED, S.TERMINATED),
}
REFUSED_TRANSITIONS = sorted(
    (old, new)
    for old in ALL_STATUSES
    for new in ALL_STATUSES
    if (old, new) not in ALLOWED_TRANSITIONS
)


def create(world, **overrides):
    """Create a second contract for the client, by its manager, unless told otherwise."""
    fields = {
        "organisation": world.client_org,
        "party_role": PartyRole.CLIENT,
        "reference": "HCC-2026-002",
        "title": "Harbour seawall repair",
        "value": Decimal("250000.00"),
        "currency": "GBP",
        "start_date": world.today,
        "end_date": world.today + dt.timedelta(days=180),
        "actor": world.client_manager,
    }
    fields.update(overrides)
    return contract_create(**fields)


def set_status_directly(contract, status):
    """Put a contract in a status for the test's 'given', bypassing the transition table."""
    Contract.objects.filter(pk=contract.pk).update(status=status)
    contract.refresh_from_db()


# contract_create


def test_creates_draft_contract_owned_by_the_organisation(world):
    contract = create(world, description="Rock armour along 400 m.", time_zone="Europe/Dublin")

    contract.refresh_from_db()
    assert contract.owner == world.client_org
    assert contract.status == ContractStatus.DRAFT
    assert contract.reference == "HCC-2026-002"
    assert contract.title == "Harbour seawall repair"
    assert contract.description == "Rock armour along 400 m."
    assert contract.value == Decimal("250000.00")
    assert contract.currency == "GBP"
    assert contract.time_zone == "Europe/Dublin"
    assert (contract.start_date, contract.end_date) == (
        world.today,
        world.today + dt.timedelta(days=180),
    )


def test_creates_the_creating_organisation_as_first_party_in_its_role(world):
    contract = create(
        world,
        organisation=world.supplier_org,
        party_role=PartyRole.SUPPLIER,
        actor=world.supplier_manager,
    )

    party = contract.parties.get()
    assert party.organisation == world.supplier_org
    assert party.role == PartyRole.SUPPLIER


def test_records_contract_created_then_party_added_events(world):
    last_before = Event.objects.latest("id").id

    contract = create(world)

    created, added = Event.objects.filter(id__gt=last_before).order_by("id")
    assert created.action == "contract.created"
    assert created.object_id == contract.pk
    assert created.contract_id == contract.pk
    assert created.actor == world.client_manager
    assert created.after["reference"] == "HCC-2026-002"
    assert created.after["value"] == "250000.00"
    assert created.after["currency"] == "GBP"
    assert added.action == "party.added"
    assert added.object_id == contract.parties.get().pk
    assert added.contract_id == contract.pk
    assert added.after == {"organisation": "Harbour City Council", "role": "client"}


def test_admin_of_the_organisation_may_create_a_contract(world):
    contract = create(world, organisation=world.outsider_org, actor=world.outsider)

    assert contract.owner == world.outsider_org


@pytest.mark.parametrize(
    ("value", "currency", "stored"),
    [
        ("1234.565", "GBP", Decimal("1234.57")),
        (Decimal("1234.564"), "GBP", Decimal("1234.56")),
        ("1000.5", "JPY", Decimal("1001")),
        (10, "EUR", Decimal("10.00")),
    ],
)
def test_quantizes_the_value_half_up_to_the_currency_minor_unit(world, value, currency, stored):
    contract = create(world, value=value, currency=currency)

    assert contract.value == stored
    assert contract.value.as_tuple().exponent == stored.as_tuple().exponent
    contract.refresh_from_db()
    assert contract.value == stored


def test_upper_cases_the_currency_code(world):
    contract = create(world, currency="eur")

    assert Contract.objects.get(pk=contract.pk).currency == "EUR"


def test_strips_reference_and_title(world):
    contract = create(world, reference="  HCC-2026-002 ", title=" Harbour seawall repair  ")

    contract.refresh_from_db()
    assert (contract.reference, contract.title) == ("HCC-2026-002", "Harbour seawall repair")


@pytest.mark.parametrize("user", ["client_member", "client_viewer", "supplier_manager", "outsider"])
def test_only_a_manager_or_admin_of_the_organisation_may_create_its_contracts(world, user):
    with refused("forbidden", error=Forbidden):
        create(world, actor=getattr(world, user))


def test_rejects_contract_created_as_observer(world):
    with refused("invalid_party_role", "party_role"):
        create(world, party_role=PartyRole.OBSERVER)


def test_rejects_contract_created_in_unknown_party_role(world):
    with refused("invalid_party_role", "party_role"):
        create(world, party_role="landlord")


def test_rejects_contract_with_invalid_currency(world):
    with refused("invalid_currency", "currency"):
        create(world, currency="ZZZ")


@pytest.mark.parametrize(
    "value",
    ["-0.01", "lots", "NaN", "Infinity", "10000000000000", "1e16", Decimal("1e30")],
    ids=[
        "negative",
        "not-a-number",
        "nan",
        "infinite",
        "too-large",
        "overflows-column",
        "overflows-quantize",
    ],
)
def test_rejects_contract_with_invalid_value(world, value):
    with refused("invalid_amount", "value"):
        create(world, value=value)


def test_accepts_the_largest_value_every_database_stores_exactly(world):
    contract = create(world, value="9999999999999.99")

    contract.refresh_from_db()
    assert contract.value == Decimal("9999999999999.99")


def test_rejects_contract_with_invalid_time_zone(world):
    with refused("invalid_time_zone", "time_zone"):
        create(world, time_zone="Europe/Atlantis")


def test_rejects_contract_with_invalid_holiday_country(world):
    with refused("invalid_holiday_country", "holiday_country"):
        create(world, holiday_country="XX")


def test_rejects_contract_with_holiday_region_not_in_its_country(world):
    with refused("invalid_holiday_region", "holiday_region"):
        create(world, holiday_country="GB", holiday_region="BY")


def test_accepts_holiday_region_of_its_country(world):
    contract = create(world, holiday_country="GB", holiday_region="SCT")

    contract.refresh_from_db()
    assert (contract.holiday_country, contract.holiday_region) == ("GB", "SCT")


def test_rejects_contract_whose_end_is_before_start(world):
    with refused("end_before_start", "end_date"):
        create(world, start_date=world.today, end_date=world.today - dt.timedelta(days=1))


def test_accepts_contract_that_ends_on_its_start_day(world):
    contract = create(world, start_date=world.today, end_date=world.today)

    assert contract.end_date == contract.start_date


@pytest.mark.parametrize("field", ["reference", "title"])
def test_rejects_contract_without_reference_or_title(world, field):
    with refused("required", field):
        create(world, **{field: "   "})


def test_rejects_duplicate_reference_within_the_same_owner(world):
    with refused("duplicate_reference", "reference"):
        create(world, reference=" HCC-2026-001 ")


def test_allows_the_same_reference_for_a_different_owner(world):
    contract = create(
        world,
        organisation=world.supplier_org,
        party_role=PartyRole.SUPPLIER,
        reference=world.contract.reference,
        actor=world.supplier_manager,
    )

    assert contract.reference == world.contract.reference
    assert contract.owner == world.supplier_org


# contract_update


def test_a_manager_of_the_owning_organisation_updates_the_contract(world):
    contract_update(
        contract=world.contract, title="Harbour library and archive", actor=world.client_manager
    )

    assert Contract.objects.get(pk=world.contract.pk).title == "Harbour library and archive"


@pytest.mark.parametrize("user", ["supplier_manager", "consultant_manager"])
def test_other_parties_managers_may_not_change_the_contract(world, user):
    actor = getattr(world, user)

    for change in (
        lambda: contract_update(contract=world.contract, title="Ours now", actor=actor),
        lambda: contract_set_status(contract=world.contract, status="terminated", actor=actor),
        lambda: party_remove(party=world.client, actor=actor),
    ):
        with refused("forbidden", error=Forbidden) as caught:
            change()
        assert "owns this contract" in caught.value.message


def test_update_records_only_the_changed_fields_before_and_after(world):
    old_end = world.contract.end_date
    new_end = old_end + dt.timedelta(days=30)

    contract_update(
        contract=world.contract,
        title="Harbour library and archive",
        description=world.contract.description,
        end_date=new_end,
        actor=world.client_manager,
    )

    event = Event.objects.latest("id")
    assert event.action == "contract.updated"
    assert event.contract_id == world.contract.pk
    assert event.actor == world.client_manager
    assert event.before == {"title": "Harbour library extension", "end_date": old_end.isoformat()}
    assert event.after == {"title": "Harbour library and archive", "end_date": new_end.isoformat()}


def test_update_saves_only_the_changed_fields(world):
    stale = Contract.objects.get(pk=world.contract.pk)
    Contract.objects.filter(pk=world.contract.pk).update(description="Written elsewhere meanwhile.")

    contract_update(contract=stale, title="Harbour library and archive", actor=world.client_manager)

    fresh = Contract.objects.get(pk=world.contract.pk)
    assert fresh.title == "Harbour library and archive"
    assert fresh.description == "Written elsewhere meanwhile."


@pytest.mark.parametrize(
    "user", ["client_member", "client_viewer", "supplier_member", "supplier_viewer", "outsider"]
)
def test_only_managers_may_update_a_contract(world, user):
    with refused("forbidden", error=Forbidden):
        contract_update(contract=world.contract, title="Renamed", actor=getattr(world, user))

    assert Contract.objects.get(pk=world.contract.pk).title == "Harbour library extension"


@pytest.mark.parametrize("field", ["value", "currency", "status", "owner", "id"])
def test_rejects_update_of_a_field_that_is_not_editable(world, field):
    with refused("not_editable", field):
        contract_update(
            contract=world.contract,
            title="Renamed",
            **{field: "anything"},
            actor=world.client_manager,
        )

    assert Contract.objects.get(pk=world.contract.pk).title == "Harbour library extension"


def test_unchanged_update_is_a_no_op_without_event(world):
    updated_at = Contract.objects.get(pk=world.contract.pk).updated_at
    before = stored_rows()

    result = contract_update(
        contract=world.contract,
        title=world.contract.title,
        reference=world.contract.reference,
        end_date=world.contract.end_date,
        actor=world.client_manager,
    )

    assert result == world.contract
    assert stored_rows() == before
    assert Contract.objects.get(pk=world.contract.pk).updated_at == updated_at


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"reference": "  "}, "required", "reference"),
        ({"title": ""}, "required", "title"),
        ({"end_date": dt.date(2000, 1, 1)}, "end_before_start", "end_date"),
        ({"start_date": dt.date(2100, 1, 1)}, "end_before_start", "end_date"),
        ({"time_zone": "Europe/Atlantis"}, "invalid_time_zone", "time_zone"),
        ({"holiday_country": "XX"}, "invalid_holiday_country", "holiday_country"),
        ({"holiday_region": "BY"}, "invalid_holiday_region", "holiday_region"),
    ],
)
def test_update_reruns_contract_validation(world, changes, code, field):
    stored = Contract.objects.get(pk=world.contract.pk)

    with refused(code, field):
        contract_update(contract=world.contract, actor=world.client_manager, **changes)

    after = Contract.objects.get(pk=world.contract.pk)
    assert {name: getattr(after, name) for name in changes} == {
        name: getattr(stored, name) for name in changes
    }


def test_rejects_update_to_a_reference_the_owner_already_uses(world):
    other = create(world, reference="HCC-2026-002")

    with refused("duplicate_reference", "reference"):
        contract_update(contract=other, reference="HCC-2026-001 ", actor=world.client_manager)

    assert Contract.objects.get(pk=other.pk).reference == "HCC-2026-002"


def test_update_strips_reference_and_title_like_create(world):
    contract_update(
        contract=world.contract,
        reference=" HCC-2026-001A ",
        title=" Harbour library ",
        actor=world.client_manager,
    )

    stored = Contract.objects.get(pk=world.contract.pk)
    assert (stored.reference, stored.title) == ("HCC-2026-001A", "Harbour library")


# contract_set_status


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED_TRANSITIONS))
def test_moves_contract_along_an_allowed_transition_and_records_event(world, old, new):
    set_status_directly(world.contract, old)

    contract_set_status(contract=world.contract, status=new, actor=world.client_manager)

    assert Contract.objects.get(pk=world.contract.pk).status == new
    event = Event.objects.latest("id")
    assert event.action == "contract.status_changed"
    assert event.contract_id == world.contract.pk
    assert event.before == {"status": old}
    assert event.after == {"status": new}


@pytest.mark.parametrize(("old", "new"), REFUSED_TRANSITIONS)
def test_rejects_transition_outside_the_table(world, old, new):
    set_status_directly(world.contract, old)

    with refused("invalid_transition", "status"):
        contract_set_status(contract=world.contract, status=new, actor=world.client_manager)

    assert Contract.objects.get(pk=world.contract.pk).status == old


def test_rejects_reopening_a_completed_contract(world):
    contract_set_status(contract=world.contract, status=S.COMPLETED, actor=world.client_manager)

    with refused("invalid_transition", "status"):
        contract_set_status(contract=world.contract, status=S.ACTIVE, actor=world.client_manager)

    assert Contract.objects.get(pk=world.contract.pk).status == S.COMPLETED


def test_rejects_unknown_contract_status(world):
    with refused("invalid_status", "status"):
        contract_set_status(contract=world.contract, status="paused", actor=world.client_manager)


@pytest.mark.parametrize("user", ["client_member", "supplier_viewer", "outsider"])
def test_only_managers_may_change_contract_status(world, user):
    with refused("forbidden", error=Forbidden):
        contract_set_status(contract=world.contract, status=S.SUSPENDED, actor=getattr(world, user))

    assert Contract.objects.get(pk=world.contract.pk).status == S.ACTIVE


@pytest.mark.parametrize(
    ("first_role", "added"),
    [
        (PartyRole.CLIENT, None),
        (PartyRole.SUPPLIER, None),
        (PartyRole.CLIENT, PartyRole.CONSULTANT),
        (PartyRole.CLIENT, PartyRole.SUBCONTRACTOR),
    ],
    ids=["client-only", "supplier-only", "client-and-consultant", "client-and-subcontractor"],
)
def test_activation_needs_a_client_and_a_supplier(world, first_role, added):
    draft = create(world, party_role=first_role)
    if added:
        party_add(
            contract=draft,
            organisation=world.consultant_org,
            role=added,
            actor=world.client_manager,
        )

    with refused("parties_incomplete", "status"):
        contract_set_status(contract=draft, status=S.ACTIVE, actor=world.client_manager)

    assert Contract.objects.get(pk=draft.pk).status == S.DRAFT


def test_activates_a_draft_once_client_and_supplier_are_parties(world):
    draft = create(world)
    party_add(
        contract=draft,
        organisation=world.supplier_org,
        role=PartyRole.SUPPLIER,
        actor=world.client_manager,
    )

    contract_set_status(contract=draft, status=S.ACTIVE, actor=world.client_manager)

    assert Contract.objects.get(pk=draft.pk).status == S.ACTIVE


def test_reactivation_after_suspension_also_needs_a_supplier(world):
    contract_set_status(contract=world.contract, status=S.SUSPENDED, actor=world.client_manager)
    party_remove(party=world.supplier, actor=world.client_manager)

    with refused("parties_incomplete", "status"):
        contract_set_status(contract=world.contract, status=S.ACTIVE, actor=world.client_manager)

    assert Contract.objects.get(pk=world.contract.pk).status == S.SUSPENDED


# party_add


def test_manager_adds_a_party_and_records_event(world):
    party = party_add(
        contract=world.contract,
        organisation=world.outsider_org,
        role=PartyRole.OBSERVER,
        actor=world.client_manager,
    )

    assert Party.objects.get(pk=party.pk).role == PartyRole.OBSERVER
    assert world.contract.parties.count() == 4
    event = Event.objects.latest("id")
    assert event.action == "party.added"
    assert event.object_id == party.pk
    assert event.contract_id == world.contract.pk
    assert event.actor == world.client_manager
    assert event.after == {"organisation": "Unrelated Holdings", "role": "observer"}


def test_rejects_adding_an_organisation_that_is_already_a_party(world):
    with refused("duplicate_party", "organisation"):
        party_add(
            contract=world.contract,
            organisation=world.supplier_org,
            role=PartyRole.SUBCONTRACTOR,
            actor=world.client_manager,
        )

    assert Party.objects.get(pk=world.supplier.pk).role == PartyRole.SUPPLIER


def test_rejects_party_in_an_unknown_role(world):
    with refused("invalid_party_role", "role"):
        party_add(
            contract=world.contract,
            organisation=world.outsider_org,
            role="landlord",
            actor=world.client_manager,
        )


@pytest.mark.parametrize("user", ["client_member", "client_viewer", "supplier_viewer", "outsider"])
def test_only_managers_may_add_parties(world, user):
    with refused("forbidden", error=Forbidden):
        party_add(
            contract=world.contract,
            organisation=world.outsider_org,
            role=PartyRole.OBSERVER,
            actor=getattr(world, user),
        )


def test_a_manager_of_an_observer_party_may_not_add_parties(world):
    party_add(
        contract=world.contract,
        organisation=world.outsider_org,
        role=PartyRole.OBSERVER,
        actor=world.client_manager,
    )

    with refused("forbidden", error=Forbidden):
        party_add(
            contract=world.contract,
            organisation=world.outsider_org,
            role=PartyRole.SUPPLIER,
            actor=world.outsider,
        )


# party_remove


def test_manager_removes_an_unused_party_and_records_event(world):
    consultant_id = world.consultant.pk

    party_remove(party=world.consultant, actor=world.client_manager)

    assert not Party.objects.filter(pk=consultant_id).exists()
    event = Event.objects.latest("id")
    assert event.action == "party.removed"
    assert event.object_type == "contracts.party"
    assert event.object_id == consultant_id
    assert event.contract_id == world.contract.pk
    assert event.actor == world.client_manager
    assert event.before == {"organisation": "Arden Project Management", "role": "consultant"}
    assert event.after is None


def test_rejects_removing_the_last_party(world):
    draft = create(world)
    only = draft.parties.get()

    with refused("last_party", "party"):
        party_remove(party=only, actor=world.client_manager)

    assert Party.objects.filter(pk=only.pk).exists()


def test_the_owning_organisation_stays_a_party(world):
    with refused("owner_party", "party"):
        party_remove(party=world.client, actor=world.client_manager)

    assert Party.objects.filter(pk=world.client.pk).exists()


def test_allows_removing_own_party_while_managing_through_another(world):
    membership_set(
        user=world.consultant_manager, organisation=world.client_org, role=Role.MANAGER, actor=None
    )

    party_remove(party=world.consultant, actor=world.consultant_manager)

    assert not Party.objects.filter(pk=world.consultant.pk).exists()


def test_rejects_removing_a_party_named_responsible_on_a_milestone(world):
    world.deliverable()

    with refused("party_in_use", "party"):
        party_remove(party=world.supplier, actor=world.client_manager)

    assert Party.objects.filter(pk=world.supplier.pk).exists()


def test_rejects_removing_a_party_named_accepting_on_a_milestone(world):
    world.deliverable(accepting_party=world.consultant)

    with refused("party_in_use", "party"):
        party_remove(party=world.consultant, actor=world.client_manager)

    assert Party.objects.filter(pk=world.consultant.pk).exists()


@pytest.mark.parametrize("user", ["client_member", "client_viewer", "supplier_member", "outsider"])
def test_only_managers_may_remove_parties(world, user):
    with refused("forbidden", error=Forbidden):
        party_remove(party=world.consultant, actor=getattr(world, user))

    assert Party.objects.filter(pk=world.consultant.pk).exists()


# contracts_for_user and contract_get_for_user


@pytest.mark.parametrize(
    "user", ["client_manager", "client_viewer", "supplier_member", "consultant_manager"]
)
def test_every_member_of_a_party_sees_the_contract(world, user):
    assert list(contracts_for_user(user=getattr(world, user))) == [world.contract]


def test_an_outsider_sees_no_contracts(world):
    assert not contracts_for_user(user=world.outsider).exists()


def test_an_anonymous_user_sees_no_contracts(world):
    assert not contracts_for_user(user=AnonymousUser()).exists()


def test_lists_a_contract_once_for_a_user_in_two_of_its_parties(world):
    membership_set(
        user=world.client_viewer, organisation=world.supplier_org, role=Role.VIEWER, actor=None
    )

    assert list(contracts_for_user(user=world.client_viewer)) == [world.contract]


def test_lists_contracts_with_their_owner_in_one_query(world, django_assert_num_queries):
    create(world, reference="HCC-2026-002")
    create(world, reference="HCC-2026-003")

    with django_assert_num_queries(1):
        owners = [contract.owner.name for contract in contracts_for_user(user=world.client_viewer)]

    assert owners == ["Harbour City Council"] * 3


def test_a_viewer_gets_the_contract(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        contract = contract_get_for_user(user=world.client_viewer, pk=world.contract.pk)
        assert contract.owner == world.client_org

    assert contract == world.contract


def test_an_outsider_gets_not_found_for_a_contract(world):
    with refused("not_found", error=NotFound):
        contract_get_for_user(user=world.outsider, pk=world.contract.pk)


def test_a_missing_contract_is_not_found(world):
    missing = Contract.objects.order_by("-pk").first().pk + 1

    with refused("not_found", error=NotFound):
        contract_get_for_user(user=world.client_manager, pk=missing)


# ContractAccess


def test_computes_access_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        access = contract_access(user=world.supplier_member, contract=world.contract)

    assert access.parties == {world.supplier.pk: (PartyRole.SUPPLIER, Role.MEMBER)}


def test_a_manager_can_view_contribute_and_manage(world):
    access = contract_access(user=world.client_manager, contract=world.contract)

    assert (access.can_view, access.can_contribute, access.can_manage) == (True, True, True)
    access.require_manager()
    access.require_contributor()


def test_a_member_contributes_but_cannot_manage(world):
    access = contract_access(user=world.supplier_member, contract=world.contract)

    assert (access.can_view, access.can_contribute, access.can_manage) == (True, True, False)
    access.require_contributor()
    with refused("forbidden", error=Forbidden):
        access.require_manager()


def test_a_viewer_sees_but_cannot_contribute(world):
    access = contract_access(user=world.client_viewer, contract=world.contract)

    assert (access.can_view, access.can_contribute, access.can_manage) == (True, False, False)
    with refused("forbidden", error=Forbidden):
        access.require_contributor()


def test_managers_of_an_observer_party_see_but_cannot_manage_or_contribute(world):
    party_add(
        contract=world.contract,
        organisation=world.outsider_org,
        role=PartyRole.OBSERVER,
        actor=world.client_manager,
    )

    access = contract_access(user=world.outsider, contract=world.contract)

    assert (access.can_view, access.can_contribute, access.can_manage) == (True, False, False)
    with refused("forbidden", error=Forbidden):
        access.require_manager()


@pytest.mark.parametrize("user", ["outsider", None, "anonymous"])
def test_a_user_of_no_party_has_no_access(world, user):
    actor = {"outsider": world.outsider, None: None, "anonymous": AnonymousUser()}[user]

    access = contract_access(user=actor, contract=world.contract)

    assert access.contract_id == world.contract.pk
    assert (access.can_view, access.can_contribute, access.can_manage) == (False, False, False)


def test_acting_rights_come_from_the_strongest_non_observer_party():
    access = ContractAccess(
        contract_id=1,
        parties={1: (PartyRole.OBSERVER, Role.ADMIN), 2: (PartyRole.SUPPLIER, Role.MEMBER)},
    )

    assert access.can_contribute
    assert not access.can_manage


def test_acts_for_only_the_parties_of_the_users_organisations(world):
    access = contract_access(user=world.supplier_member, contract=world.contract)

    assert access.acts_for(world.supplier.pk)
    assert not access.acts_for(world.supplier.pk, Role.MANAGER)
    assert not access.acts_for(world.client.pk)


@pytest.mark.parametrize("closing", [S.COMPLETED, S.TERMINATED])
def test_a_closed_contract_no_longer_changes_its_fields_or_parties(world, closing):
    contract_set_status(contract=world.contract, status=closing, actor=world.client_manager)

    for attempt in (
        lambda: contract_update(
            contract=world.contract, title="Renamed", actor=world.client_manager
        ),
        lambda: party_add(
            contract=world.contract,
            organisation=world.outsider_org,
            role=PartyRole.OBSERVER,
            actor=world.client_manager,
        ),
        lambda: party_remove(party=world.consultant, actor=world.client_manager),
    ):
        with refused("contract_closed", "contract"):
            attempt()

    assert Contract.objects.get(pk=world.contract.pk).title == "Harbour library extension"
