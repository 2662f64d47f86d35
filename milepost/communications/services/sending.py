"""Sending a communication (or keeping a draft), answering, withdrawing and attaching files."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contract_access, contract_calendar
from milepost.contracts.services import contract_require_open
from milepost.core.dates import local_today, validate_date_in_range
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import MAX_AMOUNT, quantize
from milepost.core.text import TEXT_MAX, TITLE_MAX, text_check
from milepost.finance.models import PaymentCycle
from milepost.schedule.models import EarlyWarning, Milestone

from .. import catalogue
from ..catalogue import CLIENT, MANAGER, TypeDef
from ..choices import (
    Outcome,
    PeriodUnit,
)
from ..deadlines import deadline
from ..events import CommunicationEvent
from ..models import Attachment, Communication
from ..selectors import (
    OTHER_SIDE,
    REPLY_OUTCOMES,
    acting_parties,
    allowed_senders,
    answer_refusal,
    communication_require_sender,
    contract_period,
    parties_on_side,
    sender_refusal,
    side_of,
    type_of,
)
from .attachments import MAX_ATTACHMENTS, attach, checked_one_of_several
from .implementing import thread_implement
from .rules import S, day_ends_at, form_type, period_count, state_move

MAX_MILESTONES = 50


MAX_REPLY_DAYS = 365


MAX_DELAY_DAYS = 3650


# A communication made before the contract started (a tender clarification) is a year old at most.
RECORD_BEFORE_START = dt.timedelta(days=366)


# An extension moves a reply by a year at most: longer is a new agreement, not an extension.
MAX_EXTENSION = dt.timedelta(days=366)


def _amount(value: Any, currency: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            "invalid_amount",
            "The quoted amount is a number such as 12500.00.",
            field="quoted_amount",
        ) from exc
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise DomainError(
            "invalid_amount", "The quoted amount is too large.", field="quoted_amount"
        )
    return quantize(amount, currency)


def _check_links(
    contract: Contract,
    milestones: Sequence[Milestone],
    early_warning: EarlyWarning | None,
    payment_cycle: PaymentCycle | None,
) -> None:
    if len(milestones) > MAX_MILESTONES:
        raise DomainError(
            "too_many", f"Link at most {MAX_MILESTONES} milestones.", field="milestones"
        )
    foreign = [m for m in milestones if m.contract_id != contract.pk]
    if foreign:
        raise DomainError(
            "milestone_not_in_contract",
            f"Milestone {foreign[0].pk} is not in this contract.",
            field="milestones",
        )
    if early_warning is not None and early_warning.contract_id != contract.pk:
        raise DomainError(
            "early_warning_not_in_contract",
            "That early warning is not in this contract.",
            field="early_warning",
        )
    if payment_cycle is not None and payment_cycle.contract_id != contract.pk:
        raise DomainError(
            "payment_cycle_not_in_contract",
            "That payment cycle is not in this contract.",
            field="payment_cycle",
        )


def _pick(parties: Sequence[Party], wanted: Party | None, field: str, what: str) -> Party:
    if wanted is None:
        if not parties:
            raise DomainError("no_party", f"No party to the contract can be {what}.", field=field)
        return parties[0]
    if wanted.pk not in {p.pk for p in parties}:
        raise DomainError(
            "party_not_allowed", f"{wanted.organisation} cannot be {what}.", field=field
        )
    return wanted


def _recipient(
    type_: TypeDef,
    sender: Party,
    parent: Communication | None,
    parties: Sequence[Party],
    wanted: Party | None,
) -> Party:
    if parent is not None:
        return parent.sender if parent.sender_id != sender.pk else parent.recipient
    side = side_of(sender, parties, type_.senders)
    other = OTHER_SIDE.get(side or "")
    if other == MANAGER and not catalogue.form_def(sender.contract.form).has_manager:
        other = CLIENT
    candidates = parties_on_side(parties, other) if other else parties_on_side(parties, "either")
    return _pick([p for p in candidates if p.pk != sender.pk], wanted, "recipient", "its recipient")


def _validate_fields(
    c: Communication, type_: TypeDef, milestones: Sequence[Milestone], today: dt.date
) -> None:
    subject = c.subject.strip()
    if not subject:
        raise DomainError("required", "Give the communication a subject.", field="subject")
    text_check(subject, field="subject", limit=TITLE_MAX, label="The subject")
    text_check(c.text, field="text", limit=TEXT_MAX, label="The text")
    if type_.awareness and not c.from_manager_instruction and c.aware_on is None:
        raise DomainError(
            "aware_on_required",
            "Say when the contractor became aware of the event: the time bar counts from it.",
            field="aware_on",
        )
    if c.aware_on is not None:
        if not type_.awareness:
            raise DomainError(
                "not_applicable", "Only a notification has an awareness date.", field="aware_on"
            )
        validate_date_in_range(c.aware_on, field="aware_on")
        if c.aware_on > today:
            raise DomainError(
                "aware_on_in_future", "The awareness date cannot be after today.", field="aware_on"
            )
    if type_.quotation:
        if c.quoted_amount is None:
            raise DomainError(
                "required",
                "A quotation states its change to the Prices (0 for none).",
                field="quoted_amount",
            )
        if c.quoted_delay_days is None:
            raise DomainError(
                "required",
                "A quotation states its delay to the dates in days (0 for none).",
                field="quoted_delay_days",
            )
        if not -MAX_DELAY_DAYS <= c.quoted_delay_days <= MAX_DELAY_DAYS:
            raise DomainError(
                "out_of_range",
                f"The delay is at most {MAX_DELAY_DAYS:,} days either way.",
                field="quoted_delay_days",
            )
    elif c.quoted_amount is not None or c.quoted_delay_days is not None:
        raise DomainError(
            "not_applicable", "Only a quotation quotes time and money.", field="quoted_amount"
        )
    if c.reply_days is not None:
        if not type_.reply_days:
            raise DomainError(
                "not_applicable", "The contract sets the period for this reply.", field="reply_days"
            )
        if not 1 <= c.reply_days <= MAX_REPLY_DAYS:
            raise DomainError(
                "out_of_range",
                f"Ask for a reply within 1 to {MAX_REPLY_DAYS} days.",
                field="reply_days",
            )
    if type_.extension:
        if c.extends_to is None:
            raise DomainError(
                "required", "Give the new last day for the reply.", field="extends_to"
            )
        validate_date_in_range(c.extends_to, field="extends_to")
    elif c.extends_to is not None:
        raise DomainError(
            "not_applicable", "Only an extension moves a reply's date.", field="extends_to"
        )


def _check_outcome(c: Communication, type_: TypeDef, parent: Communication | None) -> None:
    if not type_.outcomes:
        if c.outcome:
            raise DomainError(
                "not_applicable", "This communication decides nothing.", field="outcome"
            )
        return
    allowed = REPLY_OUTCOMES.get(parent.kind if parent else "", type_.outcomes)
    if c.outcome not in allowed:
        words = ", ".join(Outcome(o).label.lower() for o in allowed)
        raise DomainError("invalid_outcome", f"Decide one of: {words}.", field="outcome")


def _next_number(contract: Contract) -> int:
    # The contract row is locked, so two writers cannot take the same number.
    Contract.objects.select_for_update().filter(pk=contract.pk).values_list("pk").first()
    top = Communication.objects.filter(contract=contract).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def _parent_locked(parent: Communication | None) -> Communication | None:
    if parent is None:
        return None
    return (
        Communication.objects.select_for_update(of=("self",))
        .select_related("contract", "sender__organisation", "recipient__organisation", "owed_by")
        .get(pk=parent.pk)
    )


def _summary(c: Communication, type_: TypeDef, links: Sequence[Milestone]) -> dict[str, Any]:
    return {
        "reference": c.reference,
        "kind": c.kind,
        "label": type_.label,
        "clause": c.clause,
        "subject": c.subject,
        "sender": c.sender.organisation.name,
        "recipient": c.recipient.organisation.name,
        "in_reply_to": c.in_reply_to.reference if c.in_reply_to else None,
        "outcome": c.outcome,
        "milestones": sorted(m.pk for m in links),
    }


@transaction.atomic
def communication_create(
    *,
    contract: Contract,
    kind: str,
    subject: str,
    actor: User,
    text: str = "",
    in_reply_to: Communication | None = None,
    outcome: str = "",
    milestones: Sequence[Milestone] = (),
    early_warning: EarlyWarning | None = None,
    payment_cycle: PaymentCycle | None = None,
    aware_on: dt.date | None = None,
    from_manager_instruction: bool = False,
    quoted_amount: Decimal | str | None = None,
    quoted_delay_days: int | None = None,
    reply_days: int | None = None,
    extends_to: dt.date | None = None,
    sender: Party | None = None,
    recipient: Party | None = None,
    send: bool = True,
    sent_on: dt.date | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Communication:
    """Write a communication under the contract's form and send it (or keep it as a draft).

    ``sent_on`` records one already sent outside Milepost (by letter or email) on that day:
    its periods and its time bar count from it, as they would have then; the event says it
    was recorded later.
    """
    access = contract_access(user=actor, contract=contract)
    if not access.can_view:
        raise Forbidden("Only a party to the contract may send it a communication.")
    contract_require_open(contract, frozen="its communications")
    type_ = form_type(contract, kind)
    parties = acting_parties(contract=contract)
    parent = _parent_locked(in_reply_to)
    today = _sent_on(contract, sent_on, parent, send)
    if type_.starts_thread and parent is not None:
        raise DomainError(
            "not_an_answer",
            f"A {type_.label.lower()} starts a thread of its own.",
            field="in_reply_to",
        )
    if not type_.starts_thread:
        if parent is None:
            raise DomainError(
                "answer_to_required", "Say which communication this answers.", field="in_reply_to"
            )
        if parent.contract_id != contract.pk:
            raise DomainError(
                "not_in_contract",
                "That communication is not in this contract.",
                field="in_reply_to",
            )
        refusal = answer_refusal(type_=type_, parent=parent, today=today)
        if refusal:
            raise DomainError("cannot_answer", refusal, field="in_reply_to")
    senders = allowed_senders(type_=type_, parent=parent, parties=parties, access=access)
    if not senders:
        reason = sender_refusal(type_, parties, access)
        if not reason and parent is not None:
            reason = f"Only the party owed it may send this answer to {parent.reference}."
        raise Forbidden(reason or "You may not send this communication.", code="not_sender")
    party = _pick(senders, sender, "sender", "its sender")
    amount = _amount(quoted_amount, contract.currency) if quoted_amount not in (None, "") else None
    c = Communication(
        contract=contract,
        kind=kind,
        clause=_clause(contract, type_, parent),
        sender=party,
        recipient=_recipient(type_, party, parent, parties, recipient),
        subject=subject.strip(),
        text=text.strip(),
        in_reply_to=parent,
        thread=(parent.thread or parent) if parent else None,
        outcome=outcome or "",
        early_warning=early_warning,
        payment_cycle=payment_cycle,
        aware_on=aware_on,
        from_manager_instruction=bool(from_manager_instruction) and type_.awareness,
        quoted_amount=amount,
        quoted_delay_days=quoted_delay_days,
        reply_days=reply_days,
        extends_to=extends_to,
        created_by=actor,
    )
    linked = list(dict.fromkeys(milestones))
    _validate_fields(c, type_, linked, today)
    _check_outcome(c, type_, parent)
    _check_links(contract, linked, early_warning, payment_cycle)
    if len(attachments) > MAX_ATTACHMENTS:
        raise DomainError(
            "too_many", f"Attach at most {MAX_ATTACHMENTS} files.", field="attachments"
        )
    files = [(upload, checked_one_of_several(upload)) for upload in attachments]
    c.number = _next_number(contract)
    c.save()
    c.milestones.set(linked)
    if send:
        c = _send(c, type_, parent, actor, today, linked)
    else:
        event_record(
            actor=actor,
            action=CommunicationEvent.COMMUNICATION_DRAFTED,
            obj=c,
            after=_summary(c, type_, linked),
            # A draft is its sender's alone: kept out of the contract's history, which every
            # party reads (the draft's own page shows it to its organisation).
            contract_id=None,
        )
    # Last, so that no rule can refuse the communication after its files are stored; a file
    # that cannot be kept takes the ones stored before it away with the whole communication.
    kept: list[Attachment] = []
    try:
        for upload, checked in files:
            kept.append(attach(c, upload, checked, actor))
    except Exception:
        for attachment in kept:
            attachment.file.delete(save=False)
        raise
    return c


def _sent_on(
    contract: Contract, sent_on: dt.date | None, parent: Communication | None, send: bool
) -> dt.date:
    """The day a communication counts as sent: today, or the earlier day it is recorded as sent."""
    today = local_today(contract.time_zone)
    if sent_on is None:
        return today
    if not send:
        raise DomainError(
            "not_applicable",
            "A draft is sent when you send it; it has no sent date yet.",
            field="sent_on",
        )
    validate_date_in_range(sent_on, field="sent_on")
    if sent_on > today:
        raise DomainError(
            "sent_on_in_future", "It cannot have been sent after today.", field="sent_on"
        )
    if sent_on < contract.start_date - RECORD_BEFORE_START:
        raise DomainError(
            "sent_on_before_contract",
            f"It cannot have been sent more than a year before the contract started "
            f"({contract.start_date:%-d %b %Y}).",
            field="sent_on",
        )
    if parent is not None and parent.deemed_on is not None and sent_on < parent.deemed_on:
        raise DomainError(
            "sent_before_parent",
            f"It cannot have been sent before {parent.reference} was treated as accepted "
            f"({parent.deemed_on:%-d %b %Y}).",
            field="sent_on",
        )
    if parent is not None and parent.sent_on is not None and sent_on < parent.sent_on:
        raise DomainError(
            "sent_before_parent",
            f"It cannot have been sent before {parent.reference}, which it answers "
            f"({parent.sent_on:%-d %b %Y}).",
            field="sent_on",
        )
    return sent_on


def _clause(contract: Contract, type_: TypeDef, parent: Communication | None) -> str:
    """The clause a communication is made under: an answer's is the one that set its period."""
    if parent is None or type_.extension:
        return type_.clause
    parent_type = catalogue.form_def(contract.form).type(parent.kind)
    key = (parent_type.deemed if type_.failure else parent_type.reply) if parent_type else None
    if key:
        return contract_period(contract=contract, key=key).clause or type_.clause
    return type_.clause


