"""The communications endpoints: the contract data, and notices sent and answered over the API.

The clock is held at Friday 11 December 2026, in England, as in
tests/test_communications_services.py: one week from today is Friday 18 December, and two weeks
end on Christmas Day and so run to Tuesday 29 December.
"""

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from milepost.accounts.models import User
from milepost.accounts.services import api_token_create
from milepost.communications.models import Communication
from milepost.communications.services import communication_create, contract_form_set

from .communication_helpers import nec4
from .conftest import World
from .helpers import signed_in

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")
API = "/api/v1"


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.generic(method, API + path, data, content_type="application/json")


def bearer(user: User) -> Client:
    _, raw = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def notify(client: Client, w: World, **fields: Any) -> Any:
    """POST a compensation event the Contractor became aware of on Monday 7 December."""
    body = {
        "kind": "ce_contractor",
        "subject": "Late access to the east site",
        "text": "Access was given three weeks after the access date.",
        "aware_on": "2026-12-07",
        **fields,
    }
    return call(client, "POST", f"/contracts/{w.contract.pk}/communications", body)


def notified(w: World, **fields: Any) -> Communication:
    """Given: the supplier's manager has notified a compensation event (or drafted one)."""
    values: dict[str, Any] = {
        "contract": w.contract,
        "kind": "ce_contractor",
        "subject": "Late access to the east site",
        "aware_on": dt.date(2026, 12, 7),
        "actor": w.supplier_manager,
        **fields,
    }
    return communication_create(**values)


def error(response: Any) -> tuple[str, str | None]:
    found = response.json()["error"]
    return found["code"], found["field"]


def periods(client: Client, w: World) -> dict[str, dict[str, Any]]:
    response = call(client, "GET", f"/contracts/{w.contract.pk}/contract-data")
    assert response.status_code == 200, response.content
    return {p["key"]: p for p in response.json()["periods"]}


# --- notifying a compensation event -------------------------------------------------------------


def test_the_contractor_notifies_a_compensation_event_and_sees_the_reply_it_is_owed(
    w: World,
) -> None:
    nec4(w)

    response = notify(bearer(w.supplier_manager), w)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["kind"], body["clause"], body["state"]) == (
        "C-001",
        "ce_contractor",
        "61.3",
        "sent",
    )
    assert (body["sender"], body["recipient"]) == (
        "Northgate Construction",
        "Arden Project Management",
    )
    # The Project Manager replies within a week; the notice was in time (eight weeks from 7 Dec).
    assert body["awaiting"] is True
    assert (body["owed_by"], body["owed_by_id"]) == ("Arden Project Management", w.consultant.pk)
    assert (body["sent_on"], body["reply_due"], body["time_bar_date"]) == (
        "2026-12-11",
        "2026-12-18",
        "2027-02-01",
    )
    # The client's viewer reads the same notice.
    seen = call(signed_in(w.client_viewer), "GET", f"/communications/{body['id']}")
    assert seen.status_code == 200 and seen.json()["reply_due"] == "2026-12-18"


def test_only_a_manager_of_the_contractor_notifies_a_compensation_event(w: World) -> None:
    nec4(w)

    for user in (w.supplier_member, w.client_manager):
        response = notify(signed_in(user), w)
        assert response.status_code == 403, user.username
        assert error(response) == ("not_sender", None)

    assert not Communication.objects.filter(contract=w.contract).exists()


def test_an_outsider_is_answered_as_if_the_contract_were_not_there(w: World) -> None:
    nec4(w)
    ce = notified(w)
    otto = signed_in(w.outsider)

    assert notify(otto, w).status_code == 404
    assert call(otto, "GET", f"/contracts/{w.contract.pk}/communications").status_code == 404
    assert call(otto, "GET", f"/contracts/{w.contract.pk}/contract-data").status_code == 404
    assert call(otto, "GET", f"/communications/{ce.pk}").status_code == 404
    assert Communication.objects.filter(contract=w.contract).count() == 1


def test_an_unknown_kind_is_refused_naming_the_field(w: World) -> None:
    nec4(w)

    response = notify(signed_in(w.supplier_manager), w, kind="variation_order")

    assert response.status_code == 422
    assert error(response) == ("unknown_type", "kind")
    assert not Communication.objects.filter(contract=w.contract).exists()


def test_a_subject_too_long_is_refused_naming_the_field(w: World) -> None:
    nec4(w)

    response = notify(signed_in(w.supplier_manager), w, subject="x" * 201)

    assert response.status_code == 400
    assert error(response) == ("invalid", "subject")
    assert not Communication.objects.filter(contract=w.contract).exists()


def test_a_notification_needs_the_day_the_contractor_became_aware(w: World) -> None:
    nec4(w)

    response = notify(signed_in(w.supplier_manager), w, aware_on=None)

    assert response.status_code == 422
    assert error(response) == ("aware_on_required", "aware_on")


# --- answering it -------------------------------------------------------------------------------


