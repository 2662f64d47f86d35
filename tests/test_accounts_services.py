"""Services for organisations, users and memberships: one test per rule and error code."""

import pytest

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, Organisation, User
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.audit.models import Event
from milepost.core.errors import Forbidden
from tests.helpers import refused

STRONG = "correct-horse-battery-staple"


def make_user(username: str = "petra") -> User:
    return user_create(username=username, password=STRONG, actor=None)


# organisation_create


def test_creates_organisation_with_slug_from_its_name_and_records_event(db):
    org = organisation_create(name="  Harbour City Council ", actor=None)

    org.refresh_from_db()
    assert org.name == "Harbour City Council"
    assert org.slug == "harbour-city-council"
    event = Event.objects.get(action="organisation.created")
    assert event.object_type == "accounts.organisation"
    assert event.object_id == org.pk
    assert event.before is None
    assert event.after == {"name": "Harbour City Council", "slug": "harbour-city-council"}


def test_creates_organisation_with_the_slug_given(db):
    org = organisation_create(name="Harbour City Council", slug="hcc", actor=None)

    assert Organisation.objects.get(pk=org.pk).slug == "hcc"


def test_records_the_acting_user_on_organisation_created(db):
    actor = make_user("ada")

    organisation_create(name="Harbour City Council", actor=actor)

    event = Event.objects.get(action="organisation.created")
    assert event.actor == actor
    assert event.actor_name == "ada"


def test_truncates_a_slug_made_from_a_long_name_to_80_characters(db):
    org = organisation_create(name="Harbour " * 20, actor=None)

    assert len(org.slug) == 80
    assert org.slug.startswith("harbour-harbour")


def test_rejects_organisation_without_a_name(db):
    with refused("required", "name"):
        organisation_create(name="   ", actor=None)

    assert not Organisation.objects.exists()
    assert not Event.objects.exists()


def test_rejects_organisation_whose_slug_is_taken(db):
    organisation_create(name="Harbour City Council", actor=None)

    with refused("duplicate_slug", "slug"):
        organisation_create(name="HARBOUR city council", actor=None)

    assert Organisation.objects.count() == 1
    assert Event.objects.count() == 1


def test_rejects_organisation_whose_given_slug_is_taken(db):
    organisation_create(name="Harbour City Council", slug="hcc", actor=None)

    with refused("duplicate_slug", "slug"):
        organisation_create(name="Highland Cattle Company", slug="hcc", actor=None)

    assert Organisation.objects.count() == 1


def test_rejects_organisation_whose_name_gives_no_slug(db):
    with refused("invalid_slug", "slug"):
        organisation_create(name="東京都", actor=None)

    assert not Organisation.objects.exists()


def test_creates_organisation_with_non_latin_name_when_given_a_slug(db):
    org = organisation_create(name="東京都", slug="tokyo", actor=None)

    assert (org.name, org.slug) == ("東京都", "tokyo")


def test_rejects_organisation_whose_given_slug_is_not_a_slug(db):
    with refused("invalid_slug", "slug"):
        organisation_create(name="Harbour City Council", slug="harbour city!", actor=None)

    assert not Organisation.objects.exists()


def test_rejects_organisation_whose_given_slug_is_longer_than_80_characters(db):
    with refused("invalid_slug", "slug"):
        organisation_create(name="Harbour City Council", slug="h" * 81, actor=None)

    assert not Organisation.objects.exists()


# user_create


def test_creates_user_with_a_hashed_usable_password_and_records_event(db):
    user = user_create(
        username=" petra ",
        password=STRONG,
        email="petra@example.test",
        first_name="Petra",
        last_name="Nowak",
        time_zone="Europe/Warsaw",
        actor=None,
    )

    user.refresh_from_db()
    assert user.username == "petra"
    assert user.time_zone == "Europe/Warsaw"
    assert user.get_full_name() == "Petra Nowak"
    assert user.password != STRONG
    assert user.check_password(STRONG)
    event = Event.objects.get(action="user.created")
    assert event.object_id == user.pk
    assert event.after == {"username": "petra", "email": "petra@example.test", "operator": False}


def test_user_created_event_never_contains_the_password(db):
    make_user()

    event = Event.objects.get(action="user.created")
    assert STRONG not in str(event.after)
    assert "password" not in event.after


def test_rejects_user_without_a_username(db):
    with refused("required", "username"):
        user_create(username="  ", password=STRONG, actor=None)

    assert not User.objects.exists()


def test_rejects_user_whose_username_is_taken(db):
    make_user("petra")

    with refused("duplicate_username", "username"):
        user_create(username="petra", password=STRONG, email="other@example.test", actor=None)

    assert User.objects.count() == 1
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "83920174653", "petra.nowak"],
    ids=["too-short", "common", "all-digits", "like-username"],
)
def test_rejects_weak_password(db, password):
    with refused("weak_password", "password"):
        user_create(username="petra.nowak", password=password, actor=None)

    assert not User.objects.exists()
    assert not Event.objects.exists()