def _reply_period(
    contract: Contract, c: Communication, type_: TypeDef, start: dt.date
) -> tuple[dt.date, dict[str, Any]] | None:
    """When the answer to a communication just sent is due, or None when none is owed."""
    key = type_.reply
    if c.kind == "manager_reply" and c.in_reply_to is not None:
        # The project manager's acceptance of an event, or a revised quotation instructed,
        # asks the contractor for a quotation (NEC4 cl. 61.4, 62.4).
        asks = c.outcome == Outcome.ACCEPTED and c.in_reply_to.kind == "ce_contractor"
        asks = asks or c.outcome == Outcome.REVISE
        key = "quotation_submit" if asks else None
        if c.outcome == Outcome.OWN_ASSESSMENT:
            # The project manager owes its own assessment, within the period for replying to
            # a quotation (NEC4 cl. 64.3).
            key = "quotation_reply"
    if key is None:
        return None
    if c.reply_days:
        period = contract_period(contract=contract, key=key)
        unit = period.unit if period.unit != PeriodUnit.WEEKS else PeriodUnit.DAYS
        day = deadline(contract_calendar(contract=contract), start, c.reply_days, unit)
        return day, {
            "period": key,
            "clause": period.clause,
            "length": c.reply_days,
            "unit": unit,
            "from": start,
        }
    return period_count(contract, key, start)


