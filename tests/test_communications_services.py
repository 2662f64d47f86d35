"""The contract's clock: sending, answering and deeming communications under NEC4 and JCT.

The clock is held at Friday 11 December 2026, in England, so that the periods run across the
Christmas break: one week from today is Friday 18 December, two weeks end on Christmas Day and
so run to Tuesday 29 December (Boxing Day's holiday is Monday the 28th).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from milepost.audit.models import Event
from milepost.audit.sentences import event_sentence
from milepost.communications.choices import CommunicationState as S
from milepost.communications.choices import Outcome
from milepost.communications.events import CommunicationEvent
from milepost.communications.models import Communication, ContractPeriod
from milepost.communications.selectors import (
    communication_get_for_user,
    communications_for_contract,
    compensation_events,
    sendable_types,
)
from milepost.communications.services import (
    communication_create,
    communication_send,
    communication_withdraw,
    communications_deem_due,
    contract_form_set,
    contract_period_set,
)
from milepost.contracts.services import party_name_role
from milepost.core.errors import Forbidden, NotFound

from .communication_helpers import answer, at, day, nec4, notify_ce
from .conftest import World
from .helpers import refused

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def fresh(c: Communication) -> Communication:
    return Communication.objects.get(pk=c.pk)


def last_sentence() -> str:
    return event_sentence(Event.objects.order_by("-id").first())


# --- the form and its periods -------------------------------------------------------------------


def test_a_contract_starts_plain_and_its_owner_puts_it_on_nec4(w: World) -> None:
    assert w.contract.form == "plain"
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    assert fresh_contract(w).form == "nec4_ecc"
    assert "put HCC-2026-001 on the NEC4 Engineering and Construction Contract" in last_sentence()


def fresh_contract(w: World) -> Any:
    w.contract.refresh_from_db()
    return w.contract


def test_only_the_owners_managers_choose_the_form(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.supplier_manager)


def test_an_unknown_form_is_refused(w: World) -> None:
    with refused("invalid_form", "form"):
        contract_form_set(contract=w.contract, form="fidic_red", actor=w.client_manager)


def test_the_form_no_longer_changes_once_a_communication_is_made(w: World) -> None:
    nec4(w)
    notify_ce(w)
    with refused("form_in_use", "form"):
        contract_form_set(contract=w.contract, form="jct_db_2016", actor=w.client_manager)


def test_a_period_changed_in_the_contract_data_counts_for_what_is_sent_after(w: World) -> None:
    nec4(w)
    first = notify_ce(w)
    contract_period_set(
        contract=w.contract, key="ce_reply", length=2, unit="weeks", actor=w.client_manager
    )
    assert (
        "changed the Project Manager replies to a notified compensation event (cl. 61.4) in "
        "HCC-2026-001's contract data from 1 week to 2 weeks"
    ) in last_sentence()
    second = notify_ce(w, subject="Unforeseen ground conditions")
    assert fresh(first).reply_due == day("2026-12-18")
    # Two weeks end on Christmas Day: the reply is due on the next working day.
    assert second.reply_due == day("2026-12-29")


def test_setting_a_period_back_to_the_forms_default_removes_the_change(w: World) -> None:
    nec4(w)
    contract_period_set(
        contract=w.contract, key="reply", length=3, unit="weeks", actor=w.client_manager
    )
    assert ContractPeriod.objects.filter(contract=w.contract).count() == 1
    contract_period_set(
        contract=w.contract, key="reply", length=2, unit="weeks", actor=w.client_manager
    )
    assert ContractPeriod.objects.filter(contract=w.contract).count() == 0


@pytest.mark.parametrize(
    ("key", "length", "unit", "code", "field"),
    [
        ("no_such_period", 1, "weeks", "unknown_period", "key"),
        ("reply", -1, "weeks", "out_of_range", "length"),
        ("reply", 521, "weeks", "out_of_range", "length"),
        ("reply", 2, "fortnights", "invalid_unit", "unit"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(
    w: World, key: str, length: int, unit: str, code: str, field: str
) -> None:
    nec4(w)
    with refused(code, field):
        contract_period_set(
            contract=w.contract, key=key, length=length, unit=unit, actor=w.client_manager
        )


# --- compensation events ------------------------------------------------------------------------


def test_the_contractor_notifies_a_compensation_event_and_the_project_manager_owes_a_reply(
    w: World,
) -> None:
    nec4(w)
    ce = notify_ce(w)
    assert ce.state == S.SENT
    assert ce.sender == w.supplier and ce.recipient == w.consultant
    assert ce.owed_by == w.consultant and ce.awaiting
    assert (ce.sent_on, ce.reply_due, ce.time_bar_date) == (
        day("2026-12-11"),
        day("2026-12-18"),
        day("2027-02-01"),
    )
    assert ce.reference == "C-001" and ce.clause == "61.3"
    sentence = last_sentence()
    assert "Sam" in sentence or "sam" in sentence
    assert (
        "“Late access to the east site” for Northgate Construction to Arden Project Management"
        in sentence
    )
    assert "A reply is due from Arden Project Management by 18 Dec 2026" in sentence


def test_a_notification_on_the_last_day_of_eight_weeks_is_in_time(w: World) -> None:
    nec4(w)
    # Aware on Friday 16 October: eight weeks end today, Friday 11 December.
    ce = notify_ce(w, aware_on=day("2026-10-16"))
    assert ce.state == S.SENT and ce.time_bar_date == day("2026-12-11")


def test_a_notification_a_day_after_eight_weeks_is_time_barred(w: World) -> None:
    nec4(w)
    ce = notify_ce(w, aware_on=day("2026-10-15"))
    assert ce.state == S.TIME_BARRED
    assert ce.time_bar_date == day("2026-12-10")
    assert not ce.awaiting and ce.reply_due is None
    assert (
        "It is time-barred: the sender became aware on 15 Oct 2026 and the last day to notify "
        "was 10 Dec 2026"
    ) in last_sentence()


def test_an_event_from_the_project_managers_own_instruction_has_no_time_bar(w: World) -> None:
    nec4(w)
    ce = notify_ce(w, aware_on=None, from_manager_instruction=True)
    assert ce.state == S.SENT and ce.time_bar_date is None


def test_the_awareness_date_is_needed_and_cannot_be_in_the_future(w: World) -> None:
    nec4(w)
    with refused("aware_on_required", "aware_on"):
        notify_ce(w, aware_on=None)
    with refused("aware_on_in_future", "aware_on"):
        notify_ce(w, aware_on=day("2026-12-12"))


def test_only_the_contractor_notifies_an_event_and_only_the_project_manager_replies(
    w: World,
) -> None:
    nec4(w)
    with refused("not_sender", error=Forbidden):
        notify_ce(w, actor=w.consultant_manager)
    with refused("not_sender", error=Forbidden):
        notify_ce(w, actor=w.supplier_member)
    ce = notify_ce(w)
    with refused("not_sender", error=Forbidden):
        answer(w, ce, "manager_reply", actor=w.client_manager, outcome=Outcome.ACCEPTED)
    with refused("not_sender", error=Forbidden):
        answer(w, ce, "manager_reply", actor=w.supplier_manager, outcome=Outcome.ACCEPTED)


def test_without_a_project_manager_named_the_client_replies(w: World) -> None:
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    ce = notify_ce(w)
    assert ce.recipient == w.client
    reply = answer(w, ce, "manager_reply", actor=w.client_manager, outcome=Outcome.NOT_ACCEPTED)
    assert fresh(ce).state == S.REPLIED and reply.sender == w.client


def test_accepting_an_event_asks_for_a_quotation_within_three_weeks(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    reply = answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED)
    assert reply.clause == "61.4"
    ce = fresh(ce)
    assert ce.state == S.REPLIED and not ce.awaiting
    # Three weeks from 11 December end on New Year's Day: the next working day, 4 January.
    assert (reply.owed_by, reply.reply_due) == (w.supplier, day("2027-01-04"))


def test_a_reply_must_give_a_decision_the_clause_allows(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    with refused("invalid_outcome", "outcome"):
        answer(w, ce, "manager_reply")
    with refused("invalid_outcome", "outcome"):
        answer(w, ce, "manager_reply", outcome=Outcome.REVISE)


def test_no_failure_can_be_notified_before_the_reply_is_overdue(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    with refused("cannot_answer", "in_reply_to") as caught:
        answer(w, ce, "failure_notice", actor=w.supplier_manager)
    assert "not overdue until after 18 Dec 2026" in caught.value.message


def test_silence_after_a_notified_failure_is_acceptance_and_asks_for_a_quotation(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    failure = answer(w, ce, "failure_notice", actor=w.supplier_manager)
    assert failure.clause == "61.4"
    # Two weeks from Monday 21 December end on 4 January.
    assert fresh(ce).deems_on == day("2027-01-04")
    assert (
        "Unless Arden Project Management replies by 4 Jan 2027, C-001 is treated as accepted"
        in last_sentence()
    )
    # On its last day nothing is deemed yet.
    clock.move_to(at("2027-01-04", 22))
    assert len(communications_deem_due(now=at("2027-01-04", 22))) == 0
    clock.move_to(at("2027-01-05"))
    assert len(communications_deem_due(now=at("2027-01-05"))) == 1
    ce = fresh(ce)
    assert ce.state == S.DEEMED and ce.deemed_on == day("2027-01-05")
    # Treated as an instruction to submit quotations, three weeks on (cl. 61.4).
    assert ce.awaiting and ce.owed_by == w.supplier and ce.reply_due == day("2027-01-25")
    event = Event.objects.filter(action=CommunicationEvent.COMMUNICATION_DEEMED).get()
    assert event.actor_id is None and event.after["clause"] == "61.4"
    assert event_sentence(event).startswith(
        "C-001 “Late access to the east site” is treated as accepted under cl. 61.4: "
        "Arden Project Management did not reply by 4 Jan 2027"
    )
    # Running again deems nothing twice.
    assert len(communications_deem_due(now=at("2027-01-06"))) == 0


def test_without_a_failure_notice_nothing_is_ever_deemed(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2027-06-01"))
    assert len(communications_deem_due(now=at("2027-06-01"))) == 0
    assert fresh(ce).state == S.SENT


def test_a_reply_after_the_failure_notice_but_in_time_stops_the_clock(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    clock.move_to(at("2027-01-04"))
    answer(w, ce, "manager_reply", outcome=Outcome.NOT_ACCEPTED)
    clock.move_to(at("2027-01-10"))
    assert len(communications_deem_due(now=at("2027-01-10"))) == 0
    ce = fresh(ce)
    assert ce.state == S.REPLIED and ce.deems_on is None


def test_a_reply_after_the_deemed_day_is_refused(w: World, clock: time_machine.Traveller) -> None:
    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    clock.move_to(at("2027-01-05"))
    with refused("cannot_answer", "in_reply_to") as caught:
        answer(w, ce, "manager_reply", outcome=Outcome.NOT_ACCEPTED)
    assert "treated as accepted" in caught.value.message


def quotation(w: World, parent: Communication, **fields: Any) -> Communication:
    values = {"quoted_amount": "12500.00", "quoted_delay_days": 5, "subject": "Quotation"}
    values.update(fields)
    return answer(w, parent, "quotation", actor=w.supplier_manager, **values)


def test_a_quotation_accepted_implements_its_event(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    accepted = answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED)
    quote = quotation(w, accepted)
    assert quote.reply_due == day("2026-12-29") and quote.owed_by == w.consultant
    assert quote.quoted_amount == Decimal("12500.00")
    answer(w, quote, "manager_reply", outcome=Outcome.ACCEPTED)
    assert fresh(ce).state == S.IMPLEMENTED
    assert "C-001 is implemented" in last_sentence()
    register = compensation_events(user=w.client_manager, contract=w.contract)
    assert [(r["event"].pk, r["quotation"].pk) for r in register] == [(ce.pk, quote.pk)]


def test_a_quotation_deemed_accepted_implements_its_event(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = communication_create(
        contract=w.contract,
        kind="ce_manager",
        subject="Change to the cladding",
        actor=w.consultant_manager,
    )
    assert (ce.owed_by, ce.reply_due) == (w.supplier, day("2027-01-04"))
    quote = quotation(w, ce)
    clock.move_to(at("2026-12-30"))
    answer(w, quote, "failure_notice", actor=w.supplier_manager)
    assert fresh(quote).deems_on == day("2027-01-13")
    assert len(communications_deem_due(now=at("2027-01-14"))) == 1
    assert fresh(quote).state == S.DEEMED
    assert fresh(ce).state == S.IMPLEMENTED


def test_a_revised_quotation_instructed_asks_for_another(w: World) -> None:
    nec4(w)
    ce = communication_create(
        contract=w.contract,
        kind="quotation_instruction",
        subject="Proposed change",
        actor=w.consultant_manager,
    )
    quote = quotation(w, ce)
    revise = answer(w, quote, "manager_reply", outcome=Outcome.REVISE)
    assert revise.owed_by == w.supplier and revise.awaiting
    second = quotation(w, revise, quoted_amount="9000")
    assert not fresh(revise).awaiting and second.thread_id == ce.pk


def test_an_extension_agreed_before_the_reply_is_due_moves_it(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    answer(w, ce, "extension", extends_to=day("2027-01-08"))
    assert fresh(ce).reply_due == day("2027-01-08")
    assert "The reply to C-001 is now due by 8 Jan 2027" in last_sentence()
    # The failure can now be notified only after the new date.
    clock.move_to(at("2027-01-08"))
    with refused("cannot_answer", "in_reply_to"):
        answer(w, ce, "failure_notice", actor=w.supplier_manager)


def test_an_extension_must_come_in_time_and_move_the_date_on(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    with refused("invalid_extension", "extends_to"):
        answer(w, ce, "extension", extends_to=day("2026-12-18"))
    clock.move_to(at("2026-12-21"))
    with refused("cannot_answer", "in_reply_to"):
        answer(w, ce, "extension", extends_to=day("2027-01-08"))


def test_the_programme_is_accepted_a_week_after_a_notified_failure(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    programme = communication_create(
        contract=w.contract, kind="programme", subject="Programme rev C", actor=w.supplier_manager
    )
    assert programme.reply_due == day("2026-12-29") and programme.clause == "31.3"
    clock.move_to(at("2026-12-30"))
    answer(w, programme, "failure_notice", actor=w.supplier_manager)
    assert fresh(programme).deems_on == day("2027-01-06")
    assert len(communications_deem_due(now=at("2027-01-07"))) == 1
    assert fresh(programme).state == S.DEEMED


# --- the state machine --------------------------------------------------------------------------


def test_a_withdrawn_communication_cannot_be_answered(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    communication_withdraw(communication=ce, actor=w.supplier_manager)
    with refused("cannot_answer", "in_reply_to"):
        answer(w, fresh(ce), "manager_reply", outcome=Outcome.ACCEPTED)


def test_an_answer_once_sent_stands(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    reply = answer(w, ce, "manager_reply", outcome=Outcome.NOT_ACCEPTED)
    with refused("answer_stands", "state"):
        communication_withdraw(communication=reply, actor=w.consultant_manager)


def test_a_time_barred_notification_cannot_be_withdrawn_or_answered(w: World) -> None:
    nec4(w)
    ce = notify_ce(w, aware_on=day("2026-09-01"))
    with refused("invalid_transition", "state"):
        communication_withdraw(communication=ce, actor=w.supplier_manager)
    with refused("cannot_answer", "in_reply_to"):
        answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED)


def test_a_communication_answered_already_takes_no_second_answer(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    answer(w, ce, "manager_reply", outcome=Outcome.NOT_ACCEPTED)
    with refused("cannot_answer", "in_reply_to"):
        answer(w, fresh(ce), "manager_reply", outcome=Outcome.ACCEPTED)


def test_a_thread_starter_cannot_answer_and_an_answer_needs_what_it_answers(w: World) -> None:
    nec4(w)
    ce = notify_ce(w)
    with refused("not_an_answer", "in_reply_to"):
        notify_ce(w, in_reply_to=ce)
    with refused("answer_to_required", "in_reply_to"):
        communication_create(
            contract=w.contract,
            kind="quotation",
            subject="Q",
            actor=w.supplier_manager,
            quoted_amount="1",
            quoted_delay_days=0,
        )


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"subject": "  "}, "required", "subject"),
        ({"subject": "x" * 201}, "too_long", "subject"),
        ({"text": "x" * 10_001}, "too_long", "text"),
        ({"kind": "variation_order"}, "unknown_type", "kind"),
        ({"quoted_amount": "5"}, "not_applicable", "quoted_amount"),
        ({"reply_days": 5}, "not_applicable", "reply_days"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    w: World, fields: dict[str, Any], code: str, field: str
) -> None:
    nec4(w)
    with refused(code, field):
        notify_ce(w, **fields)


def test_a_quotation_states_its_time_and_money(w: World) -> None:
    nec4(w)
    ce = communication_create(
        contract=w.contract, kind="ce_manager", subject="Change", actor=w.consultant_manager
    )
    with refused("required", "quoted_amount"):
        quotation(w, ce, quoted_amount=None)
    with refused("required", "quoted_delay_days"):
        quotation(w, ce, quoted_delay_days=None)
    with refused("invalid_amount", "quoted_amount"):
        quotation(w, ce, quoted_amount="lots")


def test_a_closed_contract_takes_no_communication(w: World) -> None:
    from milepost.contracts.services import contract_set_status

    nec4(w)
    contract_set_status(contract=w.contract, status="completed", actor=w.client_manager)
    with refused("contract_closed", "contract"):
        notify_ce(w)


# --- drafts and who sees what -------------------------------------------------------------------


def test_a_draft_is_seen_only_by_its_senders_organisation_and_sent_later(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    draft = notify_ce(w, send=False)
    assert draft.state == S.DRAFT and draft.reply_due is None
    with pytest.raises(NotFound):
        communication_get_for_user(user=w.consultant_manager, pk=draft.pk)
    assert not communications_for_contract(user=w.client_manager, contract=w.contract).exists()
    clock.move_to(at("2026-12-14"))
    sent = communication_send(communication=draft, actor=w.supplier_manager)
    # The clock starts when it is sent, not when it was drafted.
    assert (sent.state, sent.sent_on, sent.reply_due) == (
        S.SENT,
        day("2026-12-14"),
        day("2026-12-21"),
    )
    assert communication_get_for_user(user=w.consultant_manager, pk=draft.pk).pk == draft.pk


def test_only_the_senders_managers_send_or_withdraw_a_draft(w: World) -> None:
    nec4(w)
    draft = notify_ce(w, send=False)
    with refused("not_sender", error=Forbidden):
        communication_send(communication=draft, actor=w.supplier_member)
    with refused("not_sender", error=Forbidden):
        communication_withdraw(communication=draft, actor=w.client_manager)
    communication_withdraw(communication=draft, actor=w.supplier_manager)
    assert fresh(draft).state == S.WITHDRAWN
    with refused("already_sent", "state"):
        communication_send(communication=draft, actor=w.supplier_manager)


def test_what_each_person_may_send_is_offered_with_the_reason_when_not(w: World) -> None:
    nec4(w)
    offered = {s.type.key: s for s in sendable_types(contract=w.contract, user=w.supplier_manager)}
    assert (
        offered["ce_contractor"].senders == (w.supplier,) and not offered["ce_contractor"].refusal
    )
    assert "Only a manager of the project manager" in offered["ce_manager"].refusal
    ce = notify_ce(w)
    answers = {
        s.type.key: s
        for s in sendable_types(contract=w.contract, user=w.supplier_manager, parent=ce)
    }
    assert "not overdue until after 18 Dec 2026" in answers["failure_notice"].refusal
    assert answers["manager_reply"].refusal


# --- JCT and plain contracts --------------------------------------------------------------------


def test_jct_the_employer_decides_an_extension_of_time_within_twelve_weeks(w: World) -> None:
    contract_form_set(contract=w.contract, form="jct_db_2016", actor=w.client_manager)
    notice = communication_create(
        contract=w.contract,
        kind="notice_of_delay",
        subject="Delay: steel",
        actor=w.supplier_manager,
    )
    assert not notice.awaiting and notice.clause == "2.24.1"
    particulars = communication_create(
        contract=w.contract,
        kind="delay_particulars",
        subject="Particulars: steel",
        in_reply_to=notice,
        actor=w.supplier_manager,
    )
    # Twelve weeks from 11 December end on Friday 5 March 2027.
    assert (particulars.owed_by, particulars.reply_due) == (w.client, day("2027-03-05"))
    decision = communication_create(
        contract=w.contract,
        kind="eot_decision",
        subject="Extension of time",
        in_reply_to=particulars,
        outcome=Outcome.EXTENSION_GRANTED,
        actor=w.client_manager,
    )
    assert fresh(particulars).state == S.REPLIED and decision.clause == "2.25.2"


def test_a_plain_notice_asks_for_a_reply_within_the_days_it_names(w: World) -> None:
    notice = communication_create(
        contract=w.contract,
        kind="notice",
        subject="Confirm the hoarding line",
        reply_days=5,
        actor=w.client_manager,
    )
    # Five working days from Friday 11 December: Friday 18 December.
    assert (notice.recipient, notice.reply_due) == (w.supplier, day("2026-12-18"))
    reply = communication_create(
        contract=w.contract,
        kind="reply",
        subject="Confirmed",
        in_reply_to=notice,
        actor=w.supplier_manager,
    )
    assert fresh(notice).state == S.REPLIED and reply.recipient == w.client


# --- recording what was sent outside Milepost ---------------------------------------------------


def test_a_notification_recorded_as_sent_by_letter_counts_from_that_day(w: World) -> None:
    nec4(w)
    # Aware on 15 October, it was posted on 10 December, the last day of its eight weeks.
    ce = notify_ce(w, aware_on=day("2026-10-15"), sent_on=day("2026-12-10"))
    assert ce.state == S.SENT and ce.sent_on == day("2026-12-10")
    assert ce.reply_due == day("2026-12-17")
    assert (
        "recorded C-001 “Late access to the east site”, sent by Northgate Construction to "
        "Arden Project Management on 10 Dec 2026"
    ) in last_sentence()


def test_a_failure_notice_recorded_late_deems_at_once(w: World) -> None:
    nec4(w)
    ce = notify_ce(w, aware_on=day("2026-11-02"), sent_on=day("2026-11-09"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager, sent_on=day("2026-11-17"))
    assert fresh(ce).deems_on == day("2026-12-01")
    assert len(communications_deem_due(now=START)) == 1
    assert fresh(ce).state == S.DEEMED


@pytest.mark.parametrize(
    ("sent_on", "code"),
    [("2026-12-12", "sent_on_in_future"), ("2025-01-01", "sent_on_before_contract")],
)
def test_a_sent_date_must_be_past_and_within_the_contract(
    w: World, sent_on: str, code: str
) -> None:
    nec4(w)
    with refused(code, "sent_on"):
        notify_ce(w, sent_on=day(sent_on))


def test_an_answer_cannot_be_recorded_before_what_it_answers(w: World) -> None:
    nec4(w)
    ce = notify_ce(w, sent_on=day("2026-12-09"))
    with refused("sent_before_parent", "sent_on"):
        answer(w, ce, "manager_reply", outcome=Outcome.ACCEPTED, sent_on=day("2026-12-08"))


def test_a_draft_has_no_sent_date(w: World) -> None:
    nec4(w)
    with refused("not_applicable", "sent_on"):
        notify_ce(w, sent_on=day("2026-12-09"), send=False)


# --- an implemented event opens its change ------------------------------------------------------


def test_a_quotation_accepted_opens_the_change_of_its_dates_with_the_impact(w: World) -> None:
    from milepost.schedule.models import ChangeRequest

    nec4(w)
    completion = w.deliverable("Completion", due_date=day("2027-03-01"))
    ce = communication_create(
        contract=w.contract,
        kind="ce_manager",
        subject="Change to the cladding",
        milestones=[completion],
        actor=w.consultant_manager,
    )
    quote = quotation(w, ce, quoted_delay_days=9)
    answer(w, quote, "manager_reply", outcome=Outcome.ACCEPTED)
    change = ChangeRequest.objects.get()
    assert change.milestone == completion and change.status == "pending"
    assert (change.old_due_date, change.new_due_date) == (day("2027-03-01"), day("2027-03-10"))
    assert change.requested_by == w.supplier_manager
    assert "quotation C-002 was accepted, with a delay of 9 days and £12,500.00" in change.reason
    # Its impact preview moves the milestone 9 days.
    assert [(m["title"], m["days"]) for m in change.impact["moves"]] == [("Completion", 9)]
    assert "C-001 is implemented, and 1 change request is open for approval" in last_sentence()


def test_a_quotation_treated_as_accepted_opens_its_change_too(
    w: World, clock: time_machine.Traveller
) -> None:
    from milepost.schedule.models import ChangeRequest

    nec4(w)
    completion = w.deliverable("Completion", due_date=day("2027-03-01"))
    ce = communication_create(
        contract=w.contract, kind="ce_manager", subject="Change", actor=w.consultant_manager
    )
    quote = quotation(w, ce, milestones=[completion], quoted_delay_days=-2)
    clock.move_to(at("2026-12-30"))
    answer(w, quote, "failure_notice", actor=w.supplier_manager)
    communications_deem_due(now=at("2027-01-14"))
    change = ChangeRequest.objects.get()
    assert change.new_due_date == day("2027-02-27")
    assert "treated as accepted after a notified failure to reply" in change.reason


def test_a_milestone_whose_change_cannot_open_is_named_and_the_event_still_implemented(
    w: World,
) -> None:
    from milepost.schedule.changes import change_request_submit
    from milepost.schedule.models import ChangeRequest

    nec4(w)
    completion = w.deliverable("Completion", due_date=day("2027-03-01"))
    handover = w.deliverable("Handover", due_date=day("2027-03-15"))
    change_request_submit(
        milestone=handover,
        new_due_date=day("2027-03-20"),
        reason="Earlier",
        actor=w.supplier_manager,
    )
    ce = communication_create(
        contract=w.contract,
        kind="ce_manager",
        subject="Change",
        milestones=[completion, handover],
        actor=w.consultant_manager,
    )
    quote = quotation(w, ce)
    answer(w, quote, "manager_reply", outcome=Outcome.ACCEPTED)
    assert fresh(ce).state == S.IMPLEMENTED
    assert ChangeRequest.objects.filter(milestone=completion).count() == 1
    assert (
        "(none for Handover: A change request for this milestone is already waiting"
        in last_sentence()
    )


def test_a_quotation_with_no_delay_and_no_money_opens_no_change(w: World) -> None:
    from milepost.schedule.models import ChangeRequest

    nec4(w)
    completion = w.deliverable("Completion", due_date=day("2027-03-01"))
    ce = communication_create(
        contract=w.contract,
        kind="ce_manager",
        subject="Change",
        milestones=[completion],
        actor=w.consultant_manager,
    )
    quote = quotation(w, ce, quoted_delay_days=0, quoted_amount="0")
    answer(w, quote, "manager_reply", outcome=Outcome.ACCEPTED)
    assert not ChangeRequest.objects.exists() and fresh(ce).state == S.IMPLEMENTED


def test_a_quotation_answers_an_event_treated_as_accepted(
    w: World, clock: time_machine.Traveller
) -> None:
    from milepost.communications.selectors import register_rows

    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    clock.move_to(at("2027-01-05"))
    communications_deem_due(now=at("2027-01-05"))
    # Waiting for its quotation by 25 January: more than half of that period is left.
    (row,) = register_rows(communications=[fresh(ce)], contract=w.contract, today=day("2027-01-05"))
    assert row.band == "more"
    quote = quotation(w, fresh(ce))
    ce = fresh(ce)
    assert ce.state == S.DEEMED and not ce.awaiting
    assert quote.owed_by == w.consultant


def test_money_quoted_with_no_payment_milestone_is_said_to_be_unplaced(w: World) -> None:
    nec4(w)
    completion = w.deliverable("Completion", due_date=day("2027-03-01"))
    ce = communication_create(
        contract=w.contract,
        kind="ce_manager",
        subject="Change",
        milestones=[completion],
        actor=w.consultant_manager,
    )
    quote = quotation(w, ce)
    answer(w, quote, "manager_reply", outcome=Outcome.ACCEPTED)
    assert "the £12,500.00 quoted is on no payment milestone it names" in last_sentence()


def test_an_answer_stays_with_the_party_owing_it_when_the_project_manager_changes(
    w: World,
) -> None:
    nec4(w)
    ce = notify_ce(w)
    # The client takes over as Project Manager after the event was notified to Arden.
    party_name_role(party=w.client, named_role="project_manager", actor=w.client_manager)
    reply = answer(w, ce, "manager_reply", outcome=Outcome.NOT_ACCEPTED)
    assert reply.sender == w.consultant and fresh(ce).state == S.REPLIED
    # The new Project Manager's own notifications go to the contractor as before.
    second = notify_ce(w, subject="Second event")
    assert second.recipient == w.client


def test_jct_notices_go_to_the_employer_even_with_a_project_manager_named(w: World) -> None:
    contract_form_set(contract=w.contract, form="jct_db_2016", actor=w.client_manager)
    party_name_role(party=w.consultant, named_role="project_manager", actor=w.client_manager)
    notice = communication_create(
        contract=w.contract, kind="notice_of_delay", subject="Delay", actor=w.supplier_manager
    )
    assert notice.recipient == w.client


def test_no_extension_once_the_failure_to_reply_is_notified(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    with refused("cannot_answer", "in_reply_to") as caught:
        answer(w, ce, "extension", extends_to=day("2027-01-08"), sent_on=day("2026-12-17"))
    assert "can no longer be extended" in caught.value.message


def test_the_worker_deems_nothing_on_a_closed_contract(
    w: World, clock: time_machine.Traveller
) -> None:
    from milepost.contracts.services import contract_set_status

    nec4(w)
    ce = notify_ce(w)
    clock.move_to(at("2026-12-21"))
    answer(w, ce, "failure_notice", actor=w.supplier_manager)
    contract_set_status(contract=w.contract, status="completed", actor=w.client_manager)
    clock.move_to(at("2027-01-05"))
    assert communications_deem_due(now=at("2027-01-05")) == []
    assert fresh(ce).state == S.SENT


# --- the project manager's own assessment -------------------------------------------------------


def assess(w: World, parent: Communication, **fields: Any) -> Communication:
    values = {"quoted_amount": "8000", "quoted_delay_days": 3, "subject": "Our assessment"}
    values.update(fields)
    return answer(w, parent, "assessment", **values)


def test_the_project_manager_assesses_after_saying_so_and_the_event_is_implemented(
    w: World,
) -> None:
    from milepost.schedule.models import ChangeRequest

    nec4(w)
    completion = w.deliverable("Completion", due_date=day("2027-03-01"))
    ce = communication_create(
        contract=w.contract,
        kind="ce_manager",
        subject="Change",
        milestones=[completion],
        actor=w.consultant_manager,
    )
    quote = quotation(w, ce)
    own = answer(w, quote, "manager_reply", outcome=Outcome.OWN_ASSESSMENT)
    # The project manager now owes its own assessment, within two weeks (cl. 64.3).
    assert (own.owed_by, own.reply_due) == (w.consultant, day("2026-12-29"))
    assessment = assess(w, own)
    assert assessment.clause == "64.1"
    assert fresh(ce).state == S.IMPLEMENTED and not fresh(own).awaiting
    change = ChangeRequest.objects.get()
    assert change.new_due_date == day("2027-03-04") and change.requested_by == w.consultant_manager
    assert "the Project Manager's assessment C-004 was notified" in change.reason


def test_the_project_manager_assesses_once_the_quotation_is_late(
    w: World, clock: time_machine.Traveller
) -> None:
    nec4(w)
    ce = communication_create(
        contract=w.contract, kind="ce_manager", subject="Change", actor=w.consultant_manager
    )
    with refused("cannot_answer", "in_reply_to") as caught:
        assess(w, ce)
    assert "not late until after 4 Jan 2027" in caught.value.message
    clock.move_to(at("2027-01-05"))
    with refused("not_sender", error=Forbidden):
        answer(
            w, ce, "assessment", actor=w.supplier_manager, quoted_amount="1", quoted_delay_days=0
        )
    assess(w, ce)
    assert fresh(ce).state == S.IMPLEMENTED
