"""Contract template pages and endpoints: one allowed and one refused request each."""

import datetime as dt
import re

import pytest
from django.test import Client

from milepost.accounts.choices import Role
from milepost.accounts.services import api_token_create, organisation_create
from milepost.contracts.models import Contract
from milepost.interchange.models import ContractTemplate
from milepost.interchange.templating.services import contract_template_save
from tests.conftest import World, make_user
from tests.helpers import signed_in

pytestmark = pytest.mark.usefixtures("clock")

START = dt.date(2027, 3, 1)
API = "/api/v1"


def api(user: object) -> Client:
    _, raw = api_token_create(user=user, name="test")  # type: ignore[arg-type]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def setup_payload(w: World, **overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "title": "Harbour depot",
        "reference": "HCC-2027-004",
        "value": "2000000",
        "currency": "GBP",
        "start_date": "2027-03-01",
        "parties": {"client": w.client_org.slug, "consultant": w.consultant_org.slug},
        "owners": {"consultant": w.consultant_manager.username},
    }
    payload.update(overrides)
    return payload


def previewed(response: object) -> str:
    """The digest of the answers a preview page showed, as its Create button sends it back."""
    found = re.search(r'name="previewed" value="([0-9a-f]+)"', response.content.decode())  # type: ignore[attr-defined]
    assert found, "no Create button"
    return found.group(1)


def form_data(w: World, action: str) -> dict[str, object]:
    return {
        "title": "Harbour depot",
        "reference": "HCC-2027-004",
        "currency": "GBP",
        "value": "£2,000,000",
        "start_date": "2027-03-01",
        "holiday_country": "GB",
        "our_role": "client",
        "party_client": w.client_org.pk,
        "party_consultant": w.consultant_org.pk,
        "owner_consultant": w.consultant_manager.pk,
        "action": action,
    }


def test_setup_page_previews_then_creates_the_contract(w: World) -> None:
    client = signed_in(w.client_manager)
    url = "/contract-templates/short-consulting/new-contract/"

    preview = client.post(url, form_data(w, "preview"))
    created = client.post(url, {**form_data(w, "create"), "previewed": previewed(preview)})

    assert preview.status_code == 200
    assert (
        "Final report" in preview.content.decode() and "£1,600,000.00" in preview.content.decode()
    )
    contract = Contract.objects.get(reference="HCC-2027-004")
    assert created.status_code == 302 and created.url == f"/contracts/{contract.pk}/"
    assert contract.milestones.count() == 5


def test_setup_page_shows_a_refusal_on_its_field(w: World) -> None:
    client = signed_in(w.client_manager)
    data = {**form_data(w, "create"), "party_consultant": w.client_org.pk}

    response = client.post("/contract-templates/short-consulting/new-contract/", data)

    assert response.status_code == 422
    assert "each role needs its own organisation" in response.content.decode()
    assert not Contract.objects.filter(reference="HCC-2027-004").exists()


def test_template_pages_list_and_show_templates(w: World) -> None:
    client = signed_in(w.client_viewer)

    listed = client.get("/contract-templates/")
    shown = client.get("/contract-templates/uk-design-and-build/")

    assert "UK design and build" in listed.content.decode()
    assert "Fit-out stage gate" in shown.content.decode()


def test_another_organisations_saved_template_is_not_found(w: World) -> None:
    template = contract_template_save(contract=w.contract, name="Depot", actor=w.client_manager)

    assert (
        signed_in(w.supplier_manager).get(f"/contract-templates/{template.pk}/").status_code == 404
    )
    assert signed_in(w.client_member).get(f"/contract-templates/{template.pk}/").status_code == 200


def test_save_as_template_page_saves_for_the_owner_and_explains_to_others(w: World) -> None:
    url = f"/contracts/{w.contract.pk}/save-as-template/"

    saved = signed_in(w.client_manager).post(url, {"name": "Library", "description": ""})
    other = signed_in(w.supplier_manager).post(url, {"name": "Mine", "description": ""})

    assert saved.status_code == 302
    assert "Only a manager or admin of Harbour City Council" in other.content.decode()
    assert list(ContractTemplate.objects.values_list("name", flat=True)) == ["Library"]