def _send(
    c: Communication,
    type_: TypeDef,
    parent: Communication | None,
    actor: User,
    today: dt.date,
    links: Sequence[Milestone],
) -> Communication:
    contract = c.contract
    facts: dict[str, Any] = {"sent_on": today}
    if today < local_today(contract.time_zone):
        facts["recorded_later"] = True
    c.sent_on, c.sent_at, c.sent_by = today, timezone.now(), actor
    state_move(c, S.SENT)
    if type_.time_bar and not c.from_manager_instruction and c.aware_on is not None:
        bar, counted = period_count(contract, type_.time_bar, c.aware_on)
        c.time_bar_date = bar
        facts.update(aware_on=c.aware_on, time_bar_date=bar, time_bar=counted)
        if today > bar:
            c.state = S.TIME_BARRED
    if c.state == S.SENT:
        owed = _reply_period(contract, c, type_, today)
        if owed is not None:
            c.reply_due, counted = owed
            c.awaiting = True
            assessing = c.kind == "manager_reply" and c.outcome == Outcome.OWN_ASSESSMENT
            c.owed_by = c.sender if assessing else c.recipient
            facts.update(reply_due=c.reply_due, owed_by=c.owed_by.organisation.name, reply=counted)
    c.save()
    if parent is not None:
        facts.update(_answer(c, type_, parent, today))
    event_record(
        actor=actor,
        action=CommunicationEvent.COMMUNICATION_SENT,
        obj=c,
        after={**_summary(c, type_, links), **facts, "state": c.state},
        contract_id=contract.pk,
    )
    return c


