"""The extraction endpoints: upload and read a contract document, review, create."""

import datetime as dt
import hashlib
import io
import json

import docx
import pytest

from milepost.extraction.models import Proposal
from tests.extraction_helpers import SIGNED_AGREEMENT
from tests.helpers import signed_in

START = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")
API = "/api/v1"


def agreement_docx() -> bytes:
    document = docx.Document()
    for paragraph in SIGNED_AGREEMENT.split("\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def upload(client, w, name="agreement.docx", data=None, title="Signed agreement"):
    file = io.BytesIO(agreement_docx() if data is None else data)
    file.name = name
    return client.post(f"{API}/contracts/{w.contract.pk}/documents", {"file": file, "title": title})


def test_a_manager_uploads_a_docx_and_gets_its_proposals(w):
    # When the client's manager uploads the signed agreement as a Word document
    response = upload(signed_in(w.client_manager), w)

    # Then it is kept and read: its text, and proposals each quoting their clause
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["format"] == "docx" and body["title"] == "Signed agreement"
    payment = next(p for p in body["proposals"] if p["kind"] == "payment")
    assert payment["status"] == "pending"
    cited = payment["proposed"]["citation"]
    assert body["text"][cited["start"] : cited["end"]] == cited["quote"]
    assert payment["values"]["percentage"] == "30"


def test_an_unsupported_file_is_refused_naming_the_file(w):
    response = upload(signed_in(w.client_manager), w, name="stages.xlsx", data=b"PK\x03\x04")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "file"


def test_an_edit_refused_names_its_field(w):
    # Given a document read
    document_id = upload(signed_in(w.client_manager), w).json()["id"]
    proposal = Proposal.objects.filter(document_id=document_id, kind="payment").get()

    # When the reviewer gives both an amount and a percentage
    response = signed_in(w.client_manager).patch(
        f"{API}/proposals/{proposal.pk}",
        json.dumps({"amount": "300000", "percentage": "30"}),
        content_type="application/json",
    )

    # Then the API refuses it naming the amount
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "amount"


def test_accepting_and_applying_creates_the_milestone(w):
    # Given the foundations accepted, with an owner at the supplier
    client = signed_in(w.client_manager)
    document_id = upload(client, w).json()["id"]
    foundations = Proposal.objects.get(document_id=document_id, proposed__due="2027-06-30")
    patched = client.patch(
        f"{API}/proposals/{foundations.pk}",
        json.dumps({"owner": w.supplier_member.pk}),
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert client.post(f"{API}/proposals/{foundations.pk}/accept").json()["status"] == "accepted"

    # When the reviewer creates the accepted set
    response = client.post(f"{API}/documents/{document_id}/apply")

    # Then one milestone was created, and the document shows the proposal created
    assert response.json() == {
        "milestones_created": 1,
        "dependencies": 0,
        "damages": 0,
        "proposals_applied": 1,
    }
    detail = client.get(f"{API}/documents/{document_id}").json()
    created = next(p for p in detail["proposals"] if p["id"] == foundations.pk)
    assert created["status"] == "applied" and created["milestone_id"]


def test_the_file_downloads_as_uploaded_for_members_only(w):
    document = upload(signed_in(w.client_manager), w).json()
    document_id = document["id"]

    member = signed_in(w.supplier_viewer).get(f"{API}/documents/{document_id}/file")
    outsider = signed_in(w.outsider).get(f"{API}/documents/{document_id}/file")

    data = b"".join(member.streaming_content)
    assert hashlib.sha256(data).hexdigest() == document["sha256"]
    assert member["Content-Disposition"] == 'attachment; filename="agreement.docx"'
    assert outsider.status_code == 404


def test_a_document_whose_file_is_missing_answers_404(w):
    # Given a document whose file is gone from the disk
    client = signed_in(w.client_manager)
    document_id = upload(client, w, name="agreement.txt", data=SIGNED_AGREEMENT.encode()).json()[
        "id"
    ]
    from milepost.contracts.models import ContractDocument

    ContractDocument.objects.get(pk=document_id).file.delete(save=False)

    # When it is downloaded, then the answer is 404, not a server error
    assert client.get(f"{API}/documents/{document_id}/file").status_code == 404


def test_a_document_without_a_title_is_named_after_its_file(w):
    response = upload(signed_in(w.client_manager), w, name="Signed agreement.txt", title="")

    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Signed agreement"


def test_applying_twice_answers_409(w):
    # Given the foundations accepted, with an owner, and created
    client = signed_in(w.client_manager)
    document_id = upload(client, w).json()["id"]
    foundations = Proposal.objects.get(document_id=document_id, proposed__due="2027-06-30")
    client.patch(
        f"{API}/proposals/{foundations.pk}",
        json.dumps({"owner": w.supplier_member.pk}),
        content_type="application/json",
    )
    client.post(f"{API}/proposals/{foundations.pk}/accept")
    first = client.post(f"{API}/documents/{document_id}/apply")
    assert first.status_code == 200, first.content

    # When it is applied again, then it answers a conflict
    again = client.post(f"{API}/documents/{document_id}/apply")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_applied"