def test_the_project_manager_accepts_the_event_and_it_is_replied(w: World) -> None:
    nec4(w)
    ce = notified(w)

    response = call(
        signed_in(w.consultant_manager),
        "POST",
        f"/contracts/{w.contract.pk}/communications",
        {
            "kind": "manager_reply",
            "subject": "Re: Late access to the east site",
            "in_reply_to": ce.pk,
            "outcome": "accepted",
        },
    )

    assert response.status_code == 201, response.content
    reply = response.json()
    assert (reply["clause"], reply["outcome"], reply["in_reply_to_id"]) == (
        "61.4",
        "accepted",
        ce.pk,
    )
    # Accepting the event asks the Contractor for a quotation within three weeks, which end on
    # New Year's Day: the next working day, 4 January.
    assert (reply["owed_by"], reply["reply_due"]) == ("Northgate Construction", "2027-01-04")
    event = call(signed_in(w.supplier_manager), "GET", f"/communications/{ce.pk}").json()
    assert (event["state"], event["awaiting"]) == ("replied", False)
    owed = call(
        signed_in(w.supplier_manager),
        "GET",
        f"/contracts/{w.contract.pk}/communications?awaiting=true",
    ).json()
    assert [c["id"] for c in owed] == [reply["id"]]


def test_the_contractor_cannot_reply_to_its_own_event(w: World) -> None:
    nec4(w)
    ce = notified(w)

    response = call(
        signed_in(w.supplier_manager),
        "POST",
        f"/contracts/{w.contract.pk}/communications",
        {
            "kind": "manager_reply",
            "subject": "Accepted",
            "in_reply_to": ce.pk,
            "outcome": "accepted",
        },
    )

    assert response.status_code == 403
    assert error(response) == ("not_sender", None)
    event = call(signed_in(w.client_manager), "GET", f"/communications/{ce.pk}").json()
    assert (event["state"], event["awaiting"]) == ("sent", True)


# --- the contract data --------------------------------------------------------------------------


def test_the_contract_data_lists_the_periods_with_their_clauses(w: World) -> None:
    nec4(w)

    response = call(
        signed_in(w.supplier_viewer), "GET", f"/contracts/{w.contract.pk}/contract-data"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["form"], data["form_label"]) == (
        "nec4_ecc",
        "NEC4 Engineering and Construction Contract",
    )
    found = {p["key"]: p for p in data["periods"]}
    assert {k: (p["clause"], p["length"], p["unit"]) for k, p in found.items()} == {
        "reply": ("13.3", 2, "weeks"),
        "ce_notify": ("61.3", 8, "weeks"),
        "ce_reply": ("61.4", 1, "weeks"),
        "ce_deemed": ("61.4", 2, "weeks"),
        "quotation_submit": ("62.3", 3, "weeks"),
        "quotation_reply": ("62.3", 2, "weeks"),
        "quotation_deemed": ("62.6", 2, "weeks"),
        "programme_reply": ("31.3", 2, "weeks"),
        "programme_deemed": ("31.3", 1, "weeks"),
    }
    assert (
        found["ce_reply"]["label"] == "The Project Manager replies to a notified compensation event"
    )
    assert not any(p["changed"] for p in data["periods"])
    types = {t["key"]: t for t in data["types"]}
    assert types["ce_contractor"]["clause"] == "61.3"
    assert types["ce_contractor"]["senders"] == ["contractor"]
    assert (types["ce_contractor"]["reply_period"], types["ce_contractor"]["time_bar"]) == (
        "ce_reply",
        "ce_notify",
    )


def test_the_owner_changes_a_period_and_later_notifications_count_it(w: World) -> None:
    nec4(w)

    response = call(
        signed_in(w.client_manager),
        "PUT",
        f"/contracts/{w.contract.pk}/periods/ce_reply",
        {"length": 2, "unit": "weeks"},
    )

    assert response.status_code == 200, response.content
    period = response.json()
    assert (period["key"], period["clause"], period["length"], period["unit"]) == (
        "ce_reply",
        "61.4",
        2,
        "weeks",
    )
    assert (period["changed"], period["default_length"], period["default_unit"]) == (
        True,
        1,
        "weeks",
    )
    assert periods(signed_in(w.supplier_viewer), w)["ce_reply"]["length"] == 2
    # Two weeks from today end on Christmas Day: the reply is due on the next working day.
    assert notify(signed_in(w.supplier_manager), w).json()["reply_due"] == "2026-12-29"


def test_only_the_owners_managers_change_a_period(w: World) -> None:
    nec4(w)

    for user in (w.supplier_manager, w.client_member):
        response = call(
            signed_in(user),
            "PUT",
            f"/contracts/{w.contract.pk}/periods/ce_reply",
            {"length": 4, "unit": "weeks"},
        )
        assert response.status_code == 403, user.username

    assert periods(signed_in(w.client_manager), w)["ce_reply"]["length"] == 1