def test_rename_and_delete_are_for_managers(w: World) -> None:
    template = contract_template_save(contract=w.contract, name="Depot", actor=w.client_manager)

    refused = signed_in(w.client_member).post(f"/contract-templates/{template.pk}/delete/")
    renamed = signed_in(w.client_manager).post(
        f"/contract-templates/{template.pk}/change/", {"name": "Depot v2", "description": ""}
    )
    deleted = signed_in(w.client_manager).post(f"/contract-templates/{template.pk}/delete/")

    assert refused.status_code == 403
    assert renamed.status_code == 302 and deleted.status_code == 302
    assert not ContractTemplate.objects.exists()


def test_api_lists_templates_and_previews(w: World) -> None:
    client = api(w.client_member)

    listed = client.get(f"{API}/contract-templates")
    one = client.get(f"{API}/contract-templates/uk-design-and-build")
    preview = client.post(
        f"{API}/contract-templates/short-consulting/preview",
        setup_payload(w, owners={"consultant": "connor"}),
        content_type="application/json",
    )

    assert [t["key"] for t in listed.json()][:3] == [
        "uk-design-and-build",
        "it-implementation-and-service",
        "short-consulting",
    ]
    assert one.json()["body"]["milestones"][0]["title"] == "Site access granted"
    assert preview.status_code == 422  # a member does not manage the client: named on the field
    assert preview.json()["error"]["field"] == "party_client"


