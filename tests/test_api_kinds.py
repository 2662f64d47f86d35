"""REST API v1: creating every kind of milestone, editing, dependencies, evidence and payments."""

import datetime as dt
import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from milepost.audit.models import Event
from milepost.schedule.models import Dependency, Evidence, Milestone

from .test_api import API, bearer, post


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def common(world, title, owner="cora", **extra):
    return {
        "title": title,
        "owner": owner,
        "due_date": (world.today + dt.timedelta(days=60)).isoformat(),
        **extra,
    }


def test_payer_manager_schedules_a_percentage_payment_and_sees_the_totals(world):
    trigger = world.deliverable("Structure complete")
    url = f"{API}/contracts/{world.contract.pk}/payments"
    body = common(
        world,
        "Structure payment (40%)",
        payer=world.client.pk,
        payee=world.supplier.pk,
        trigger_id=trigger.pk,
        percentage="40",
        retention_percent="5",
    )
    refused = post(bearer(world.supplier_manager), url, body)
    assert refused.status_code == 403
    created = post(bearer(world.client_manager), url, body)
    assert created.status_code == 201, created.json()
    assert created.json()["amount"] == "400000.00"
    assert created.json()["trigger_id"] == trigger.pk
    schedule = bearer(world.supplier_viewer).get(url).json()
    assert schedule["committed"] == "400000.00"
    assert [p["payee"] for p in schedule["payments"]] == ["Northgate Construction"]
    too_much = post(bearer(world.client_manager), url, {**body, "percentage": "70"})
    assert too_much.status_code == 422
    assert too_much.json()["error"]["field"] in {"percentage", "amount"}
    assert Milestone.objects.filter(kind="payment").count() == 1


def test_payment_with_a_trigger_from_another_contract_is_refused_naming_the_field(world):
    body = common(
        world,
        "Advance",
        payer=world.client.pk,
        payee=world.supplier.pk,
        trigger_id=999_999,
        amount="1000",
    )
    response = post(
        bearer(world.client_manager), f"{API}/contracts/{world.contract.pk}/payments", body
    )
    assert response.status_code == 422
    assert response.json()["error"] | {"message": ""} == {
        "code": "milestone_not_in_contract",
        "message": "",
        "field": "trigger_id",
    }


def test_revaluing_the_contract_rescales_percentage_payments(world):
    trigger = world.deliverable("Structure complete")
    client = bearer(world.client_manager)
    post(
        client,
        f"{API}/contracts/{world.contract.pk}/payments",
        common(
            world,
            "Stage payment",
            payer=world.client.pk,
            payee=world.supplier.pk,
            trigger_id=trigger.pk,
            percentage="30",
        ),
    )
    response = post(client, f"{API}/contracts/{world.contract.pk}/value", {"value": "2000000"})
    assert response.status_code == 200
    assert response.json()["value"] == "2000000.00"
    assert response.json()["payments"][0]["amount"] == "600000.00"
    assert (
        post(
            bearer(world.client_viewer),
            f"{API}/contracts/{world.contract.pk}/value",
            {"value": "1"},
        ).status_code
        == 403
    )


def test_payment_terms_change_before_invoice(world):
    trigger = world.deliverable("Structure complete")
    client = bearer(world.client_manager)
    created = post(
        client,
        f"{API}/contracts/{world.contract.pk}/payments",
        common(
            world,
            "Stage payment",
            payer=world.client.pk,
            payee=world.supplier.pk,
            trigger_id=trigger.pk,
            amount="100000",
        ),
    ).json()
    url = f"{API}/milestones/{created['milestone_id']}/payment"
    changed = patch(client, url, {"retention_percent": "10"})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["retention_amount"] == "10000.00"
    assert patch(client, url, {"retention_percent": "150"}).status_code == 422
    assert client.get(url).json()["retention_percent"] == "10.00"


