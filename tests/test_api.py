"""REST API v1: authentication, the one error shape, and contract endpoints."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from milepost.accounts.models import ApiToken
from milepost.accounts.services import api_token_create
from milepost.audit.models import Event
from milepost.contracts.models import Contract

from .conftest import PASSWORD

API = "/api/v1"


def bearer(user, **options):
    _, raw = api_token_create(user=user, name="test", **options)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_token_is_shown_once_stored_hashed_and_authenticates(world):
    client = Client()
    client.login(username="cora", password=PASSWORD)
    client_csrf = Client(enforce_csrf_checks=False)
    client_csrf.login(username="cora", password=PASSWORD)
    created = client_csrf.post(
        f"{API}/tokens", {"name": "Finance export"}, content_type="application/json"
    )
    assert created.status_code == 201
    raw = created.json()["token"]
    stored = ApiToken.objects.get()
    assert raw.startswith("mp_") and raw not in stored.token_hash and stored.prefix == raw[:10]
    listed = client.get(f"{API}/tokens").json()
    assert "token" not in listed[0]
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"{API}/contracts")
    assert response.status_code == 200
    assert [c["reference"] for c in response.json()] == ["HCC-2026-001"]


def test_missing_or_wrong_token_answers_401_in_the_error_shape(world):
    assert Client().get(f"{API}/contracts").json() == {
        "error": {
            "code": "unauthenticated",
            "message": "Sign in or send a valid bearer token.",
            "field": None,
        }
    }
    assert Client(HTTP_AUTHORIZATION="Bearer mp_wrong").get(f"{API}/contracts").status_code == 401


def test_revoked_and_expired_tokens_stop_working(world):
    token, raw = api_token_create(user=world.client_manager, name="old")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"{API}/contracts").status_code == 200
    assert client.post(f"{API}/tokens/{token.pk}/revoke").status_code == 200
    assert client.get(f"{API}/contracts").status_code == 401
    expiring, raw2 = api_token_create(
        user=world.client_manager, name="soon", expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    ApiToken.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw2}").get(f"{API}/contracts").status_code == 401


def test_read_only_token_reads_but_cannot_write(world):
    client = bearer(world.client_manager, read_only=True)
    assert client.get(f"{API}/contracts/{world.contract.pk}").status_code == 200
    response = client.patch(
        f"{API}/contracts/{world.contract.pk}",
        {"title": "Renamed"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token_read_only"
    assert Contract.objects.get(pk=world.contract.pk).title == "Harbour library extension"


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.login(username="cora", password=PASSWORD)
    url = f"{API}/contracts/{world.contract.pk}"
    refused = client.patch(url, {"title": "Renamed"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    client.get("/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.patch(
        url, {"title": "Renamed"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert accepted.json()["title"] == "Renamed"


def test_another_organisations_contract_answers_404_not_403(world):
    response = bearer(world.outsider).get(f"{API}/contracts/{world.contract.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert bearer(world.outsider).get(f"{API}/contracts").json() == []


def test_viewer_gets_403_on_a_visible_contract(world):
    response = bearer(world.client_viewer).patch(
        f"{API}/contracts/{world.contract.pk}",
        {"title": "Renamed"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_business_rule_answers_422_with_code_and_field(world):
    response = bearer(world.client_manager).patch(
        f"{API}/contracts/{world.contract.pk}",
        {"end_date": (world.contract.start_date - dt.timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "end_before_start"
    assert response.json()["error"]["field"] == "end_date"


def test_malformed_input_answers_400_naming_the_field(world):
    response = bearer(world.client_manager).post(
        f"{API}/contracts",
        {
            "organisation": "harbour-city-council",
            "party_role": "client",
            "reference": "X",
            "title": "Y",
            "value": "lots",
            "currency": "GBP",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "value"


def test_create_contract_and_add_a_party_over_the_api(world):
    client = bearer(world.client_manager)
    created = client.post(
        f"{API}/contracts",
        {
            "organisation": "harbour-city-council",
            "party_role": "client",
            "reference": "HCC-2026-009",
            "title": "Pier repairs",
            "value": "250000.00",
            "currency": "GBP",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    contract_id = created.json()["id"]
    added = client.post(
        f"{API}/contracts/{contract_id}/parties",
        {"organisation": "northgate-construction", "role": "supplier"},
        content_type="application/json",
    )
    assert added.status_code == 201
    activated = client.post(
        f"{API}/contracts/{contract_id}/status",
        {"status": "active"},
        content_type="application/json",
    )
    assert activated.json()["status"] == "active"
    history = client.get(f"{API}/contracts/{contract_id}/events").json()
    assert [e["action"] for e in history][:2] == ["contract.status_changed", "party.added"]
    assert Event.objects.filter(contract_id=contract_id).count() == len(history)


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_openapi_document_and_docs_are_served_locally(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content and b"unpkg.com" not in response.content


def make_milestones(world, count):
    return [
        world.deliverable(
            f"Deliverable {n:02d}", due_date=world.today + dt.timedelta(days=10 + n % 7)
        )
        for n in range(count)
    ]


def test_milestone_list_pages_through_everything_once_in_a_stable_order(world):
    made = make_milestones(world, 23)
    client = bearer(world.client_viewer)
    seen, cursor = [], None
    while True:
        url = f"{API}/milestones?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [m.pk for m in sorted(made, key=lambda m: (m.due_date, m.pk))]
    assert seen == expected


def test_milestone_list_filters_by_owner_me_kind_and_due_range(world):
    make_milestones(world, 6)
    mine = world.deliverable("Owned by the site lead", owner=world.supplier_member)
    client = bearer(world.supplier_member)
    items = client.get(
        f"{API}/milestones?owner=me&due_from={mine.due_date}&due_to={mine.due_date}"
    ).json()["items"]
    assert mine.pk in [i["id"] for i in items]
    assert all(i["owner"] == "sid" and i["due_date"] == mine.due_date.isoformat() for i in items)
    assert client.get(f"{API}/milestones?kind=gate").json()["items"] == []


def test_milestone_list_hides_other_organisations_milestones(world):
    make_milestones(world, 3)
    assert bearer(world.outsider).get(f"{API}/milestones").json() == {
        "items": [],
        "next_cursor": None,
    }


def test_milestone_list_query_count_does_not_grow_with_page_size(
    world, django_assert_max_num_queries
):
    make_milestones(world, 60)
    client = bearer(world.client_manager)
    for size in (5, 50):
        with django_assert_max_num_queries(8):
            assert len(client.get(f"{API}/milestones?limit={size}").json()["items"]) == size


def test_milestone_detail_is_404_for_outsiders_and_shows_dependencies(
    world, django_assert_max_num_queries
):
    first, second = make_milestones(world, 2)
    from milepost.schedule.dependencies import dependency_add

    dependency_add(predecessor=first, successor=second, actor=world.supplier_manager)
    client = bearer(world.client_viewer)
    with django_assert_max_num_queries(8):
        body = client.get(f"{API}/milestones/{second.pk}").json()
    assert body["predecessor_ids"] == [first.pk]
    assert body["health"] == "at_risk"  # due within 14 days with no progress
    assert bearer(world.outsider).get(f"{API}/milestones/{second.pk}").status_code == 404


def test_a_forged_cursor_or_limit_is_refused_naming_the_field(world):
    client = bearer(world.client_manager)
    response = client.get(f"{API}/milestones?cursor=not-a-cursor")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cursor"
    assert client.get(f"{API}/milestones?limit=0").json()["error"]["field"] == "limit"
    assert client.get(f"{API}/milestones?kind=rocket").status_code == 400


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_manager_creates_a_deliverable_and_an_outsider_cannot(world):
    body = {
        "title": "As-built drawings",
        "owner": "sid",
        "responsible_party": world.supplier.pk,
        "accepting_party": world.client.pk,
        "due_date": (world.today + dt.timedelta(days=40)).isoformat(),
        "acceptance_criteria": "Drawings issued in PDF and DWG.",
    }
    created = post(
        bearer(world.supplier_manager), f"{API}/contracts/{world.contract.pk}/deliverables", body
    )
    assert created.status_code == 201
    assert created.json()["accepting_party"] == "Harbour City Council"
    outsider = post(
        bearer(world.outsider), f"{API}/contracts/{world.contract.pk}/deliverables", body
    )
    assert outsider.status_code == 404


def test_deliverable_with_a_party_of_another_contract_is_refused_naming_the_field(world):
    body = {
        "title": "As-built drawings",
        "owner": "sid",
        "responsible_party": world.supplier.pk,
        "accepting_party": 999_999,
        "due_date": world.today.isoformat(),
        "acceptance_criteria": "Drawings issued.",
    }
    response = post(
        bearer(world.supplier_manager), f"{API}/contracts/{world.contract.pk}/deliverables", body
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "accepting_party"


def test_owner_posts_a_status_update_and_a_viewer_gets_403(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}/updates"
    ok = post(bearer(world.supplier_member), url, {"text": "Piling started", "progress": 20})
    assert ok.status_code == 201
    assert ok.json()["progress"] == 20
    assert bearer(world.client_viewer).get(url).json()[0]["text"] == "Piling started"
    refused = post(bearer(world.client_viewer), url, {"text": "Hello"})
    assert refused.status_code == 403


def test_comments_are_added_by_contributors_and_hidden_from_outsiders(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}/comments"
    assert (
        post(bearer(world.client_member), url, {"text": "Please share the test report"}).status_code
        == 201
    )
    assert [c["author"] for c in bearer(world.supplier_viewer).get(url).json()] == ["colin"]
    assert bearer(world.outsider).get(url).status_code == 404


def test_receiving_party_accepts_over_the_api_and_the_supplier_cannot(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}/acceptance"
    refused = post(bearer(world.supplier_manager), url, {"outcome": "accept"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_receiving_party"
    accepted = post(
        bearer(world.client_manager), url, {"outcome": "accept", "comment": "Certificate seen"}
    )
    assert accepted.json()["status"] == "met"


def test_status_and_reschedule_over_the_api_keep_their_rules(world):
    milestone = world.deliverable()
    client = bearer(world.supplier_manager)
    moved = post(
        client,
        f"{API}/milestones/{milestone.pk}/reschedule",
        {
            "due_date": (milestone.due_date + dt.timedelta(days=7)).isoformat(),
            "reason": "Crane breakdown",
        },
    )
    assert moved.json()["baseline_due_date"] == milestone.due_date.isoformat()
    waived = post(
        client, f"{API}/milestones/{milestone.pk}/status", {"status": "waived", "reason": "n/a"}
    )
    assert waived.status_code == 403
    assert waived.json()["error"]["code"] == "not_counterparty"
    started = post(client, f"{API}/milestones/{milestone.pk}/status", {"status": "in_progress"})
    assert started.json()["status"] == "in_progress"


def paid_up_payment(world):
    from milepost.payments.services import payment_milestone_create
    from milepost.schedule.acceptance import deliverable_accept

    trigger = world.deliverable("Foundations complete")
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    return payment_milestone_create(
        contract=world.contract,
        title="Foundation payment (30%)",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=30),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        percentage="30",
        retention_percent="5",
        actor=world.client_manager,
    )


def test_payment_is_invoiced_and_paid_over_the_api_less_retention(world):
    payment = paid_up_payment(world)
    today = world.today.isoformat()
    url = f"{API}/milestones/{payment.pk}/payment"
    invoiced = post(
        bearer(world.supplier_manager), f"{url}/invoice", {"invoiced_on": today, "amount": "300000"}
    )
    assert invoiced.json()["state"] == "invoiced"
    assert invoiced.json()["retention_amount"] == "15000.00"
    paid = post(bearer(world.client_manager), f"{url}/paid", {"paid_on": today, "amount": "285000"})
    assert paid.json()["state"] == "paid"
    assert bearer(world.client_viewer).get(url).json()["outstanding"] == "0.00"


def test_payment_actions_are_refused_to_the_wrong_party_and_hidden_from_outsiders(world):
    payment = paid_up_payment(world)
    url = f"{API}/milestones/{payment.pk}/payment"
    release = post(
        bearer(world.client_manager), f"{url}/release", {"status": "waived", "reason": "Goodwill"}
    )
    assert release.status_code == 403
    assert release.json()["error"]["code"] == "not_counterparty"
    assert bearer(world.outsider).get(url).status_code == 404
    not_a_payment = bearer(world.client_manager).get(
        f"{API}/milestones/{world.deliverable().pk}/payment"
    )
    assert not_a_payment.json()["error"]["code"] == "not_a_payment"


def test_gate_passes_over_the_api_when_each_required_party_approves(world):
    from milepost.approvals.services import gate_create

    gate = gate_create(
        contract=world.contract,
        title="Fit-out gate",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=20),
        required_parties=[world.client, world.consultant],
        acceptance_criteria="Envelope weathertight.",
        actor=world.client_manager,
    )
    url = f"{API}/milestones/{gate.pk}/gate/decisions"
    wrong = post(
        bearer(world.client_manager), url, {"party_id": world.consultant.pk, "decision": "approve"}
    )
    assert wrong.status_code == 403
    post(bearer(world.client_manager), url, {"party_id": world.client.pk, "decision": "approve"})
    done = post(
        bearer(world.consultant_manager),
        url,
        {"party_id": world.consultant.pk, "decision": "approve"},
    )
    assert done.json()["status"] == "met"
    assert [line["decision"] for line in done.json()["lines"]] == ["approve", "approve"]
    assert bearer(world.outsider).get(f"{API}/milestones/{gate.pk}/gate").status_code == 404


def test_measurements_are_recorded_over_the_api_and_decide_the_status(world):
    from milepost.performance.services import performance_milestone_create

    start = world.contract.start_date
    milestone = performance_milestone_create(
        contract=world.contract,
        title="P1 response",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=start + dt.timedelta(days=6),
        kpi_name="P1 response time",
        unit="hours",
        target="4",
        direction="at_most",
        period="week",
        measurement_start=start,
        actor=world.supplier_manager,
    )
    url = f"{API}/milestones/{milestone.pk}/measurements"
    viewer = post(
        bearer(world.supplier_viewer), url, {"period_start": start.isoformat(), "value": "3"}
    )
    assert viewer.status_code == 403
    recorded = post(
        bearer(world.supplier_member), url, {"period_start": start.isoformat(), "value": "3"}
    )
    assert recorded.status_code == 201
    assert recorded.json()["passed"] is True
    kpi = bearer(world.client_viewer).get(f"{API}/milestones/{milestone.pk}/kpi").json()
    assert [m["value"] for m in kpi["measurements"]] == ["3.0000"]
    assert (
        bearer(world.client_viewer).get(f"{API}/milestones/{milestone.pk}").json()["status"]
        == "met"
    )
