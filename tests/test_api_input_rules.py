"""Every input is refused cleanly: bad text, huge numbers, long text, unreadable uploads, strays.

Each refusal is a 400 (or a 422 from a service) in the API's one error shape, naming the field,
and writes nothing.
"""

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from config.api import NO_NUL_PATTERN, api
from milepost.accounts.services import api_token_create
from milepost.approvals.services import gate_create, gate_decide
from milepost.audit.models import Event
from milepost.contracts.services import contract_update
from milepost.core.errors import DomainError
from milepost.core.text import NOTE_MAX, TEXT_MAX, TITLE_MAX
from milepost.milestones.forms import CommentForm, RescheduleForm, StatusUpdateForm
from milepost.schedule.acceptance import deliverable_reject
from milepost.schedule.changes import change_request_reject, change_request_submit
from milepost.schedule.models import ChangeRequest, Comment, StatusUpdate
from milepost.schedule.records import comment_add, status_update_post
from milepost.schedule.risks.early_warnings import early_warning_close, early_warning_raise
from milepost.schedule.services import milestone_reschedule, milestone_update

API = "/api/v1"
INT64_MAX = 2**63 - 1


def bearer(user) -> Client:
    _, raw = api_token_create(user=user, name="input rules")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client: Client, method: str, url: str, body: str) -> Any:
    return getattr(client, method)(f"{API}{url}", body, content_type="application/json")


def error_of(response) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


# 1. A lone surrogate ("\ud800" in JSON) used to answer 500 (UnicodeEncodeError) on saving.

SURROGATE_CASES = [
    ("post", "/milestones/{m}/comments", '{"text": "Site visit \\ud800"}', "text"),
    ("post", "/milestones/{m}/updates", '{"text": "\\udfff", "progress": 10}', "text"),
    ("patch", "/milestones/{m}", '{"title": "Roof \\ud800"}', "title"),
    ("patch", "/milestones/{m}", '{"owner": "\\ud83d"}', "owner"),
    (
        "post",
        "/contracts/{c}/deliverables",
        '{"title": "\\ud800", "owner": "sid", "responsible_party": 1, "accepting_party": 2, '
        '"due_date": "2027-01-04", "acceptance_criteria": "Signed"}',
        "title",
    ),
    (
        "post",
        "/contracts/{c}/early-warnings",
        '{"title": "Crane", "likelihood": 2, "impact": 3, "milestones": [], "owner": "sid", '
        '"description": ["fine", "\\udc00"]}',
        "description.1",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), SURROGATE_CASES)
def test_a_lone_surrogate_in_json_text_is_refused_naming_the_field(world, method, url, body, field):
    milestone = world.deliverable()
    client = bearer(world.supplier_manager)
    events = Event.objects.count()
    path = url.format(m=milestone.pk, c=world.contract.pk)

    response = send(client, method, path, body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == field
    assert "lone surrogate" in error["message"]
    assert Event.objects.count() == events
    milestone.refresh_from_db()
    assert milestone.title == "Foundation complete"
    assert not Comment.objects.exists() and not StatusUpdate.objects.exists()


def test_a_valid_surrogate_pair_is_an_ordinary_character(world):
    milestone = world.deliverable()
    body = '{"text": "Poured \\ud83d\\ude00"}'

    response = send(
        bearer(world.supplier_member), "post", f"/milestones/{milestone.pk}/updates", body
    )

    assert response.status_code == 201, response.content
    assert StatusUpdate.objects.get().text == "Poured \U0001f600"


def test_invalid_utf8_in_a_web_form_arrives_replaced_and_is_stored_without_error(world):
    # Django decodes form bodies with replacement, so no surrogate reaches a form.
    milestone = world.deliverable()
    client = Client()
    client.force_login(world.supplier_member)

    client.post(
        f"/milestones/{milestone.pk}/comments/",
        b"text=Checked%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )

    assert Comment.objects.get().text == "Checked\ufffd\ufffd\ufffd"


# 2. Integers beyond 64 bits used to answer 500 (OverflowError in the query).

HUGE = "100000000000000000000"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/notifications?offset={HUGE}", "offset"),
        (f"/notifications?offset={INT64_MAX + 1}", "offset"),
        ("/notifications?offset=-1", "offset"),
        ("/notifications?limit=0", "limit"),
        (f"/milestones?contract={HUGE}", "contract"),
        (f"/milestones?responsible_party={HUGE}", "responsible_party"),
        (f"/milestones/{HUGE}", "milestone_id"),
        (f"/milestones/{INT64_MAX + 1}/events", "milestone_id"),
        ("/milestones/{m}/events?limit=" + HUGE, "limit"),
        (f"/contracts/{HUGE}/forecasts", "contract_id"),
        ("/contracts/{c}/forecasts?limit=" + HUGE, "limit"),
        (f"/change-requests/{HUGE}", "change_id"),
    ],
)
def test_an_integer_parameter_out_of_range_is_refused_naming_it(world, url, field):
    milestone = world.deliverable()
    path = url.replace("{m}", str(milestone.pk)).replace("{c}", str(world.contract.pk))

    response = bearer(world.client_manager).get(f"{API}{path}")

    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_the_largest_row_id_is_still_just_not_found(world):
    response = bearer(world.client_manager).get(f"{API}/milestones/{INT64_MAX}")

    assert response.status_code == 404


