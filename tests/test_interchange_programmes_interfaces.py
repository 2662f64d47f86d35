"""Programme imports through the API, the pages and the import_programme command."""

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from milepost.accounts.services import api_token_create
from milepost.interchange.choices import ImportStatus
from milepost.interchange.models import ImportBatch
from milepost.schedule.models import Dependency, Milestone

from .conftest import World
from .helpers import signed_in
from .test_interchange_programmes import xer

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")
API = "/api/v1"


def bearer(user):  # type: ignore[no-untyped-def]
    _, raw = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def upload(client: Client, w: World):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/contracts/{w.contract.pk}/imports/programme",
        {"file": SimpleUploadedFile("library.xer", xer())},
    )


def test_api_uploads_previews_and_applies_a_programme(w: World) -> None:
    client = bearer(w.supplier_manager)
    created = upload(client, w)
    assert created.status_code == 201
    body = created.json()
    assert body["summary"]["milestones"] == 3
    assert [r["uid"] for r in body["plan"]["rows"] if r["chosen"]] == ["M1000", "M1020", "M1040"]
    checked = client.post(
        f"{API}/imports/programmes/{body['id']}/preview",
        json.dumps({**body["options"], "tasks": ["M1000", "M1040"]}),
        content_type="application/json",
    )
    assert checked.status_code == 200
    assert [(k["predecessor"], k["successor"]) for k in checked.json()["plan"]["links"]] == [
        ("M1000", "M1040")
    ]
    applied = client.post(
        f"{API}/imports/programmes/{body['id']}/apply",
        json.dumps(body["options"]),
        content_type="application/json",
    )
    assert applied.status_code == 200
    assert applied.json()["status"] == "applied"
    assert Milestone.objects.filter(contract=w.contract).count() == 3
    assert Dependency.objects.filter(successor__contract=w.contract).count() == 2


def test_api_refuses_an_outsider_with_404_and_a_viewer_with_403(w: World) -> None:
    assert upload(bearer(w.outsider), w).status_code == 404
    assert upload(bearer(w.supplier_viewer), w).status_code == 403
    assert ImportBatch.objects.count() == 0


def test_api_finds_only_your_own_import_and_discards_it(w: World) -> None:
    body = upload(bearer(w.supplier_manager), w).json()
    assert bearer(w.client_manager).get(f"{API}/imports/programmes/{body['id']}").status_code == 404
    gone = bearer(w.supplier_manager).delete(f"{API}/imports/programmes/{body['id']}")
    assert gone.status_code == 204
    assert ImportBatch.objects.get().status == ImportStatus.DISCARDED


def test_api_refuses_a_truncated_programme_naming_the_file(w: World) -> None:
    response = bearer(w.supplier_manager).post(
        f"{API}/contracts/{w.contract.pk}/imports/programme",
        {"file": SimpleUploadedFile("cut.xer", xer().replace(b"%E\r\n", b""))},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "programme_truncated"
    assert response.json()["error"]["field"] == "file"


def test_page_uploads_then_previews_and_applies(w: World) -> None:
    client = signed_in(w.supplier_manager)
    page = client.get(f"/contracts/{w.contract.pk}/import/programme/")
    assert page.status_code == 200
    assert b"Choose the programme file" in page.content
    posted = client.post(
        f"/contracts/{w.contract.pk}/import/programme/",
        {"file": SimpleUploadedFile("library.xer", xer())},
    )
    assert posted.status_code == 302
    preview = client.get(posted["Location"])
    text = preview.content.decode()
    assert "Structure topped out" in text
    assert "15 May 2026" in text
    assert "Through Structure, not imported." in text
    batch = ImportBatch.objects.get()
    done = client.post(
        posted["Location"],
        {
            "action": "apply",
            "task": ["M1000", "M1020", "M1040"],
            "responsible_party": w.supplier.pk,
            "accepting_party": w.client.pk,
            "owner": w.supplier_member.pk,
        },
    )
    assert done.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert set(Milestone.objects.values_list("owner__username", flat=True)) == {"sid"}


def test_page_tells_a_viewer_why_there_is_no_upload_form(w: World) -> None:
    page = signed_in(w.supplier_viewer).get(f"/contracts/{w.contract.pk}/import/programme/")
    assert page.status_code == 200
    assert b"Only a manager or admin of a party" in page.content
    assert b'type="file"' not in page.content


def test_page_answers_404_to_an_outsider(w: World) -> None:
    assert (
        signed_in(w.outsider).get(f"/contracts/{w.contract.pk}/import/programme/").status_code
        == 404
    )


def test_page_says_which_formats_need_java_when_it_is_missing(w: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MILEPOST_JAVA = "no-such-java-binary"
    page = signed_in(w.supplier_manager).get(f"/contracts/{w.contract.pk}/import/programme/")
    assert b"apt-get install default-jre-headless" in page.content
    assert b"Microsoft Project .mpp files" in page.content


def test_command_previews_then_applies(w: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "library.xer"
    path.write_bytes(xer())
    out = io.StringIO()
    call_command("import_programme", str(path), contract="HCC-2026-001", user="sam", stdout=out)
    assert "3 milestones" in out.getvalue()
    assert Milestone.objects.count() == 0
    call_command(
        "import_programme", str(path), contract="HCC-2026-001", user="sam", apply=True,
        owner="sid", stdout=out,
    )  # fmt: skip
    assert "milestones created 3" in out.getvalue()
    assert Milestone.objects.filter(owner__username="sid").count() == 3
