"""OCDS: a contract exported as a valid release package, and contracts imported from real OCDS data."""

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from jsonschema import Draft4Validator
from referencing import Registry, Resource

from milepost.audit.models import Event
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract
from milepost.core.errors import Forbidden, NotFound
from milepost.interchange.batches import batch_get_for_user
from milepost.interchange.choices import ImportStatus
from milepost.interchange.ocds.export import contract_ocid, contract_release_package
from milepost.interchange.ocds.reader import OcdsInvalid, ocds_read
from milepost.interchange.ocds.services import ocds_import_apply, ocds_preview
from milepost.interchange.uploads import Upload
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.services import milestone_set_status

from .helpers import refused, signed_in

DAY = dt.timedelta(days=1)
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
UK = "uk-contractsfinder_record_ocds-b5fd17-2c330cf9.json"
FICTIONAL = "ocp-fictional_1.1_release-package_ocds-213czf-000-00001.json"
INVALID = "md-mtender_release_ocds-ngfbwp-16949496_INVALID-milestone.json"


def samples(conformance: Path) -> list[Path]:
    return sorted((conformance / "ocds" / "samples").glob("*.json"))


def busy_contract(world):
    """The world's contract with a met deliverable, a paid payment and a waived deliverable."""
    foundation = world.deliverable("Foundation complete", reference="M1")
    world.deliverable("Structure complete", reference="M2", due_date=world.today + 90 * DAY)
    waived = world.deliverable("Landscaping", reference="M3")
    milestone_set_status(
        milestone=waived,
        status=MilestoneStatus.WAIVED,
        reason="Descoped",
        actor=world.client_manager,
    )
    payment = payment_milestone_create(
        contract=world.contract,
        title="Foundation payment",
        owner=world.client_member,
        due_date=world.today + 60 * DAY,
        payer=world.client,
        payee=world.supplier,
        trigger=foundation,
        percentage="30",
        reference="P1",
        actor=world.client_manager,
    )
    deliverable_accept(milestone=foundation, actor=world.client_manager)
    payment_record_invoice(
        milestone=payment, invoiced_on=world.today, amount="300000", actor=world.supplier_manager
    )
    payment_record_paid(
        milestone=payment, paid_on=world.today, amount="300000", actor=world.client_manager
    )
    return world.contract


def package_of(contract):
    return contract_release_package(contract=contract, uri="https://milepost.example/ocds/1")


# --- export ----------------------------------------------------------------------------------


def test_export_is_valid_against_the_release_package_schema(world, conformance):
    package = json.loads(json.dumps(package_of(busy_contract(world))))
    folder = conformance / "ocds"
    release_schema = json.loads((folder / "release-schema.json").read_text())
    package_schema = json.loads((folder / "release-package-schema.json").read_text())
    registry = Registry().with_resource(
        "https://standard.open-contracting.org/schema/1__1__5/release-schema.json",
        Resource.from_contents(release_schema, default_specification=_draft4()),
    )
    validator = Draft4Validator(
        package_schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )

    bare = json.loads(json.dumps(package_of(world.other_contract(with_supplier=False))))

    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(package)]

    assert errors == []
    assert list(validator.iter_errors(bare)) == []


def _draft4():
    from referencing.jsonschema import DRAFT4

    return DRAFT4