def openapi(world) -> dict[str, Any]:
    return bearer(world.client_manager).get(f"{API}/openapi.json").json()


def test_every_integer_parameter_in_the_document_has_bounds_a_database_can_hold(world):
    unbounded = []
    for path, operations in openapi(world)["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                types = [schema, *schema.get("anyOf", [])]
                for option in types:
                    if option.get("type") != "integer":
                        continue
                    low, high = option.get("minimum"), option.get("maximum")
                    if low is None or high is None or low < 0 or high > INT64_MAX:
                        unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []


# 3. Text without a limit: a status update of 1 MiB was stored.


def test_a_one_mebibyte_status_update_is_refused_and_nothing_is_stored(world):
    milestone = world.deliverable()
    body = json.dumps({"text": "x" * 2**20})

    response = send(
        bearer(world.supplier_member), "post", f"/milestones/{milestone.pk}/updates", body
    )

    assert response.status_code == 400
    assert error_of(response)["field"] == "text"
    assert not StatusUpdate.objects.exists()


# A string with one of these keys is no free text, or has its limit; a pattern other than the
# no-NUL one every text gets fixes the string's shape (an amount, a currency code).
LIMITED = {"maxLength", "enum", "const", "format"}


def _free_text(string: dict[str, Any]) -> bool:
    shaped = string.get("pattern", NO_NUL_PATTERN) != NO_NUL_PATTERN
    return not shaped and not LIMITED & set(string)


def test_every_text_field_of_every_request_body_has_a_documented_length_limit(world):
    document = openapi(world)
    components = document["components"]["schemas"]
    unlimited = []

    def visit(name: str, schema: dict[str, Any], where: str) -> None:
        for option in [schema, *schema.get("anyOf", [])]:
            if "$ref" in option:
                ref = option["$ref"].rsplit("/", 1)[1]
                for prop, sub in components[ref].get("properties", {}).items():
                    visit(name, sub, f"{ref}.{prop}")
            elif option.get("type") == "array":
                for item in [option.get("items", {}), *option.get("prefixItems", [])]:
                    visit(name, item, f"{where}[]")
            elif option.get("type") == "string" and _free_text(option):
                unlimited.append(where)

    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                visit("", schema, schema.get("$ref", ""))
    assert sorted(set(unlimited)) == [], "\n".join(sorted(set(unlimited)))


def _reschedule(world, milestone, text):
    milestone_reschedule(
        milestone=milestone,
        due_date=milestone.due_date + dt.timedelta(days=7),
        reason=text,
        actor=world.supplier_manager,
    )


def _change_request(world, milestone, text):
    change_request_submit(
        milestone=milestone,
        reason=text,
        new_due_date=milestone.due_date + dt.timedelta(days=7),
        actor=world.supplier_manager,
    )


def _reject_change(world, milestone, text):
    change = change_request_submit(
        milestone=milestone,
        reason="Crane failure",
        new_due_date=milestone.due_date + dt.timedelta(days=7),
        actor=world.supplier_manager,
    )
    change_request_reject(change=change, note=text, actor=world.client_manager)


def _gate_comment(world, milestone, text):
    gate = gate_create(
        contract=world.contract,
        title="Design freeze",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=world.today + dt.timedelta(days=20),
        required_parties=[world.client],
        acceptance_criteria="Signed off by the client.",
        actor=world.supplier_manager,
    )
    gate_decide(
        milestone=gate,
        party=world.client,
        decision="reject",
        comment=text,
        actor=world.client_manager,
    )


def _warning(world, milestone, **fields):
    return early_warning_raise(
        contract=world.contract,
        title=fields.pop("title", "Crane availability"),
        likelihood=3,
        impact=4,
        milestones=[milestone],
        owner=world.supplier_member,
        actor=world.supplier_manager,
        **fields,
    )


def _close_warning(world, milestone, text):
    warning = _warning(world, milestone)
    early_warning_close(warning=warning, note=text, actor=world.supplier_manager)


SERVICE_CASES: list[tuple[str, int, Callable[..., Any]]] = [
    (
        "text",
        TEXT_MAX,
        lambda w, m, t: status_update_post(milestone=m, text=t, actor=w.supplier_member),
    ),
    ("text", TEXT_MAX, lambda w, m, t: comment_add(milestone=m, text=t, actor=w.client_member)),
    (
        "description",
        TEXT_MAX,
        lambda w, m, t: milestone_update(milestone=m, description=t, actor=w.supplier_manager),
    ),
    (
        "acceptance_criteria",
        TEXT_MAX,
        lambda w, m, t: milestone_update(
            milestone=m, acceptance_criteria=t, actor=w.supplier_manager
        ),
    ),
    (
        "title",
        TITLE_MAX,
        lambda w, m, t: milestone_update(milestone=m, title=t, actor=w.supplier_manager),
    ),
    ("reason", NOTE_MAX, _reschedule),
    (
        "comment",
        NOTE_MAX,
        lambda w, m, t: deliverable_reject(milestone=m, comment=t, actor=w.client_manager),
    ),
    ("reason", TEXT_MAX, _change_request),
    ("note", NOTE_MAX, _reject_change),
    ("comment", NOTE_MAX, _gate_comment),
    ("description", TEXT_MAX, lambda w, m, t: _warning(w, m, description=t)),
    ("mitigation", TEXT_MAX, lambda w, m, t: _warning(w, m, mitigation=t)),
    ("note", NOTE_MAX, _close_warning),
    (
        "description",
        TEXT_MAX,
        lambda w, m, t: contract_update(contract=w.contract, description=t, actor=w.client_manager),
    ),
]


@pytest.mark.parametrize(("field", "limit", "act"), SERVICE_CASES)
def test_a_service_refuses_text_one_character_over_its_limit_naming_the_field(
    world, field, limit, act
):
    milestone = world.deliverable()

    with pytest.raises(DomainError) as refused:
        act(world, milestone, "x" * (limit + 1))

    assert (refused.value.code, refused.value.field) == ("too_long", field)
    assert f"{limit:,}" in refused.value.message


@pytest.mark.parametrize(("field", "limit", "act"), SERVICE_CASES)
def test_a_service_takes_text_exactly_at_its_limit(world, field, limit, act):
    act(world, world.deliverable(), "x" * limit)


@pytest.mark.parametrize(
    ("form_class", "field", "limit"),
    [
        (StatusUpdateForm, "text", TEXT_MAX),
        (CommentForm, "text", TEXT_MAX),
        (RescheduleForm, "reason", NOTE_MAX),
    ],
)
def test_a_web_form_refuses_text_over_the_limit_on_its_field(world, form_class, field, limit):
    data = {"text": "x" * (limit + 1), "reason": "x" * (limit + 1), "due_date": "2027-01-04"}

    form = form_class(data=data)

    assert not form.is_valid()
    assert f"{limit:,}" in form.errors[field][0] or str(limit) in form.errors[field][0]


# 4. An unreadable multipart upload answered Django's HTML 400 page.

OVERSIZED_HEADER = (
    b"--B\r\n"
    b'Content-Disposition: form-data; name="file"; filename="site.pdf"\r\n'
    b"X-Padding: " + b"a" * 20_000 + b"\r\n\r\n%PDF-1.7\r\n--B--\r\n"
)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=B", OVERSIZED_HEADER),
        ("multipart/form-data", b"no boundary at all"),
        ("multipart/form-data; boundary=B", b"--B\r\nnot a header\r\n\r\nx\r\n--B--\r\n"),
    ],
)
@pytest.mark.parametrize("auth", ["bearer", "session"])
def test_an_unreadable_evidence_upload_answers_the_json_error_shape(
    world, content_type, body, auth
):
    milestone = world.deliverable()
    if auth == "bearer":
        client = bearer(world.supplier_member)
    else:
        client = Client()
        client.force_login(world.supplier_member)

    response = client.post(
        f"{API}/milestones/{milestone.pk}/evidence", body, content_type=content_type
    )

    assert response.status_code in (400, 403)
    error = error_of(response)
    assert set(error) == {"code", "message", "field"}
    assert not milestone.evidence.exists()