def test_a_period_the_form_lacks_is_refused_naming_the_key(w: World) -> None:
    nec4(w)

    response = call(
        signed_in(w.client_manager),
        "PUT",
        f"/contracts/{w.contract.pk}/periods/acceptance_period",
        {"length": 4, "unit": "weeks"},
    )

    assert response.status_code == 422
    assert error(response) == ("unknown_period", "key")


def test_the_owner_puts_the_contract_on_nec4_and_its_periods_come_with_it(w: World) -> None:
    refused = call(
        signed_in(w.supplier_manager),
        "PUT",
        f"/contracts/{w.contract.pk}/form",
        {"form": "nec4_ecc"},
    )
    assert refused.status_code == 403

    response = call(
        signed_in(w.client_manager), "PUT", f"/contracts/{w.contract.pk}/form", {"form": "nec4_ecc"}
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["form"] == "nec4_ecc"
    assert "ce_notify" in {p["key"] for p in data["periods"]}
    assert "ce_contractor" in {t["key"] for t in data["types"]}


def test_the_form_no_longer_changes_once_a_communication_is_sent(w: World) -> None:
    nec4(w)
    notified(w)

    response = call(
        signed_in(w.client_manager),
        "PUT",
        f"/contracts/{w.contract.pk}/form",
        {"form": "jct_db_2016"},
    )

    assert response.status_code == 422
    assert error(response) == ("form_in_use", "form")
    assert periods(signed_in(w.client_manager), w)["ce_notify"]["clause"] == "61.3"


def test_the_owner_names_the_project_manager_who_then_owes_the_replies(w: World) -> None:
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    path = f"/contracts/{w.contract.pk}/parties/{w.consultant.pk}/named-role"
    refused = call(signed_in(w.supplier_manager), "PUT", path, {"named_role": "project_manager"})
    assert refused.status_code == 403
    # With no Project Manager named, the client answers.
    first = notify(signed_in(w.supplier_manager), w).json()
    assert first["owed_by"] == "Harbour City Council"

    response = call(signed_in(w.client_manager), "PUT", path, {"named_role": "project_manager"})

    assert response.status_code == 200, response.content
    assert (response.json()["organisation"], response.json()["named_role"]) == (
        "Arden Project Management",
        "project_manager",
    )
    second = notify(signed_in(w.supplier_manager), w, subject="Unforeseen ground").json()
    assert (second["recipient"], second["owed_by"]) == (
        "Arden Project Management",
        "Arden Project Management",
    )


# --- drafts: sending and withdrawing ------------------------------------------------------------


def test_a_draft_is_seen_only_by_its_senders_organisation(w: World) -> None:
    nec4(w)

    response = notify(signed_in(w.supplier_manager), w, send=False)

    assert response.status_code == 201, response.content
    draft = response.json()
    assert (draft["state"], draft["sent_on"], draft["reply_due"], draft["awaiting"]) == (
        "draft",
        None,
        None,
        False,
    )
    listed = call(signed_in(w.supplier_member), "GET", f"/contracts/{w.contract.pk}/communications")
    assert [c["id"] for c in listed.json()] == [draft["id"]]
    client_list = call(
        signed_in(w.client_manager), "GET", f"/contracts/{w.contract.pk}/communications"
    )
    assert client_list.status_code == 200 and client_list.json() == []
    assert (
        call(signed_in(w.client_manager), "GET", f"/communications/{draft['id']}").status_code
        == 404
    )


def test_a_manager_of_the_sender_sends_a_draft_and_its_clock_starts(w: World) -> None:
    nec4(w)
    draft = notified(w, send=False)
    path = f"/communications/{draft.pk}/send"
    refused = call(signed_in(w.supplier_member), "POST", path)
    assert refused.status_code == 403
    assert error(refused) == ("not_sender", None)

    response = call(signed_in(w.supplier_manager), "POST", path)

    assert response.status_code == 200, response.content
    sent = response.json()
    assert (sent["state"], sent["sent_on"], sent["reply_due"]) == (
        "sent",
        "2026-12-11",
        "2026-12-18",
    )
    assert sent["owed_by"] == "Arden Project Management"
    seen = call(signed_in(w.client_manager), "GET", f"/communications/{draft.pk}")
    assert seen.status_code == 200 and seen.json()["state"] == "sent"


def test_the_contractor_withdraws_its_notification_and_no_reply_is_owed(w: World) -> None:
    nec4(w)
    ce = notified(w)
    path = f"/communications/{ce.pk}/withdraw"
    refused = call(signed_in(w.client_manager), "POST", path)
    assert refused.status_code == 403

    response = call(signed_in(w.supplier_manager), "POST", path)

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["awaiting"]) == ("withdrawn", False)
    owed = call(
        signed_in(w.consultant_manager),
        "GET",
        f"/contracts/{w.contract.pk}/communications?awaiting=true",
    )
    assert owed.status_code == 200 and owed.json() == []