def test_export_passes_libcoveocds_offline_with_no_errors(world, conformance, tmp_path):
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package_of(busy_contract(world))))
    cove = Path(sys.executable).with_name("libcoveocds")

    run = subprocess.run(
        [
            str(cove),
            "--standard-zip",
            str(conformance / "ocds" / "standard-1__1__5-schema.zip"),
            "--output-dir",
            str(tmp_path / "out"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    result = json.loads(run.stdout)
    assert result["validation_errors"] == []
    assert result.get("additional_closed_codelist_values", {}) == {}


def test_export_maps_parties_milestones_and_paid_payments(world):
    contract = busy_contract(world)

    release = package_of(contract)["releases"][0]

    assert release["ocid"] == f"ocds-milepost-{contract.pk}" == contract_ocid(contract)
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles == {
        "Harbour City Council": ["buyer", "payer"],
        "Northgate Construction": ["supplier", "payee"],
        "Arden Project Management": ["interestedParty"],
    }
    ocds_contract = release["contracts"][0]
    assert ocds_contract["value"] == {"amount": 1000000, "currency": "GBP"}
    milestones = {m["id"]: m for m in ocds_contract["implementation"]["milestones"]}
    assert set(milestones) == {"M1", "M2", "P1"}  # the waived one is left out
    assert milestones["M1"]["type"] == "delivery" and milestones["M1"]["status"] == "met"
    assert milestones["M1"]["dateMet"].startswith(world.today.isoformat())
    assert milestones["M2"]["status"] == "scheduled" and "dateMet" not in milestones["M2"]
    assert milestones["P1"]["type"] == "payment"
    [paid] = ocds_contract["implementation"]["transactions"]
    assert paid["value"] == {"amount": 300000, "currency": "GBP"}
    assert paid["payer"]["name"] == "Harbour City Council"
    assert release["tag"] == ["contract", "implementation"]


def test_export_ocid_is_stable_and_release_id_changes_with_the_contract(w, clock):
    first = package_of(w.contract)["releases"][0]
    clock.shift(dt.timedelta(hours=1))
    w.deliverable("Roof on", reference="M9")

    second = package_of(w.contract)["releases"][0]

    assert first["ocid"] == second["ocid"]
    assert first["id"] != second["id"]


def test_export_prefix_comes_from_the_setting(world, settings):
    settings.MILEPOST_OCID_PREFIX = "ocds-abc123"

    assert package_of(world.contract)["releases"][0]["ocid"] == f"ocds-abc123-{world.contract.pk}"


def test_api_export_allowed_for_a_party(world):
    response = signed_in(world.supplier_viewer).get(f"/api/v1/contracts/{world.contract.pk}/ocds")

    assert response.status_code == 200
    assert response.json()["releases"][0]["contracts"][0]["title"] == "Harbour library extension"


def test_api_export_hidden_from_an_outsider(world):
    response = signed_in(world.outsider).get(f"/api/v1/contracts/{world.contract.pk}/ocds")

    assert response.status_code == 404


def test_web_export_downloads_the_package_and_is_linked_from_the_contract_page(world):
    client = signed_in(world.client_viewer)

    page = client.get(f"/contracts/{world.contract.pk}/")
    download = client.get(f"/contracts/{world.contract.pk}/ocds.json")

    assert f"/contracts/{world.contract.pk}/ocds.json" in page.content.decode()
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content)["version"] == "1.1"


def test_web_export_hidden_from_an_outsider(world):
    assert (
        signed_in(world.outsider).get(f"/contracts/{world.contract.pk}/ocds.json").status_code
        == 404
    )


def test_ocds_export_command_writes_the_package(world, tmp_path):
    out = tmp_path / "c.json"

    call_command("ocds_export", str(world.contract.pk), "--user", "cora", "--output", str(out))

    assert json.loads(out.read_text())["releases"][0]["ocid"] == contract_ocid(world.contract)


def test_an_exported_contract_reads_back_with_its_terms_parties_and_milestones(world):
    package = json.dumps(package_of(busy_contract(world)))

    [read] = ocds_read(package.encode())

    assert (read.title, read.value, read.currency) == (
        "Harbour library extension",
        Decimal("1000000"),
        "GBP",
    )
    assert read.start == world.contract.start_date and read.end == world.contract.end_date
    assert len(read.parties) == 3 and read.missing == []
    assert {m.id for m in read.milestones} == {"M1", "M2", "P1"}


# --- reading ---------------------------------------------------------------------------------


def test_every_valid_sample_reads_into_contracts(conformance):
    read = {
        f.name: ocds_read(f.read_bytes()) for f in samples(conformance) if "INVALID" not in f.name
    }

    assert len(read) == 7
    assert [len(c) for c in read.values()] == [2, 2, 1, 1, 1, 1, 1]
    uk = read[UK][0]
    assert uk.from_tender and uk.currency == "GBP" and uk.value == Decimal("464500")
    assert "The file gives no start date." in uk.missing
    cdmx = read["mx-cdmx_release-package_ocdskit-realdata.json"]
    assert len(cdmx[0].milestones) == 12
    [late] = read["ng-bpp_record_ocds-gyl66f-borbda-27yetd.json"][0].missing
    assert late.endswith("is due before the contract starts and will not be imported.")


def test_invalid_sample_is_refused_with_the_validators_messages(conformance):
    data = (conformance / "ocds" / "samples" / INVALID).read_bytes()

    with pytest.raises(OcdsInvalid) as caught:
        ocds_read(data)

    assert caught.value.code == "invalid_ocds" and caught.value.field == "file"
    assert "tender/milestones/0: 'id' is a required property." in caught.value.messages
    assert "tender/milestones/0/documents: {} is not of type 'array'." in caught.value.messages
    assert any("contracts/0/value/currency" in m for m in caught.value.messages)


def test_not_json_is_refused():
    with pytest.raises(OcdsInvalid):
        ocds_read(b"<xml/>")


def test_a_record_whose_releases_are_not_a_list_is_refused_by_its_place():
    package = {"records": [{"ocid": "x", "releases": 3}]}

    with pytest.raises(OcdsInvalid) as caught:
        ocds_read(json.dumps(package).encode())

    assert caught.value.messages == ["records/0/releases: a record's releases are a JSON list."]


def test_deeply_nested_json_is_refused_not_crashed_on():
    with pytest.raises(OcdsInvalid, match="nests its data too deeply"):
        ocds_read(b"[" * 100_000 + b"]" * 100_000)


def test_a_malformed_date_is_refused_by_its_place():
    release = {"ocid": "o", "id": "1", "date": "2020-13-45T00:00:00Z"}

    with pytest.raises(OcdsInvalid) as caught:
        ocds_read(json.dumps(release).encode())

    assert caught.value.messages == ["date: '2020-13-45T00:00:00Z' is not a 'date-time'."]


def test_releases_of_one_process_are_merged_in_date_order():
    older = {
        "ocid": "ocds-x-1",
        "id": "1",
        "date": "2020-01-01T00:00:00Z",
        "tag": ["contract"],
        "contracts": [{"id": "c", "title": "Old", "value": {"amount": 5, "currency": "EUR"}}],
    }
    newer = {
        "ocid": "ocds-x-1",
        "id": "2",
        "date": "2021-01-01T00:00:00Z",
        "tag": ["contract"],
        "contracts": [{"id": "c", "title": "New"}],
    }
    package = {"releases": [newer, older]}

    [contract] = ocds_read(json.dumps(package).encode())

    assert contract.title == "New" and contract.value == Decimal(5)


# --- import ----------------------------------------------------------------------------------


def upload_of(conformance, name):
    path = conformance / "ocds" / "samples" / name
    return Upload(name=name, data=path.read_bytes())


@pytest.mark.parametrize(
    "name",
    [
        "mx-cdmx_record-package_linked-releases_ocdskit-realdata.json",
        "mx-cdmx_release-package_ocdskit-realdata.json",
        "mx-gacm_release_10.json",
        "ng-bpp_record_ocds-gyl66f-borbda-27yetd.json",
        "ocp-fictional_1.1_record-package_ocds-213czf-000-00001.json",
        FICTIONAL,
        UK,
    ],
)
def test_every_valid_sample_previews_and_imports(world, conformance, name):
    batch = ocds_preview(upload=upload_of(conformance, name), actor=world.client_manager)
    first = batch.preview["contracts"][0]

    contract = ocds_import_apply(
        batch=batch,
        actor=world.client_manager,
        contract_key=first["key"],
        organisation=world.client_org,
        party_role=PartyRole.CLIENT,
        counterparty=world.supplier_org,
        reference=f"OCDS-{name[:20]}",
        start_date=None if first["start"] else dt.date(2014, 12, 1),
        end_date=None if first["end"] else dt.date(2016, 12, 31),
    )

    start = contract.start_date.isoformat()
    dated = [m for m in first["milestones"] if m["due"] and m["due"] >= start]
    assert contract.milestones.count() == len({m["id"] for m in dated})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert batch.counts["milestones_created"] == contract.milestones.count()


def test_import_creates_contract_parties_and_milestones_with_one_applied_event(world, conformance):
    batch = ocds_preview(
        upload=upload_of(conformance, "mx-cdmx_release-package_ocdskit-realdata.json"),
        actor=world.client_manager,
    )

    contract = ocds_import_apply(
        batch=batch,
        actor=world.client_manager,
        contract_key="OCDS-87SD3T-AD-SF-DRM-063-2015/1",
        organisation=world.client_org,
        party_role=PartyRole.CLIENT,
        counterparty=world.supplier_org,
    )

    assert contract.reference == "1" and contract.title == "CA-004/2016"
    assert contract.currency == "MXN" and contract.value == Decimal("1311264.00")
    assert contract.start_date == dt.date(2016, 1, 1)
    assert sorted(contract.parties.values_list("role", flat=True)) == ["client", "supplier"]
    assert contract.milestones.count() == 12
    assert Event.objects.filter(action="import.applied", contract_id=contract.pk).count() == 1


def test_import_maps_file_parties_to_known_organisations_by_their_roles(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)
    c = batch.preview["contracts"][0]
    supplier = next(p for p in c["parties"] if "supplier" in p["roles"])

    contract = ocds_import_apply(
        batch=batch,
        actor=world.client_manager,
        contract_key=c["key"],
        organisation=world.client_org,
        party_role=PartyRole.CLIENT,
        party_map={supplier["id"]: world.supplier_org.pk},
    )

    assert contract.parties.get(organisation=world.supplier_org).role == PartyRole.SUPPLIER


def test_import_refuses_a_missing_field_instead_of_guessing(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, UK), actor=world.client_manager)

    with refused("required", "start_date"):
        ocds_import_apply(
            batch=batch,
            actor=world.client_manager,
            contract_key=batch.preview["contracts"][0]["key"],
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
            counterparty=world.supplier_org,
            reference="CSSP",
        )


def test_import_refuses_a_party_mapped_to_an_organisation_the_user_does_not_know(
    world, conformance
):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)
    c = batch.preview["contracts"][0]

    with refused("unknown_party", f"party_{c['parties'][0]['id']}"):
        ocds_import_apply(
            batch=batch,
            actor=world.client_manager,
            contract_key=c["key"],
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
            party_map={c["parties"][0]["id"]: world.outsider_org.pk},
        )


