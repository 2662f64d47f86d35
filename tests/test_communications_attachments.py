"""A communication's attachments: sent with it and never changed after, read only by those who
may read the communication, within the evidence rules. Held at Friday 11 December 2026."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from milepost.accounts.services import api_token_create
from milepost.communications.models import Attachment, Communication
from milepost.communications.services import (
    communication_attach,
    communication_create,
)
from milepost.core.errors import Forbidden

from .communication_helpers import nec4
from .conftest import World
from .helpers import refused, signed_in

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")
SURVEY = b"%PDF-1.4 culvert survey"


def survey(name: str = "culvert-survey.pdf", data: bytes = SURVEY) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/pdf")


def notify(w: World, **fields: object) -> Communication:
    values: dict[str, object] = {
        "contract": w.contract,
        "kind": "ce_contractor",
        "subject": "Culvert under the east wing",
        "aware_on": dt.date(2026, 12, 7),
        "actor": w.supplier_manager,
    }
    values.update(fields)
    return communication_create(**values)  # type: ignore[arg-type]


def test_files_sent_with_a_notification_are_kept_with_their_hash(w: World) -> None:
    nec4(w)
    ce = notify(w, attachments=[survey()])
    (kept,) = ce.attachments.all()
    assert kept.original_name == "culvert-survey.pdf" and kept.size == len(SURVEY)
    assert kept.sha256 == hashlib.sha256(SURVEY).hexdigest()
    with kept.file.open("rb") as stored:
        assert stored.read() == SURVEY


def test_a_file_of_a_refused_type_refuses_the_whole_communication(w: World) -> None:
    nec4(w)
    with refused("file_type_not_allowed", "attachments"):
        notify(w, attachments=[survey("run-me.exe", b"MZ")])
    assert not Communication.objects.exists()


def test_a_sent_communication_takes_no_more_files_but_a_draft_does(w: World) -> None:
    nec4(w)
    sent = notify(w)
    with refused("already_sent", "file"):
        communication_attach(communication=sent, upload=survey(), actor=w.supplier_manager)
    draft = notify(w, subject="Second", send=False)
    communication_attach(communication=draft, upload=survey(), actor=w.supplier_manager)
    assert draft.attachments.count() == 1
    with refused("not_sender", error=Forbidden):
        communication_attach(communication=draft, upload=survey(), actor=w.supplier_member)


def test_the_parties_download_a_file_and_no_one_else_does(w: World) -> None:
    nec4(w)
    ce = notify(w, attachments=[survey()])
    kept = Attachment.objects.get()
    url = f"/communications/{ce.pk}/attachments/{kept.pk}/"
    response = signed_in(w.consultant_manager).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SURVEY  # type: ignore[attr-defined]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert signed_in(w.outsider).get(url).status_code == 404
    page = signed_in(w.client_viewer).get(f"/communications/{ce.pk}/").content.decode()
    assert "culvert-survey.pdf" in page


def test_a_drafts_files_are_hidden_from_the_other_side(w: World) -> None:
    nec4(w)
    draft = notify(w, send=False, attachments=[survey()])
    kept = Attachment.objects.get()
    url = f"/communications/{draft.pk}/attachments/{kept.pk}/"
    assert signed_in(w.consultant_manager).get(url).status_code == 404
    assert signed_in(w.supplier_viewer).get(url).status_code == 200


def test_files_attached_on_the_web_form_are_sent_with_it(w: World) -> None:
    nec4(w)
    client = signed_in(w.supplier_manager)
    response = client.post(
        f"/contracts/{w.contract.pk}/communications/new/",
        {
            "kind": "ce_contractor",
            "subject": "Culvert",
            "aware_on": "2026-12-07",
            "op": "send",
            "attachments": [survey(), survey("photo.png", b"\x89PNG\r\n")],
        },
    )
    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "culvert-survey.pdf",
        "photo.png",
    ]


def test_the_api_attaches_to_a_draft_and_lists_and_downloads(w: World) -> None:
    nec4(w)
    draft = notify(w, send=False)
    _, token = api_token_create(user=w.supplier_manager, name="site")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = signed_in(w.supplier_manager)
    created = client.post(
        f"/api/v1/communications/{draft.pk}/attachments", {"file": survey()}, **auth
    )
    assert created.status_code == 201
    body = created.json()
    assert (
        body["name"] == "culvert-survey.pdf"
        and body["sha256"] == hashlib.sha256(SURVEY).hexdigest()
    )
    listed = client.get(f"/api/v1/communications/{draft.pk}", **auth).json()
    assert [a["name"] for a in listed["attachments"]] == ["culvert-survey.pdf"]
    download = client.get(body["download_url"], **auth)
    assert b"".join(download.streaming_content) == SURVEY  # type: ignore[attr-defined]


def test_a_refused_file_is_named_and_none_of_the_others_is_kept(w: World) -> None:
    import os

    from django.conf import settings

    nec4(w)
    root = settings.EVIDENCE_ROOT
    before = sum(len(files) for _, _, files in os.walk(root)) if os.path.isdir(root) else 0
    with refused("file_type_not_allowed", "attachments") as caught:
        notify(w, attachments=[survey(), survey("run-me.exe", b"MZ")])
    assert caught.value.message.startswith("run-me.exe: ")
    after = sum(len(files) for _, _, files in os.walk(root)) if os.path.isdir(root) else 0
    assert after == before