def test_too_many_query_parameters_answer_the_json_error_shape(world):
    query = "&".join(f"owner=sid{n}" for n in range(1_001))

    response = bearer(world.client_manager).get(f"{API}/milestones?{query}")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_body"


# 5. Every request body is exactly what the document says, and nothing else is taken.


def _body_models() -> dict[str, type]:
    """Map each operation's id to the model its handler reads the JSON body into."""
    models = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for params in operation.models:
                    if getattr(params, "__ninja_param_source__", None) != "body":
                        continue
                    (field,) = params.model_fields.values()
                    operation_id = operation.operation_id or api.get_openapi_operation_id(operation)
                    models[operation_id] = field.annotation
    return models


def test_each_documented_request_body_is_the_model_its_handler_reads(world):
    document = openapi(world)
    components = document["components"]["schemas"]
    handlers = _body_models()
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            model = handlers[operation["operationId"]]
            name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert name == model.__name__, f"{method.upper()} {path}"
            own = model.model_json_schema(ref_template="#/components/schemas/{model}")
            documented = components[name]
            assert set(documented["properties"]) == set(own["properties"]), f"{method} {path}"
            assert set(documented.get("required", [])) == set(own.get("required", []))
            assert documented.get("additionalProperties") is False, f"{name} takes any field"
            checked += 1
    assert checked >= 40


