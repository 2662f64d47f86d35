"""REST API v1: a POST retried with the same Idempotency-Key is answered once, never done twice."""

import datetime as dt
import threading

import time_machine
from django.db import connection
from django.test import Client

from milepost.accounts.models import IdempotentRequest
from milepost.accounts.services import api_token_create
from milepost.audit.models import Event
from milepost.schedule.models import Comment

from .conftest import build_world
from .test_api import API, bearer


def comment(client, milestone, text, key="retry-7f3a"):
    return client.post(
        f"{API}/milestones/{milestone.pk}/comments",
        {"text": text},
        content_type="application/json",
        headers={"Idempotency-Key": key} if key else {},
    )


def test_a_retried_post_returns_the_first_result_and_writes_once(world):
    milestone = world.deliverable()
    client = bearer(world.client_member)
    first = comment(client, milestone, "Please share the pile test report")
    events = Event.objects.count()
    again = comment(client, milestone, "Please share the pile test report")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Comment.objects.count() == 1 and Event.objects.count() == events


def test_without_a_key_each_post_is_a_new_write(world):
    milestone = world.deliverable()
    client = bearer(world.client_member)
    comment(client, milestone, "Same words", key=None)
    comment(client, milestone, "Same words", key=None)
    assert Comment.objects.count() == 2


def test_reusing_a_key_for_a_different_request_is_refused_and_changes_nothing(world):
    milestone = world.deliverable()
    client = bearer(world.client_member)
    comment(client, milestone, "First")
    reused = comment(client, milestone, "Something else")
    assert reused.status_code == 422
    assert reused.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used for a different request.",
        "field": "Idempotency-Key",
    }
    assert [c.text for c in Comment.objects.all()] == ["First"]


def test_a_refused_request_is_not_remembered_so_a_retry_can_succeed(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}/acceptance"
    client = bearer(world.client_manager)
    headers = {"Idempotency-Key": "accept-1"}
    wrong = bearer(world.supplier_manager).post(
        url, {"outcome": "accept"}, content_type="application/json", headers=headers
    )
    assert wrong.status_code == 403
    assert not IdempotentRequest.objects.exists()
    accepted = client.post(
        url, {"outcome": "accept"}, content_type="application/json", headers=headers
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "met"
    replay = client.post(
        url, {"outcome": "accept"}, content_type="application/json", headers=headers
    )
    assert replay.json() == accepted.json() and replay["Idempotent-Replayed"] == "true"


def test_keys_belong_to_one_user(world):
    milestone = world.deliverable()
    comment(bearer(world.client_member), milestone, "Hello")
    other = comment(bearer(world.supplier_member), milestone, "Hello")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Comment.objects.count() == 2


def test_a_key_is_kept_for_a_day(world):
    milestone = world.deliverable()
    client = bearer(world.client_member)
    comment(client, milestone, "Hello")
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=25)):
        later = comment(client, milestone, "Hello")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert Comment.objects.count() == 2
    assert IdempotentRequest.objects.count() == 1


def test_a_malformed_key_is_400_naming_the_header(world):
    milestone = world.deliverable()
    response = comment(bearer(world.client_member), milestone, "Hi", key="x" * 201)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert not Comment.objects.exists()


def test_an_unauthenticated_post_with_a_key_is_401_and_stores_nothing(world):
    milestone = world.deliverable()
    response = comment(Client(HTTP_AUTHORIZATION="Bearer mp_wrong"), milestone, "Hi")
    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()


def test_concurrent_retries_with_one_key_write_once(transactional_db):
    world = build_world()
    milestone = world.deliverable()
    _, raw = api_token_create(user=world.client_member, name="retrying client")
    start = threading.Barrier(4)
    responses = []

    def send():
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        start.wait()
        try:
            responses.append(comment(client, milestone, "Sent four times at once"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert Comment.objects.count() == 1
