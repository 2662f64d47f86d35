"""The clock's pages: the register, writing and answering a communication, the contract data.

Held at Friday 11 December 2026 in England, as the service tests are.
"""

import datetime as dt

import pytest
from django.test import Client

from milepost.communications.choices import CommunicationState as S
from milepost.communications.models import Communication
from milepost.communications.services import communication_create, contract_form_set

from .communication_helpers import nec4
from .conftest import World
from .helpers import signed_in, stored_rows

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def notify(w: World, **fields: object) -> Communication:
    values: dict[str, object] = {
        "contract": w.contract,
        "kind": "ce_contractor",
        "subject": "Late access to the east site",
        "aware_on": dt.date(2026, 12, 7),
        "actor": w.supplier_manager,
    }
    values.update(fields)
    return communication_create(**values)  # type: ignore[arg-type]


def test_the_contractor_notifies_a_compensation_event_from_the_register(w: World) -> None:
    nec4(w)
    client = signed_in(w.supplier_manager)
    page = client.get(f"/contracts/{w.contract.pk}/communications/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Compensation event notified by the Contractor" in body
    # The project manager's own notification is not offered: the reason is shown instead.
    assert "Only a manager of the project manager sends this" in body
    form = client.get(f"/contracts/{w.contract.pk}/communications/new/?kind=ce_contractor")
    assert "Became aware on" in form.content.decode()
    sent = client.post(
        f"/contracts/{w.contract.pk}/communications/new/",
        {"kind": "ce_contractor", "subject": "Late access", "aware_on": "2026-12-07", "op": "send"},
    )
    c = Communication.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/communications/{c.pk}/"
    detail = client.get(sent["Location"]).content.decode()
    assert "from Arden Project Management by Fri 18 Dec 2026" in detail
    assert "more than half left" in detail


def test_a_refused_communication_keeps_what_was_typed(w: World) -> None:
    nec4(w)
    client = signed_in(w.supplier_manager)
    before = stored_rows()
    page = client.post(
        f"/contracts/{w.contract.pk}/communications/new/",
        {
            "kind": "ce_contractor",
            "subject": "Late access",
            "text": "Access came three weeks late.",
            "aware_on": "2026-12-25",
            "op": "send",
        },
    )
    assert page.status_code == 422
    body = page.content.decode()
    assert "The awareness date cannot be after today." in body
    assert "Access came three weeks late." in body and 'value="Late access"' in body
    assert stored_rows() == before


def test_someone_who_may_not_send_a_type_is_refused(w: World) -> None:
    nec4(w)
    page = signed_in(w.client_manager).get(
        f"/contracts/{w.contract.pk}/communications/new/?kind=ce_contractor"
    )
    assert page.status_code == 403
    assert (
        signed_in(w.outsider).get(f"/contracts/{w.contract.pk}/communications/").status_code == 404
    )


def test_the_project_manager_replies_from_the_communications_page(w: World) -> None:
    nec4(w)
    ce = notify(w)
    client = signed_in(w.consultant_manager)
    detail = client.get(f"/communications/{ce.pk}/").content.decode()
    assert f"/communications/{ce.pk}/answer/?kind=manager_reply" in detail
    # The failure notice is the contractor's, and not yet due: the reason is shown.
    assert "Notification of a failure to reply:" in detail
    answered = client.post(
        f"/communications/{ce.pk}/answer/",
        {"kind": "manager_reply", "subject": "Accepted", "outcome": "accepted", "op": "send"},
    )
    assert answered.status_code == 302
    ce.refresh_from_db()
    assert ce.state == S.REPLIED
    history = client.get(f"/communications/{ce.pk}/").content.decode()
    assert "answering C-001 (accepted)" in history


def test_a_draft_is_sent_later_from_its_page(w: World) -> None:
    nec4(w)
    draft = notify(w, send=False)
    client = signed_in(w.supplier_manager)
    page = client.get(f"/communications/{draft.pk}/").content.decode()
    assert "Send it now" in page and "not yet: a draft" in page
    assert signed_in(w.consultant_manager).get(f"/communications/{draft.pk}/").status_code == 404
    client.post(f"/communications/{draft.pk}/act/", {"op": "send"})
    draft.refresh_from_db()
    assert draft.state == S.SENT


def test_the_register_filters_and_downloads_as_csv(w: World) -> None:
    nec4(w)
    notify(w)
    notify(w, subject="=HYPERLINK(1)", aware_on=dt.date(2026, 9, 1))
    client = signed_in(w.client_viewer)
    page = client.get(
        f"/contracts/{w.contract.pk}/communications/?state=time_barred"
    ).content.decode()
    assert (
        "HYPERLINK" in page and "Late access to the east site</a>" not in page.split("Register")[1]
    )
    csv = client.get(f"/contracts/{w.contract.pk}/communications.csv?awaiting=yes")
    text = csv.content.decode()
    assert csv["Content-Type"].startswith("text/csv")
    assert "Late access to the east site" in text and "HYPERLINK" not in text
    assert "more than half" in text


def test_the_owner_changes_a_period_and_names_the_project_manager(w: World) -> None:
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    client = signed_in(w.client_manager)
    page = client.get(f"/contracts/{w.contract.pk}/contract-data/").content.decode()
    assert "The period for reply" in page and "2 weeks" in page
    saved = client.post(
        f"/contracts/{w.contract.pk}/contract-data/",
        {"op": "period", "key": "reply", "length": "3", "unit": "weeks"},
    )
    assert saved.status_code == 302
    client.post(
        f"/contracts/{w.contract.pk}/contract-data/",
        {"op": "role", "party": str(w.consultant.pk), "named_role": "project_manager"},
    )
    page = client.get(f"/contracts/{w.contract.pk}/contract-data/").content.decode()
    assert "3 weeks <small>(changed)</small>" in page
    assert "named Project Manager" in page


def test_a_bad_period_is_shown_on_its_row_with_what_was_typed(w: World) -> None:
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    page = signed_in(w.client_manager).post(
        f"/contracts/{w.contract.pk}/contract-data/",
        {"op": "period", "key": "reply", "length": "999", "unit": "weeks"},
    )
    assert page.status_code == 422
    assert 'value="999"' in page.content.decode()


def test_only_the_owners_managers_change_the_contract_data(w: World) -> None:
    page = signed_in(w.supplier_manager).get(f"/contracts/{w.contract.pk}/contract-data/")
    assert "Only a manager or admin of Harbour City Council" in page.content.decode()
    refused = signed_in(w.supplier_manager).post(
        f"/contracts/{w.contract.pk}/contract-data/", {"op": "form", "form": "nec4_ecc"}
    )
    assert refused.status_code == 403


def test_the_contract_page_links_to_its_communications(w: World, client: Client) -> None:
    page = signed_in(w.client_viewer).get(f"/contracts/{w.contract.pk}/").content.decode()
    assert f"/contracts/{w.contract.pk}/communications/" in page


def test_a_member_of_the_sending_party_is_not_offered_send_or_withdraw(w: World) -> None:
    nec4(w)
    sent = notify(w)
    draft = notify(w, subject="Second event", send=False)
    member = signed_in(w.supplier_member)
    assert "Withdraw it" not in member.get(f"/communications/{sent.pk}/").content.decode()
    assert "Send it now" not in member.get(f"/communications/{draft.pk}/").content.decode()
    assert (
        "Withdraw it"
        in signed_in(w.supplier_manager).get(f"/communications/{sent.pk}/").content.decode()
    )


def test_a_notice_to_either_party_names_who_is_to_reply(w: World) -> None:
    client = signed_in(w.client_manager)
    form = client.get(
        f"/contracts/{w.contract.pk}/communications/new/?kind=notice"
    ).content.decode()
    assert 'name="recipient"' in form and "Arden Project Management" in form
    sent = client.post(
        f"/contracts/{w.contract.pk}/communications/new/",
        {
            "kind": "notice",
            "subject": "Confirm the survey dates",
            "recipient": str(w.consultant.pk),
            "reply_days": "5",
            "op": "send",
        },
    )
    assert sent.status_code == 302
    notice = Communication.objects.get()
    assert notice.recipient == w.consultant and notice.owed_by == w.consultant
    refused_page = client.post(
        f"/contracts/{w.contract.pk}/communications/new/",
        {"kind": "notice", "subject": "To myself", "recipient": str(w.client.pk), "op": "send"},
    )
    assert refused_page.status_code == 422
    assert "Harbour City Council cannot be its recipient." in refused_page.content.decode()
