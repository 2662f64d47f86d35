"""The API tokens page: list, create (secret shown once), revoke; only ever your own tokens."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from milepost.accounts.models import ApiToken
from milepost.accounts.services import api_token_create
from milepost.audit.models import Event

from .conftest import PASSWORD

API = "/api/v1"
PAGE = reverse("accounts:token-list")


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def shown_secret(body: str) -> str:
    match = re.search(r'id="new-token"[^>]*value="(mp_[^"]+)"', body)
    assert match, "the new token's secret is not on the page"
    return match.group(1)


def test_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(PAGE, {"name": "Sneaky"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_navigation_links_to_the_tokens_page(login, world):
    body = login(world.client_manager).get(reverse("reporting:contract-list")).content.decode()
    assert f'href="{PAGE}"' in body


def test_page_lists_only_the_users_own_tokens(login, world):
    mine, _ = api_token_create(user=world.client_manager, name="Finance export", read_only=True)
    api_token_create(user=world.outsider, name="Otto's secret script")
    response = login(world.client_manager).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Finance export" in body and mine.prefix in body and "Read-only" in body
    assert "Otto" not in body


def test_creating_shows_the_secret_once_and_it_works_as_a_bearer_token(login, world):
    client = login(world.client_manager)
    response = client.post(PAGE, {"name": "Finance export"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "It will not be shown again" in body
    raw = shown_secret(body)
    assert raw not in client.get(PAGE).content.decode()
    api = bearer(raw).get(f"{API}/contracts")
    assert api.status_code == 200
    assert [c["reference"] for c in api.json()] == ["HCC-2026-001"]


def test_created_token_is_read_only_when_ticked(login, world):
    response = login(world.client_manager).post(PAGE, {"name": "Dashboard", "read_only": "on"})
    raw = shown_secret(response.content.decode())
    api = bearer(raw)
    assert api.get(f"{API}/contracts").status_code == 200
    refused = api.post(f"{API}/tokens", {"name": "Another"}, content_type="application/json")
    assert refused.status_code == 403
    assert ApiToken.objects.count() == 1


def test_expiry_is_read_in_the_users_time_zone(login, world):
    response = login(world.client_manager).post(
        PAGE, {"name": "Until Christmas", "expires_at": "2099-12-25T18:00"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.expires_at == dt.datetime(2099, 12, 25, 18, 0, tzinfo=dt.UTC)  # London winter
    assert "25 Dec 2099 18:00" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"name": "   "}, "This field is required."),
        ({"name": "Old", "expires_at": "2000-01-01T00:00"}, "The expiry must be in the future."),
        ({"name": "Odd", "expires_at": "next week"}, "Enter a valid date/time."),
    ],
)
def test_invalid_input_shows_the_error_by_the_field_and_creates_nothing(
    login, world, data, message
):
    response = login(world.client_manager).post(PAGE, data)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and 'aria-invalid="true"' in body
    assert 'id="new-token"' not in body
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_says_so(login, world):
    token, raw = api_token_create(user=world.client_manager, name="Old laptop")
    assert bearer(raw).get(f"{API}/contracts").status_code == 200
    client = login(world.client_manager)
    response = client.post(reverse("accounts:token-revoke", args=[token.pk]), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "revoked; it no longer works" in body and "Revoked" in body
    assert reverse("accounts:token-revoke", args=[token.pk]) not in body
    assert bearer(raw).get(f"{API}/contracts").status_code == 401


def test_revoking_twice_explains_instead_of_failing(login, world):
    token, _ = api_token_create(user=world.client_manager, name="Old laptop")
    client = login(world.client_manager)
    url = reverse("accounts:token-revoke", args=[token.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "This token is revoked already." in response.content.decode()


def test_someone_elses_token_is_404_and_keeps_working(login, world):
    token, raw = api_token_create(user=world.outsider, name="Otto's script")
    response = login(world.client_manager).post(reverse("accounts:token-revoke", args=[token.pk]))
    assert response.status_code == 404
    assert bearer(raw).get(f"{API}/contracts").status_code == 200
    assert not Event.objects.filter(action="api_token.revoked").exists()


def test_revoke_needs_a_post(login, world):
    token, raw = api_token_create(user=world.client_manager, name="Laptop")
    response = login(world.client_manager).get(reverse("accounts:token-revoke", args=[token.pk]))
    assert response.status_code == 405
    assert bearer(raw).get(f"{API}/contracts").status_code == 200


def test_revoke_is_refused_without_the_csrf_token(world):
    token, raw = api_token_create(user=world.client_manager, name="Laptop")
    client = Client(enforce_csrf_checks=True)
    client.login(username="cora", password=PASSWORD)
    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 403
    assert bearer(raw).get(f"{API}/contracts").status_code == 200


def test_create_and_revoke_leave_audit_events_naming_the_person(login, world):
    client = login(world.client_manager)
    shown_secret(client.post(PAGE, {"name": "Finance export"}).content.decode())
    token = ApiToken.objects.get()
    client.post(reverse("accounts:token-revoke", args=[token.pk]))
    events = Event.objects.filter(object_type="accounts.apitoken", object_id=token.pk)
    assert [(e.action, e.actor_name) for e in events.order_by("id")] == [
        ("api_token.created", "cora"),
        ("api_token.revoked", "cora"),
    ]
    assert events.first().after["name"] == "Finance export"
    assert events.last().after == {"prefix": token.prefix}


def test_sending_the_same_form_again_creates_no_second_token(login, world):
    client = login(world.client_manager)
    page = client.get(PAGE).content.decode()
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
    first = client.post(PAGE, {"name": "Finance export", "form_id": form_id})
    assert first.status_code == 200 and shown_secret(first.content.decode())
    # The browser's reload sends the same form again.
    again = client.post(PAGE, {"name": "Finance export", "form_id": form_id})
    assert again.status_code == 409
    body = again.content.decode()
    assert "already sent and its token created" in body
    assert 'id="new-token"' not in body
    assert ApiToken.objects.filter(user=world.client_manager).count() == 1
    # Each form drawn is new, so creating another on purpose works.
    fresh = re.search(r'name="form_id" value="([^"]+)"', body).group(1)
    assert fresh != form_id
    assert client.post(PAGE, {"name": "Second", "form_id": fresh}).status_code == 200
    assert ApiToken.objects.filter(user=world.client_manager).count() == 2