def _answer(
    c: Communication, type_: TypeDef, parent: Communication, today: dt.date
) -> dict[str, Any]:
    """What an answer does to what it answers; return the facts for the event."""
    contract = c.contract
    facts: dict[str, Any] = {}
    if type_.follows:
        return facts
    if type_.failure:
        parent_type = type_of(parent)
        assert parent_type is not None and parent_type.deemed
        parent.deems_on, counted = period_count(contract, parent_type.deemed, today)
        parent.deems_at = day_ends_at(parent.deems_on, contract.time_zone)
        parent.save(update_fields=["deems_on", "deems_at", "updated_at"])
        return {"parent_deems_on": parent.deems_on, "deemed": counted}
    if type_.extension:
        due = parent.reply_due
        assert c.extends_to is not None
        if due is not None and (c.extends_to <= due or c.extends_to > due + MAX_EXTENSION):
            raise DomainError(
                "invalid_extension",
                f"The new last day must be after {due:%-d %b %Y} and within a year of it.",
                field="extends_to",
            )
        parent.reply_due = c.extends_to
        parent.save(update_fields=["reply_due", "updated_at"])
        return {"extends_to": c.extends_to, "was_due": due}
    parent.awaiting = False
    parent.deems_on = parent.deems_at = None
    if parent.state == S.SENT:
        state_move(parent, S.REPLIED)
    parent.save(update_fields=["awaiting", "deems_on", "deems_at", "state", "updated_at"])
    facts["parent_state"] = parent.state
    if type_.assessment:
        # The project manager's assessment implements the event as a quotation would.
        facts.update(thread_implement(c))
    elif parent.kind == "quotation" and c.outcome == Outcome.ACCEPTED:
        facts.update(thread_implement(parent))
    return facts