def test_import_needs_a_counterparty_to_accept_the_milestones(world, conformance):
    batch = ocds_preview(
        upload=upload_of(conformance, "mx-gacm_release_10.json"), actor=world.client_manager
    )

    with refused("counterparty_required", "counterparty"):
        ocds_import_apply(
            batch=batch,
            actor=world.client_manager,
            contract_key=batch.preview["contracts"][0]["key"],
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
        )


def test_import_only_by_a_manager_of_the_owning_organisation(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_member)

    with refused("forbidden", error=Forbidden):
        ocds_import_apply(
            batch=batch,
            actor=world.client_member,
            contract_key=batch.preview["contracts"][0]["key"],
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
        )


def test_import_applies_once(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)
    key = batch.preview["contracts"][0]["key"]
    ocds_import_apply(
        batch=batch,
        actor=world.client_manager,
        contract_key=key,
        organisation=world.client_org,
        party_role=PartyRole.CLIENT,
    )

    with refused("import_applied"):
        ocds_import_apply(
            batch=batch,
            actor=world.client_manager,
            contract_key=key,
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
            reference="OTHER",
        )


def test_import_batch_is_its_uploaders_only(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)

    with pytest.raises(NotFound):
        batch_get_for_user(user=world.supplier_manager, pk=batch.pk)