def test_no_two_request_models_share_a_component_name():
    by_name: dict[str, set[type]] = {}
    for model in _body_models().values():
        for cls in model.__mro__:
            if cls.__module__.startswith("milepost."):
                by_name.setdefault(cls.__name__, set()).add(cls)
    assert {name: classes for name, classes in by_name.items() if len(classes) > 1} == {}


def test_change_request_decisions_are_documented_with_their_own_bodies(world):
    paths = openapi(world)["paths"]
    components = openapi(world)["components"]["schemas"]

    def body(path: str) -> dict[str, Any]:
        ref = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    approve = body(f"{API}/change-requests/{{change_id}}/approve")
    reject = body(f"{API}/change-requests/{{change_id}}/reject")
    gate = body(f"{API}/milestones/{{milestone_id}}/gate/decisions")
    assert set(approve["properties"]) == set(reject["properties"]) == {"note"}
    assert reject["required"] == ["note"] and "required" not in approve
    assert {"party_id", "decision", "comment"} <= set(gate["properties"])


def test_a_change_rejection_with_the_gate_decisions_fields_is_refused_naming_the_stray(world):
    milestone = world.deliverable()
    change = change_request_submit(
        milestone=milestone,
        reason="Crane failure",
        new_due_date=milestone.due_date + dt.timedelta(days=7),
        actor=world.supplier_manager,
    )
    body = json.dumps({"party_id": world.client.pk, "decision": "reject", "comment": "No"})

    response = send(
        bearer(world.client_manager), "post", f"/change-requests/{change.pk}/reject", body
    )

    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "party_id"
    assert "no such field" in error["message"]
    change.refresh_from_db()
    assert change.status == ChangeRequest.objects.get().status == "pending"


def test_every_json_body_refuses_an_unknown_field_naming_it(world):
    client = bearer(world.client_manager)
    refused = {}
    for path, operations in openapi(world)["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path.removeprefix(API)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    value = "x" if parameter["schema"].get("type") == "string" else "1"
                    url = url.replace("{" + parameter["name"] + "}", value)
            response = send(client, method, url, '{"zz_not_a_field": 1}')
            refused[f"{method.upper()} {path}"] = (
                response.status_code,
                response.json()["error"]["field"],
            )
    assert refused and set(refused.values()) == {(400, "zz_not_a_field")}, refused