@transaction.atomic
def communication_send(*, communication: Communication, actor: User) -> Communication:
    """Send a draft: every rule is checked again as of today, and its clock starts."""
    c = (
        Communication.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=communication.pk)
    )
    communication_require_sender(communication=c, actor=actor)
    contract_require_open(c.contract, frozen="its communications")
    if c.state != S.DRAFT:
        raise DomainError("already_sent", f"{c.reference} was sent already.", field="state")
    type_ = form_type(c.contract, c.kind)
    today = local_today(c.contract.time_zone)
    parent = _parent_locked(c.in_reply_to)
    if parent is not None:
        refusal = answer_refusal(type_=type_, parent=parent, today=today)
        if refusal:
            raise DomainError("cannot_answer", refusal, field="in_reply_to")
    linked = list(c.milestones.all())
    _validate_fields(c, type_, linked, today)
    return _send(c, type_, parent, actor, today, linked)


@transaction.atomic
def communication_withdraw(*, communication: Communication, actor: User) -> Communication:
    """Withdraw a draft, or a sent communication that starts a thread (answers stand)."""
    c = (
        Communication.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=communication.pk)
    )
    communication_require_sender(communication=c, actor=actor)
    contract_require_open(c.contract, frozen="its communications")
    type_ = form_type(c.contract, c.kind)
    if c.state != S.DRAFT and not type_.starts_thread:
        raise DomainError(
            "answer_stands",
            "An answer, once sent, stands; send a new communication to correct it.",
            field="state",
        )
    was = c.state
    if c.state not in (S.DRAFT, S.SENT):
        raise DomainError(
            "invalid_transition",
            f"{c.reference} is {c.get_state_display().lower()}; it can no longer be withdrawn.",
            field="state",
        )
    state_move(c, S.WITHDRAWN)
    c.awaiting = False
    c.deems_on = c.deems_at = None
    c.save(update_fields=["state", "awaiting", "deems_on", "deems_at", "updated_at"])
    event_record(
        actor=actor,
        action=CommunicationEvent.COMMUNICATION_WITHDRAWN,
        obj=c,
        after={"reference": c.reference, "subject": c.subject, "was": was},
        # A draft withdrawn was never the other side's to know of.
        contract_id=c.contract_id if was != S.DRAFT else None,
    )
    return c