def test_invalid_file_stores_nothing(world, conformance):
    with refused("invalid_ocds", "file"):
        ocds_preview(upload=upload_of(conformance, INVALID), actor=world.client_manager)


# --- import endpoints and pages --------------------------------------------------------------


def test_api_import_preview_then_apply(world, conformance):
    client = signed_in(world.client_manager)
    data = (conformance / "ocds" / "samples" / FICTIONAL).read_bytes()

    preview = client.post("/api/v1/imports/ocds", {"file": SimpleUploadedFile(FICTIONAL, data)})
    body = preview.json()
    applied = client.post(
        f"/api/v1/imports/ocds/{body['id']}/apply",
        {
            "contract": body["contracts"][0]["key"],
            "organisation": world.client_org.slug,
            "party_role": "client",
        },
        content_type="application/json",
    )

    assert preview.status_code == 201 and len(body["contracts"]) == 1
    assert applied.status_code == 201
    assert Contract.objects.get(pk=applied.json()["contract_id"]).owner == world.client_org


def test_api_import_of_the_invalid_sample_is_refused_with_messages(world, conformance):
    data = (conformance / "ocds" / "samples" / INVALID).read_bytes()

    response = signed_in(world.client_manager).post(
        "/api/v1/imports/ocds", {"file": SimpleUploadedFile(INVALID, data)}
    )

    assert response.status_code == 422
    assert "tender/milestones/0" in json.dumps(response.json())


