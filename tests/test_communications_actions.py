"""The contract's clock as action requests: each answer owed asks the party that owes it, by
its last day; an overdue reply asks the other side to notify the failure; a compensation event
recorded with its awareness date is asked for at 4 weeks, reminded at 6 and escalated at 7.

Held at Friday 11 December 2026 in England, as the service tests are.
"""

import datetime as dt

import pytest
import time_machine

from milepost.alerts.choices import ActionKind, CloseReason
from milepost.alerts.engine import actions_due, events_fan_out
from milepost.alerts.models import ActionRequest
from milepost.communications.choices import Outcome
from milepost.communications.models import Communication
from milepost.communications.services import (
    communication_create,
    communication_send,
    communications_deem_due,
)

from .communication_helpers import nec4
from .conftest import World

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def at(text: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(hour), tzinfo=dt.UTC)


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


def fan_out(now: dt.datetime | None = None) -> None:
    events_fan_out(now=now or dt.datetime.now(tz=dt.UTC))
    events_fan_out(now=now or dt.datetime.now(tz=dt.UTC))


def open_requests(kind: str) -> list[ActionRequest]:
    return list(
        ActionRequest.objects.filter(closed_at__isnull=True, kind=kind)
        .select_related("recipient")
        .order_by("pk")
    )


def test_a_notified_event_asks_the_project_manager_for_a_reply_by_its_last_day(w: World) -> None:
    nec4(w)
    ce = notify(w)
    fan_out()
    (request,) = open_requests(ActionKind.REPLY)
    assert request.recipient == w.consultant_manager
    assert request.url == f"/communications/{ce.pk}/"
    assert request.sentence.startswith(
        "Arden Project Management owes Northgate Construction an answer to C-001 “Late access "
        "to the east site” (compensation event notified by the contractor, cl. 61.4) by Fri 18 "
        "Dec 2026."
    )
    # Reminded after the organisation's two working days, escalated on the last day at latest.
    assert (request.remind_on, request.escalate_on) == (
        dt.date(2026, 12, 15),
        dt.date(2026, 12, 18),
    )
    communication_create(
        contract=w.contract,
        kind="manager_reply",
        subject="Accepted",
        in_reply_to=ce,
        outcome=Outcome.ACCEPTED,
        actor=w.consultant_manager,
    )
    fan_out()
    request.refresh_from_db()
    assert request.close_reason == CloseReason.TAKEN
    # The acceptance now asks the contractor for its quotation.
    (quotation,) = open_requests(ActionKind.REPLY)
    assert quotation.recipient == w.supplier_manager
    assert "by Mon 4 Jan 2027" in quotation.sentence


def test_an_extension_asks_again_with_the_new_day(w: World) -> None:
    nec4(w)
    ce = notify(w)
    fan_out()
    (old,) = open_requests(ActionKind.REPLY)
    communication_create(
        contract=w.contract,
        kind="extension",
        subject="Agreed: one more week",
        in_reply_to=ce,
        extends_to=dt.date(2026, 12, 23),
        actor=w.consultant_manager,
    )
    fan_out()
    old.refresh_from_db()
    assert old.close_reason == CloseReason.MOOT
    (new,) = open_requests(ActionKind.REPLY)
    assert "by Wed 23 Dec 2026" in new.sentence and new.recipient == w.consultant_manager


def test_an_overdue_reply_asks_the_contractor_to_notify_the_failure(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify(w)
    fan_out()
    clock.move_to(at("2026-12-18"))
    actions_due(now=at("2026-12-18"))
    assert open_requests(ActionKind.FAILURE_NOTICE) == []
    clock.move_to(at("2026-12-21"))
    actions_due(now=at("2026-12-21"))
    (request,) = open_requests(ActionKind.FAILURE_NOTICE)
    assert request.recipient == w.supplier_manager
    assert "nothing is treated as accepted until it does" in request.sentence
    communication_create(
        contract=w.contract,
        kind="failure_notice",
        subject="No reply",
        in_reply_to=ce,
        actor=w.supplier_manager,
    )
    fan_out(at("2026-12-21"))
    request.refresh_from_db()
    assert request.close_reason == CloseReason.TAKEN
    # Deemed after two more weeks: the project manager is asked no more, the contractor is
    # asked for the quotation the acceptance instructs.
    clock.move_to(at("2027-01-05"))
    communications_deem_due(now=at("2027-01-05"))
    fan_out(at("2027-01-05"))
    (quotation,) = open_requests(ActionKind.REPLY)
    assert quotation.recipient == w.supplier_manager
    assert quotation.sentence.startswith(
        "Northgate Construction owes Arden Project Management a quotation for C-001"
    )


def test_an_event_recorded_with_its_awareness_is_asked_for_before_its_time_bar(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    draft = notify(w, aware_on=dt.date(2026, 11, 16), send=False)
    actions_due(now=START)
    assert open_requests(ActionKind.NOTIFY_EVENT) == []
    # Four weeks after 16 November: asked, reminded at six weeks (Monday 28 December is the
    # Boxing Day holiday, so the working day before it, Thursday 24th) and escalated at seven.
    clock.move_to(at("2026-12-14"))
    actions_due(now=at("2026-12-14"))
    (request,) = open_requests(ActionKind.NOTIFY_EVENT)
    assert request.recipient == w.supplier_manager
    assert (request.remind_on, request.escalate_on) == (dt.date(2026, 12, 24), dt.date(2027, 1, 4))
    # Pointless once the bar's last day has ended.
    assert request.expires_at == dt.datetime(2027, 1, 12, tzinfo=dt.UTC)
    assert "notify the compensation event by Mon 11 Jan 2027 (cl. 61.3)" in request.sentence
    communication_send(communication=draft, actor=w.supplier_manager)
    fan_out(at("2026-12-14"))
    request.refresh_from_db()
    assert request.close_reason == CloseReason.TAKEN


def test_a_withdrawn_communication_asks_nothing_more(w: World) -> None:
    from milepost.communications.services import communication_withdraw

    nec4(w)
    ce = notify(w)
    fan_out()
    (request,) = open_requests(ActionKind.REPLY)
    communication_withdraw(communication=ce, actor=w.supplier_manager)
    fan_out()
    request.refresh_from_db()
    assert request.close_reason == CloseReason.MOOT


def test_a_draft_already_past_its_time_bar_is_not_asked_for(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    notify(w, aware_on=dt.date(2026, 10, 1), send=False)
    actions_due(now=START)
    assert open_requests(ActionKind.NOTIFY_EVENT) == []


def test_a_project_manager_who_will_assess_is_asked_for_its_assessment(w: World) -> None:
    nec4(w)
    ce = communication_create(
        contract=w.contract, kind="ce_manager", subject="Change", actor=w.consultant_manager
    )
    quote = communication_create(
        contract=w.contract,
        kind="quotation",
        subject="Quotation",
        in_reply_to=ce,
        quoted_amount="100",
        quoted_delay_days=0,
        actor=w.supplier_manager,
    )
    communication_create(
        contract=w.contract,
        kind="manager_reply",
        subject="We will assess it",
        in_reply_to=quote,
        outcome=Outcome.OWN_ASSESSMENT,
        actor=w.consultant_manager,
    )
    fan_out()
    (request,) = open_requests(ActionKind.REPLY)
    assert request.recipient == w.consultant_manager
    assert request.sentence.startswith(
        "Arden Project Management owes Northgate Construction its own assessment for C-003"
    )
