"""A person's own profile: name, email and time zone, on the web and over the API."""

from django.test import Client
from django.urls import reverse

from milepost.accounts.models import User
from milepost.audit.models import Event

from .helpers import refused, signed_in
from .test_api import API, bearer

URL = reverse("accounts:profile")


def test_profile_page_shows_the_persons_own_details(world):
    page = signed_in(world.client_manager).get(URL)
    assert page.status_code == 200
    assert b'value="cora@example.test"' in page.content
    # The time zone is typed with the zone names suggested (a datalist), not picked from 599.
    assert b'name="time_zone" value="Europe/London"' in page.content
    assert b'<option value="Asia/Tokyo"></option>' in page.content


def test_saving_the_profile_changes_it_and_records_the_change(world):
    response = signed_in(world.client_manager).post(
        URL,
        {
            "first_name": "Cora",
            "last_name": "Hale",
            "email": "cora@council.test",
            "time_zone": "Asia/Tokyo",
        },
        follow=True,
    )
    assert b"Profile saved." in response.content
    user = User.objects.get(username="cora")
    assert (user.get_full_name(), user.email, user.time_zone) == (
        "Cora Hale",
        "cora@council.test",
        "Asia/Tokyo",
    )
    event = Event.objects.filter(action="user.profile_changed").get()
    assert event.actor == user
    assert event.before["time_zone"] == "Europe/London" and event.after["time_zone"] == "Asia/Tokyo"


def test_an_invalid_profile_is_refused_naming_the_field_and_changes_nothing(world):
    response = signed_in(world.client_manager).post(
        URL, {"first_name": "Cora", "email": "not an email", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 422
    assert b"Enter a valid email address." in response.content
    assert b"&#x27;Mars/Olympus&#x27; is not a time zone" in response.content
    user = User.objects.get(username="cora")
    assert (user.first_name, user.email, user.time_zone) == (
        "",
        "cora@example.test",
        "Europe/London",
    )
    assert not Event.objects.filter(action="user.profile_changed").exists()


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_api_reads_and_changes_only_ones_own_profile(world):
    client = bearer(world.supplier_member)
    assert client.get(f"{API}/me").json()["username"] == "sid"
    changed = client.patch(
        f"{API}/me", {"time_zone": "America/New_York"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["time_zone"] == "America/New_York"
    refused = client.patch(
        f"{API}/me", {"time_zone": "Nowhere/Else"}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "time_zone"
    assert User.objects.get(username="sid").time_zone == "America/New_York"
    unknown = client.patch(f"{API}/me", {"username": "root"}, content_type="application/json")
    # A field the body does not have is refused by name, and changes nothing
    assert User.objects.get(pk=world.supplier_member.pk).username == "sid"
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "username"


def test_nobody_changes_another_persons_profile(world):

    from milepost.accounts.services import user_update_profile
    from milepost.core.errors import NotFound

    with refused("not_found", error=NotFound):
        user_update_profile(
            user=world.supplier_member, actor=world.outsider, time_zone="Asia/Tokyo"
        )
    assert User.objects.get(pk=world.supplier_member.pk).time_zone == "Europe/London"