def test_performance_target_is_created_and_its_status_cannot_be_set_by_hand(world):
    start = (world.contract.start_date.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    body = common(
        world,
        "Site safety",
        owner="sid",
        responsible_party=world.supplier.pk,
        kpi_name="Lost-time incidents",
        unit="incidents",
        target="0",
        direction="at_most",
        period="month",
        measurement_start=start.isoformat(),
    )
    url = f"{API}/contracts/{world.contract.pk}/performance"
    created = post(bearer(world.supplier_manager), url, body)
    assert created.status_code == 201, created.json()
    assert created.json()["kind"] == "performance" and created.json()["owner"] == "sid"
    kpi = bearer(world.client_viewer).get(f"{API}/milestones/{created.json()['id']}/kpi").json()
    assert kpi["direction"] == "at_most" and kpi["period"] == "month"
    bad = post(bearer(world.supplier_manager), url, {**body, "direction": "sideways"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "direction"


def test_gate_is_created_with_its_required_parties(world):
    body = common(
        world,
        "Fit-out may start",
        responsible_party=world.client.pk,
        required_parties=[world.client.pk, world.consultant.pk],
        acceptance_criteria="Design freeze signed by both.",
    )
    url = f"{API}/contracts/{world.contract.pk}/gates"
    created = post(bearer(world.client_manager), url, body)
    assert created.status_code == 201, created.json()
    assert [line["party"] for line in created.json()["lines"]] == [
        "Harbour City Council",
        "Arden Project Management",
    ]
    stranger = post(bearer(world.client_manager), url, {**body, "required_parties": [123456]})
    assert stranger.status_code == 422
    assert stranger.json()["error"]["field"] == "required_parties"
    assert post(bearer(world.outsider), url, body).status_code == 404


def test_milestone_edit_changes_only_what_was_sent_and_is_recorded(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}"
    response = patch(bearer(world.supplier_manager), url, {"title": "Piled foundations complete"})
    assert response.status_code == 200
    assert response.json()["title"] == "Piled foundations complete"
    assert response.json()["owner"] == "sid"
    assert Event.objects.filter(action="milestone.updated", object_id=milestone.pk).exists()
    unknown = patch(bearer(world.supplier_manager), url, {"owner": "nobody"})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "owner"
    member = patch(bearer(world.supplier_member), url, {"title": "Mine now"})
    assert member.status_code == 403
    assert Milestone.objects.get(pk=milestone.pk).title == "Piled foundations complete"


def test_dependencies_are_added_listed_refused_in_a_cycle_and_removed(world):
    first, second = world.deliverable("Foundations"), world.deliverable("Structure")
    client = bearer(world.supplier_manager)
    url = f"{API}/milestones/{second.pk}/dependencies"
    added = post(client, url, {"predecessor_id": first.pk})
    assert added.status_code == 201
    assert added.json() | {"id": 0} == {
        "id": 0,
        "predecessor_id": first.pk,
        "predecessor": "Foundations",
        "successor_id": second.pk,
        "successor": "Structure",
        "type": "FS",
        "lag": 0,
        "working_days": False,
    }
    cycle = post(client, f"{API}/milestones/{first.pk}/dependencies", {"predecessor_id": second.pk})
    assert cycle.status_code == 422 and "Structure" in cycle.json()["error"]["message"]
    listed = bearer(world.client_viewer).get(f"{API}/milestones/{first.pk}/dependencies").json()
    assert [d["successor"] for d in listed] == ["Structure"]
    assert bearer(world.outsider).get(url).status_code == 404
    dependency_id = added.json()["id"]
    assert bearer(world.supplier_member).delete(f"{url}/{dependency_id}").status_code == 403
    assert client.delete(f"{url}/{dependency_id}").status_code == 204
    assert not Dependency.objects.exists()
    assert client.delete(f"{url}/{dependency_id}").status_code == 404


def upload(client, milestone, name="certificate.pdf", content=b"%PDF-1.7 inspection signed"):
    return client.post(
        f"{API}/milestones/{milestone.pk}/evidence",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


def test_evidence_is_uploaded_listed_and_downloaded_intact_by_the_parties_only(world):
    milestone = world.deliverable()
    content = b"%PDF-1.7 inspection signed"
    created = upload(bearer(world.supplier_member), milestone, content=content)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "certificate.pdf" and body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    listed = bearer(world.client_viewer).get(f"{API}/milestones/{milestone.pk}/evidence").json()
    assert [e["id"] for e in listed] == [body["id"]]
    download = bearer(world.client_viewer).get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert 'filename="certificate.pdf"' in download["Content-Disposition"]
    assert bearer(world.outsider).get(body["download_url"]).status_code == 404
    assert upload(bearer(world.outsider), milestone).status_code == 404
    assert upload(bearer(world.client_viewer), milestone).status_code == 403


def test_evidence_of_a_refused_type_or_empty_is_400_or_422_and_stores_nothing(world):
    milestone = world.deliverable()
    client = bearer(world.supplier_member)
    wrong_type = upload(client, milestone, name="payload.exe")
    assert wrong_type.status_code == 422
    assert wrong_type.json()["error"] | {"message": ""} == {
        "code": "file_type_not_allowed",
        "message": "",
        "field": "file",
    }
    missing = client.post(f"{API}/milestones/{milestone.pk}/evidence", {})
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "file"
    assert not Evidence.objects.exists()


@override_settings(EVIDENCE_MAX_BYTES=1024, REQUEST_MAX_BYTES=64 * 1024)
def test_oversized_evidence_answers_413_and_stores_nothing(world):
    milestone = world.deliverable()
    client = bearer(world.supplier_member)
    too_big = upload(client, milestone, content=b"x" * 2048)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "file_too_large"
    huge = upload(client, milestone, content=b"x" * (70 * 1024))
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "request_too_large"
    assert not Evidence.objects.exists()


def test_evidence_download_of_another_milestones_file_is_404(world):
    first, second = world.deliverable("One"), world.deliverable("Two")
    created = upload(bearer(world.supplier_member), first).json()
    response = bearer(world.client_manager).get(
        f"{API}/milestones/{second.pk}/evidence/{created['id']}"
    )
    assert response.status_code == 404