def test_api_creates_a_contract_from_a_template(w: World) -> None:
    response = api(w.client_manager).post(
        f"{API}/contract-templates/short-consulting/contracts",
        setup_payload(w),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["reference"] == "HCC-2027-004"
    assert Contract.objects.get(reference="HCC-2027-004").milestones.count() == 5


def test_api_refuses_an_unknown_organisation(w: World) -> None:
    response = api(w.client_manager).post(
        f"{API}/contract-templates/short-consulting/contracts",
        setup_payload(w, parties={"client": w.client_org.slug, "consultant": "nobody-ltd"}),
        content_type="application/json",
    )

    assert response.status_code == 422 and response.json()["error"]["field"] == "party_consultant"


def test_api_saves_renames_and_deletes_a_template(w: World) -> None:
    client = api(w.client_manager)

    saved = client.post(
        f"{API}/contracts/{w.contract.pk}/template",
        {"name": "Library"},
        content_type="application/json",
    )
    key = saved.json()["key"]
    renamed = client.patch(
        f"{API}/contract-templates/{key}", {"name": "Library v2"}, content_type="application/json"
    )
    deleted = client.delete(f"{API}/contract-templates/{key}")

    assert saved.status_code == 201 and renamed.json()["name"] == "Library v2"
    assert deleted.status_code == 204


def test_api_hides_templates_and_refuses_changes_to_others(w: World) -> None:
    template = contract_template_save(contract=w.contract, name="Depot", actor=w.client_manager)

    hidden = api(w.supplier_manager).get(f"{API}/contract-templates/{template.pk}")
    not_owner = api(w.supplier_manager).post(
        f"{API}/contracts/{w.contract.pk}/template",
        {"name": "Mine"},
        content_type="application/json",
    )
    member = api(w.client_member).delete(f"{API}/contract-templates/{template.pk}")
    built_in = api(w.client_manager).delete(f"{API}/contract-templates/uk-design-and-build")

    assert hidden.status_code == 404
    assert not_owner.status_code == 403 and member.status_code == 403
    assert built_in.status_code == 404


def test_template_list_takes_the_same_queries_however_many_are_saved(w: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(w.client_member)
    contract_template_save(contract=w.contract, name="One", actor=w.client_manager)
    client.get(f"{API}/contract-templates")
    with CaptureQueriesContext(connection) as one:
        client.get(f"{API}/contract-templates")
    for name in ("Two", "Three", "Four"):
        contract_template_save(contract=w.contract, name=name, actor=w.client_manager)

    with CaptureQueriesContext(connection) as four:
        listed = client.get(f"{API}/contract-templates")

    assert len(listed.json()) == 7
    assert len(four.captured_queries) == len(one.captured_queries) <= 3


def test_contract_from_template_command_previews_then_creates(w: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    args = [
        "short-consulting",
        "--user",
        "cora",
        "--title",
        "Review",
        "--reference",
        "HCC-R-1",
        "--value",
        "60000",
        "--start",
        "2027-03-01",
        "--party",
        f"client={w.client_org.slug}",
        "--party",
        f"consultant={w.consultant_org.slug}",
        "--owner",
        "consultant=connor",
    ]
    preview, created = StringIO(), StringIO()

    call_command("contract_from_template", *args, stdout=preview)
    assert not Contract.objects.filter(reference="HCC-R-1").exists()
    call_command("contract_from_template", *args, "--apply", stdout=created)

    assert "FR: Final report (deliverable, Arden Project Management) due" in preview.getvalue()
    assert "Preview only" in preview.getvalue()
    assert "Created contract HCC-R-1" in created.getvalue()


def test_a_new_organisation_sets_up_a_contract_naming_the_other_by_its_identifier(
    w: World,
) -> None:
    # given a brand-new organisation whose manager shares no contract with anyone
    fresh = organisation_create(name="Fresh Ltd", actor=None)
    manager = make_user("fresh", fresh, Role.MANAGER)
    client = signed_in(manager)
    url = "/contract-templates/short-consulting/new-contract/"
    data = {
        **form_data(w, "preview"),
        "party_client": fresh.pk,
        "party_consultant": "",
        "ident_consultant": w.consultant_org.slug,
        "owner_consultant": "",
    }

    # when it previews naming the consultant by its identifier and no owner
    preview = client.post(url, data)
    assert preview.status_code == 200
    assert "Create contract" in preview.content.decode()

    # and then the contract is created with the consultant as a party
    created = client.post(url, {**data, "action": "create", "previewed": previewed(preview)})
    assert created.status_code == 302
    contract = Contract.objects.get(reference="HCC-2027-004")
    assert set(contract.parties.values_list("organisation__slug", flat=True)) == {
        fresh.slug,
        w.consultant_org.slug,
    }
    # and the consultant's milestones go to one of its managers
    assert {m.owner for m in contract.milestones.filter(kind="deliverable")} == {
        w.consultant_manager
    }


def test_setup_page_refuses_an_unknown_identifier(w: World) -> None:
    client = signed_in(w.client_manager)
    url = "/contract-templates/short-consulting/new-contract/"
    data = {**form_data(w, "preview"), "party_consultant": "", "ident_consultant": "nobody-ltd"}

    response = client.post(url, data)

    assert response.status_code == 422
    assert "No organisation has the identifier" in response.content.decode()


@pytest.mark.parametrize("action", ["preview", "create"])
def test_setup_page_refuses_a_start_date_out_of_range(w: World, action: str) -> None:
    client = signed_in(w.client_manager)
    url = "/contract-templates/short-consulting/new-contract/"

    response = client.post(url, {**form_data(w, action), "start_date": "9999-12-01"})

    assert response.status_code == 422
    assert "Give a date from 1 Jan 1900 to 31 Dec 2199" in response.content.decode()
    assert not Contract.objects.filter(reference="HCC-2027-004").exists()


def test_api_names_parties_by_identifier_only_and_owners_among_people_you_work_with(
    w: World,
) -> None:
    w.client_manager.first_name, w.client_manager.last_name = "Cora", "Secretname"
    w.client_manager.save()
    url = f"{API}/contract-templates/short-consulting/contracts"
    ours = {"client": w.outsider_org.slug}

    by_name = api(w.outsider).post(
        url,
        setup_payload(w, parties={**ours, "consultant": "harbour city council"}, owners={}),
        content_type="application/json",
    )
    someone_elses = api(w.outsider).post(
        url,
        setup_payload(
            w, parties={**ours, "consultant": w.client_org.slug}, owners={"consultant": "cora"}
        ),
        content_type="application/json",
    )
    no_one = api(w.outsider).post(
        url,
        setup_payload(
            w, parties={**ours, "consultant": w.client_org.slug}, owners={"consultant": "zed"}
        ),
        content_type="application/json",
    )
    bad_role = api(w.client_manager).post(
        url, setup_payload(w, owners={"builder": "sid"}), content_type="application/json"
    )

    assert by_name.status_code == 422
    assert by_name.json()["error"]["code"] == "unknown_organisation"
    assert someone_elses.status_code == no_one.status_code == 422
    assert (
        someone_elses.json()["error"]["code"] == no_one.json()["error"]["code"] == "unknown_owner"
    )
    assert "Secretname" not in someone_elses.content.decode()
    assert bad_role.json()["error"]["code"] == "unknown_role"
    assert not Contract.objects.filter(reference="HCC-2027-004").exists()


def test_contract_from_template_command_needs_a_value(w: World) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Give --value"):
        call_command(
            "contract_from_template",
            "short-consulting",
            "--user=cora",
            "--title=Review",
            "--reference=HCC-R-1",
            "--start=2027-03-01",
            f"--party=client={w.client_org.slug}",
            f"--party=consultant={w.consultant_org.slug}",
        )


def test_a_template_that_no_longer_reads_says_why_and_can_be_deleted(w: World) -> None:
    template = contract_template_save(contract=w.contract, name="Svc", actor=w.client_manager)
    template.body = {"version": 2}
    template.save(update_fields=["body"])
    client = signed_in(w.client_manager)
    token = api(w.client_manager)

    page = client.get(f"/contract-templates/{template.pk}/")
    setup = client.get(f"/contract-templates/{template.pk}/new-contract/")
    listed = token.get(f"{API}/contract-templates")
    deleted = token.delete(f"{API}/contract-templates/{template.pk}")

    assert page.status_code == 200
    assert "This template can no longer be used" in page.content.decode()
    assert "New contract from this template" not in page.content.decode()
    assert setup.status_code == 302
    assert listed.status_code == 200
    assert str(template.pk) not in {t["key"] for t in listed.json()}
    assert deleted.status_code == 204
    assert not ContractTemplate.objects.filter(pk=template.pk).exists()


def test_new_contract_is_offered_only_to_those_who_manage_an_organisation(w: World) -> None:
    managed = signed_in(w.client_manager).get("/contract-templates/short-consulting/")
    member = signed_in(w.client_member).get("/contract-templates/short-consulting/")

    assert "New contract from this template" in managed.content.decode()
    assert "New contract from this template" not in member.content.decode()
    assert "you manage none" in member.content.decode()


def test_setup_page_asks_owners_only_for_roles_with_milestones_and_names_their_organisation(
    w: World,
) -> None:
    page = signed_in(w.client_manager).get("/contract-templates/short-consulting/new-contract/")
    html = page.content.decode()

    # the client owns the fee payments and the consultant the reports: both are asked
    assert 'name="owner_client"' in html and 'name="owner_consultant"' in html
    assert f"({w.consultant_org.name})" in html


def test_setup_form_has_no_owner_field_for_a_role_without_milestones(w: World) -> None:
    import copy

    from milepost.interchange.templating.builtins import BUILT_INS
    from milepost.interchange.templating.forms import SetupForm
    from milepost.interchange.templating.selectors import template_source

    template = contract_template_save(contract=w.contract, name="Two", actor=w.client_manager)
    body = copy.deepcopy(BUILT_INS["short-consulting"].raw)
    body["milestones"] = [m for m in body["milestones"] if m["kind"] != "payment"]
    template.body = body
    template.save(update_fields=["body"])

    form = SetupForm(source=template_source(template), user=w.client_manager)

    assert "owner_client" not in form.fields and "owner_consultant" in form.fields


def test_setup_page_previews_again_when_the_answers_changed_since_the_preview(w: World) -> None:
    client = signed_in(w.client_manager)
    url = "/contract-templates/short-consulting/new-contract/"
    preview = client.post(url, form_data(w, "preview"))

    changed = {**form_data(w, "create"), "start_date": "2027-04-01"}
    response = client.post(url, {**changed, "previewed": previewed(preview)})

    assert response.status_code == 200
    assert "Your answers changed since the preview" in response.content.decode()
    assert "1 Apr 2027" in response.content.decode()
    assert not Contract.objects.filter(reference="HCC-2027-004").exists()