def test_weak_password_message_explains_the_validator(db):
    with refused("weak_password", "password") as caught:
        user_create(username="petra", password="short1!", actor=None)

    assert "too short" in caught.value.message


def test_accepts_weak_password_when_checking_is_turned_off(db):
    user = user_create(username="petra", password="pw", check_password=False, actor=None)

    assert User.objects.get(pk=user.pk).check_password("pw")


def test_rejects_user_with_invalid_time_zone(db):
    with refused("invalid_time_zone", "time_zone"):
        user_create(username="petra", password=STRONG, time_zone="Mars/Olympus_Mons", actor=None)

    assert not User.objects.exists()


# membership_set


def test_gives_user_a_role_in_an_organisation_and_records_event(db):
    user = make_user("petra")
    org = organisation_create(name="Harbour City Council", actor=None)

    membership = membership_set(user=user, organisation=org, role=Role.MEMBER, actor=None)

    assert Membership.objects.get(user=user, organisation=org).role == Role.MEMBER
    event = Event.objects.get(action="membership.set")
    assert event.object_id == membership.pk
    assert event.before is None
    assert event.after == {
        "user": "petra",
        "organisation": "harbour-city-council",
        "role": "member",
    }


def test_changing_a_role_records_the_role_before_and_after(db):
    user = make_user("petra")
    org = organisation_create(name="Harbour City Council", actor=None)
    membership_set(user=user, organisation=org, role=Role.MEMBER, actor=None)
    admin = make_user("ada")
    membership_set(user=admin, organisation=org, role=Role.ADMIN, actor=None)

    membership_set(user=user, organisation=org, role=Role.MANAGER, actor=admin)

    assert Membership.objects.get(user=user, organisation=org).role == Role.MANAGER
    assert Membership.objects.filter(user=user).count() == 1
    event = Event.objects.filter(action="membership.set").last()
    assert event.actor == admin
    assert event.before == {"role": "member"}
    assert event.after == {
        "user": "petra",
        "organisation": "harbour-city-council",
        "role": "manager",
    }


def test_setting_the_role_a_member_already_has_is_a_no_op_without_event(db):
    user = make_user("petra")
    org = organisation_create(name="Harbour City Council", actor=None)
    first = membership_set(user=user, organisation=org, role=Role.VIEWER, actor=None)
    events_before = Event.objects.count()

    again = membership_set(user=user, organisation=org, role=Role.VIEWER, actor=None)

    assert again.pk == first.pk
    assert again.updated_at == first.updated_at
    assert Event.objects.count() == events_before


def test_rejects_membership_with_invalid_role(db):
    user = make_user("petra")
    org = organisation_create(name="Harbour City Council", actor=None)

    with refused("invalid_role", "role"):
        membership_set(user=user, organisation=org, role="owner", actor=None)

    assert not Membership.objects.exists()
    assert not Event.objects.filter(action="membership.set").exists()


def test_rejects_invalid_role_without_changing_an_existing_membership(db):
    user = make_user("petra")
    org = organisation_create(name="Harbour City Council", actor=None)
    membership_set(user=user, organisation=org, role=Role.MEMBER, actor=None)

    with refused("invalid_role", "role"):
        membership_set(user=user, organisation=org, role="superuser", actor=None)

    assert Membership.objects.get(user=user, organisation=org).role == Role.MEMBER
    assert Event.objects.filter(action="membership.set").count() == 1


def test_a_member_cannot_promote_themselves(db):
    user = make_user("petra")
    org = organisation_create(name="Harbour City Council", actor=None)
    membership_set(user=user, organisation=org, role=Role.MEMBER, actor=None)
    events_before = Event.objects.count()

    with refused("forbidden", error=Forbidden):
        membership_set(user=user, organisation=org, role=Role.ADMIN, actor=user)

    assert Membership.objects.get(user=user, organisation=org).role == Role.MEMBER
    assert Event.objects.count() == events_before


def test_an_operator_may_sign_in_to_the_admin_and_a_plain_user_may_not(db):
    operator = user_create(username="ops", password=STRONG, operator=True, actor=None)
    plain = user_create(username="petra", password=STRONG, actor=None)

    assert operator.is_staff and operator.is_superuser
    assert not plain.is_staff and not plain.is_superuser


def test_only_an_operator_may_create_another_operator(db):
    plain = user_create(username="petra", password=STRONG, actor=None)

    with refused("forbidden", error=Forbidden):
        user_create(username="mallory", password=STRONG, operator=True, actor=plain)

    assert not User.objects.filter(username="mallory").exists()