def test_api_import_preview_hidden_from_another_user(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)

    response = signed_in(world.supplier_manager).get(f"/api/v1/imports/ocds/{batch.pk}")

    assert response.status_code == 404


def test_api_import_discard(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)

    response = signed_in(world.client_manager).delete(f"/api/v1/imports/ocds/{batch.pk}")

    batch.refresh_from_db()
    assert response.status_code == 204 and batch.status == ImportStatus.DISCARDED


def test_web_import_upload_preview_and_create(world, conformance):
    client = signed_in(world.client_manager)
    data = (conformance / "ocds" / "samples" / UK).read_bytes()

    listing = client.get("/contracts/")
    uploaded = client.post("/imports/ocds/", {"file": SimpleUploadedFile(UK, data)})
    preview = client.get(uploaded["Location"])
    text = preview.content.decode()
    key = "ocds-b5fd17-2c330cf9-adc8-11e6-9901-0019b9f3037b/tender"
    created = client.post(
        uploaded["Location"],
        {
            "contract": key,
            "organisation": world.client_org.pk,
            "party_role": "client",
            "counterparty": world.supplier_org.pk,
            "start_date": "2015-01-05",
            "end_date": "2016-12-31",
            "reference": "CSSP-CHINA",
        },
    )

    assert "/imports/ocds/" in listing.content.decode()
    assert uploaded.status_code == 302
    assert "Climate Science for Service Partnership" in text
    assert "The file gives no start date." in text
    assert "£464,500" in text
    assert "Met Office (buyer)" in text
    assert created.status_code == 302, created.content.decode()[:3000]
    contract = Contract.objects.get(reference="CSSP-CHINA")
    assert contract.milestones.count() == 2


def test_web_import_refuses_the_invalid_sample_on_the_page(world, conformance):
    data = (conformance / "ocds" / "samples" / INVALID).read_bytes()

    response = signed_in(world.client_manager).post(
        "/imports/ocds/", {"file": SimpleUploadedFile(INVALID, data)}
    )

    assert response.status_code == 422
    assert (
        "tender/milestones/0: &#x27;id&#x27; is a required property." in response.content.decode()
    )


def test_web_import_preview_hidden_from_another_user(world, conformance):
    batch = ocds_preview(upload=upload_of(conformance, FICTIONAL), actor=world.client_manager)

    assert signed_in(world.supplier_manager).get(f"/imports/ocds/{batch.pk}/").status_code == 404


def test_ocds_import_command_previews_and_applies(world, conformance, capsys):
    path = conformance / "ocds" / "samples" / FICTIONAL

    call_command("ocds_import", str(path), "--user", "cora")
    call_command(
        "ocds_import",
        str(path),
        "--user",
        "cora",
        "--organisation",
        world.client_org.slug,
        "--role",
        "client",
        "--apply",
    )

    out = capsys.readouterr().out
    assert "Contract to build new cycle lanes" in out
    assert Contract.objects.filter(reference="ocds-213czf-000-00001-contract-01").exists()


def test_ocds_import_command_refuses_the_invalid_sample(world, conformance):
    path = conformance / "ocds" / "samples" / INVALID

    with pytest.raises(CommandError, match="tender/milestones/0"):
        call_command("ocds_import", str(path), "--user", "cora")


def test_web_import_preview_tells_a_non_manager_why_there_is_no_create_button(world, conformance):
    data = (conformance / "ocds" / "samples" / FICTIONAL).read_bytes()
    client = signed_in(world.client_member)

    uploaded = client.post("/imports/ocds/", {"file": SimpleUploadedFile(FICTIONAL, data)})
    text = client.get(uploaded["Location"]).content.decode()

    assert "Only a manager of an organisation can create a contract from this file." in text
    assert "Create contract</button>" not in text
