"""Reads of a contract's clock: its periods, its communications, who may send what, the registers."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import FileResponse

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.audit.models import Event
from milepost.contracts.choices import NamedRole, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access, contracts_for_user
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden, NotFound

from . import catalogue
from .catalogue import CLIENT, CONTRACTOR, MANAGER, SUPERVISOR, PeriodDef, TypeDef
from .choices import CommunicationState, Outcome
from .deadlines import share_left
from .models import Attachment, Communication, ContractPeriod

# Who may send a communication for a party: a manager or admin of its organisation.
SENDER_ROLE = Role.MANAGER
# The decisions a reply may give, by what it answers.
REPLY_OUTCOMES: dict[str, tuple[str, ...]] = {
    "ce_contractor": (Outcome.ACCEPTED, Outcome.NOT_ACCEPTED),
    "quotation": (Outcome.ACCEPTED, Outcome.REVISE, Outcome.OWN_ASSESSMENT),
    "programme": (Outcome.ACCEPTED, Outcome.NOT_ACCEPTED),
    "delay_particulars": (Outcome.EXTENSION_GRANTED, Outcome.NO_EXTENSION),
}
# Who a first communication goes to, by the side that sends it.
OTHER_SIDE = {CONTRACTOR: MANAGER, MANAGER: CONTRACTOR, SUPERVISOR: CONTRACTOR, CLIENT: CONTRACTOR}


# --- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One of the contract's periods: the form's definition and the length the contract uses."""

    definition: PeriodDef
    length: int
    unit: str

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def clause(self) -> str:
        return self.definition.clause

    @property
    def changed(self) -> bool:
        d = self.definition
        return (self.length, self.unit) != (d.length, d.unit)


def contract_periods(*, contract: Contract) -> list[Period]:
    """Return every period of the contract's form, with the contract's own lengths."""
    own = {p.key: p for p in ContractPeriod.objects.filter(contract=contract)}
    periods = []
    for definition in catalogue.form_def(contract.form).periods:
        row = own.get(definition.key)
        length, unit = (row.length, row.unit) if row else (definition.length, definition.unit)
        periods.append(Period(definition, length, unit))
    return periods


def contract_period(*, contract: Contract, key: str) -> Period:
    """Return one of the contract's periods; a key its form lacks raises ``unknown_period``."""
    found = next((p for p in contract_periods(contract=contract) if p.key == key), None)
    if found is None:
        raise DomainError(
            "unknown_period", f"The contract's form has no period '{key}'.", field="key"
        )
    return found


# --- sides and parties --------------------------------------------------------------------------


def parties_on_side(parties: Sequence[Party], side: str) -> list[Party]:
    """The parties that act as ``side`` (see ``catalogue``) on a contract with these parties."""
    acting = [p for p in parties if p.role != PartyRole.OBSERVER]
    named = {p.named_role: p for p in acting if p.named_role}
    if side == CONTRACTOR:
        return [p for p in acting if p.role == PartyRole.SUPPLIER]
    if side == CLIENT:
        return [p for p in acting if p.role == PartyRole.CLIENT]
    if side == MANAGER:
        manager = named.get(NamedRole.PROJECT_MANAGER)
        return [manager] if manager else [p for p in acting if p.role == PartyRole.CLIENT]
    if side == SUPERVISOR:
        supervisor = named.get(NamedRole.SUPERVISOR)
        return [supervisor] if supervisor else parties_on_side(parties, MANAGER)
    return acting


def side_of(party: Party, parties: Sequence[Party], sides: Sequence[str]) -> str | None:
    """The first of ``sides`` that ``party`` acts as, or None."""
    return next((s for s in sides if party in parties_on_side(parties, s)), None)


def acting_parties(*, contract: Contract) -> list[Party]:
    return list(contract.parties.select_related("organisation").order_by("id"))


@dataclass(frozen=True)
class Sendable:
    """A type the user may send now, for which party, or why not."""

    type: TypeDef
    senders: tuple[Party, ...]
    refusal: str = ""


def _side_words(type_: TypeDef) -> str:
    return " or ".join(catalogue.SIDE_NAMES[s] for s in type_.senders)


def senders_for(*, type_: TypeDef, parties: Sequence[Party], access: ContractAccess) -> list[Party]:
    """The parties on the type's sending sides that the user may send for."""
    eligible = [p for side in type_.senders for p in parties_on_side(parties, side)]
    unique = list(dict.fromkeys(eligible))
    return [p for p in unique if access.acts_for(p.pk, SENDER_ROLE)]


def sender_refusal(type_: TypeDef, parties: Sequence[Party], access: ContractAccess) -> str:
    """Why the user may not send ``type_`` for any party, or ""."""
    if senders_for(type_=type_, parties=parties, access=access):
        return ""
    if not any(parties_on_side(parties, s) for s in type_.senders):
        return f"No party to the contract acts as {_side_words(type_)}."
    return f"Only a manager of {_side_words(type_)} sends this (cl. {type_.clause or 'of the contract'})."


def answer_refusal(*, type_: TypeDef, parent: Communication, today: dt.date) -> str:
    """Why ``type_`` cannot answer ``parent`` today, or "" (the sender is checked apart)."""
    if parent.kind not in type_.answers:
        return "That communication cannot be answered this way."
    if not parent.is_sent or parent.state in (
        CommunicationState.WITHDRAWN,
        CommunicationState.TIME_BARRED,
    ):
        return f"{parent.reference} is {parent.get_state_display().lower()}; nothing answers it."
    if type_.follows:
        return ""
    if not parent.awaiting:
        return f"{parent.reference} is not waiting for an answer."
    if type_.assessment:
        return _assessment_refusal(parent, today)
    if parent.state == CommunicationState.DEEMED:
        # Treated as accepted: what it waits for now is the quotation (NEC4 cl. 61.4), whose
        # period may be extended like any other.
        due = parent.reply_due
        if type_.quotation or (type_.extension and (due is None or today <= due)):
            return ""
        return f"{parent.reference} is treated as accepted; it waits for a quotation."
    due = parent.reply_due
    deemed_day_passed = (
        parent.state == CommunicationState.SENT
        and parent.deems_on is not None
        and today > parent.deems_on
    )
    if deemed_day_passed and not type_.failure:
        return (
            f"{parent.reference} is treated as accepted: no reply came by "
            f"{parent.deems_on:%-d %b %Y}."
        )
    if type_.failure:
        if parent.deems_on is not None:
            return f"The failure to reply to {parent.reference} was notified already."
        if due is not None and today <= due:
            return f"The reply to {parent.reference} is not overdue until after {due:%-d %b %Y}."
    if type_.extension and parent.deems_on is not None:
        return (
            f"The failure to reply to {parent.reference} was notified; its period can no "
            "longer be extended."
        )
    if type_.extension and due is not None and today > due:
        return (
            f"The period for reply to {parent.reference} ended on {due:%-d %b %Y}; "
            "it can be extended only before the reply is due."
        )
    awaited = catalogue.form_def(parent.contract.form).type(parent.kind)
    if (
        not (type_.failure or type_.extension)
        and awaited is not None
        and awaited.awaits
        and type_.key not in awaited.awaits
    ):
        return f"{parent.reference} waits for a different answer."
    return ""


def _assessment_refusal(parent: Communication, today: dt.date) -> str:
    """The project manager assesses an event when its own reply said it would, or when the
    contractor's quotation is late (NEC4 cl. 64.1)."""
    if parent.owed_by_id == parent.sender_id:
        return ""
    due = parent.reply_due
    if due is not None and today <= due:
        return (
            f"The quotation for {parent.reference} is not late until after {due:%-d %b %Y}; "
            "the project manager assesses only then, or after saying so in a reply."
        )
    return ""


def allowed_senders(
    *,
    type_: TypeDef,
    parent: Communication | None,
    parties: Sequence[Party],
    access: ContractAccess,
) -> list[Party]:
    """The parties the user may send ``type_`` for: for an answer, only the party owed it (or,
    for a failure notice, the party that is owed the reply; for an extension, the manager)."""
    senders = senders_for(type_=type_, parties=parties, access=access)
    if parent is None or type_.extension or type_.assessment:
        return senders
    # An answer belongs to the party it is owed by (or, for a failure notice, to the party
    # owed the answer), fixed when the communication was sent: a role that moved since (a new
    # Project Manager) neither takes it over nor leaves it with no one to answer.
    party_id = parent.sender_id if (type_.failure or type_.follows) else parent.owed_by_id
    return [p for p in parties if p.pk == party_id and access.acts_for(p.pk, SENDER_ROLE)]


def sendable_types(
    *,
    contract: Contract,
    user: User,
    parent: Communication | None = None,
    today: dt.date | None = None,
) -> list[Sendable]:
    """Every type of the contract's form that could start a thread (or answer ``parent``), with
    the parties the user may send it for, or why not."""
    today = today or local_today(contract.time_zone)
    access = contract_access(user=user, contract=contract)
    parties = acting_parties(contract=contract)
    found = []
    for type_ in catalogue.form_def(contract.form).types:
        if parent is None:
            if not type_.starts_thread:
                continue
            refusal = ""
        else:
            if parent.kind not in type_.answers:
                continue
            refusal = answer_refusal(type_=type_, parent=parent, today=today)
        senders = allowed_senders(type_=type_, parent=parent, parties=parties, access=access)
        if not refusal and not senders:
            refusal = sender_refusal(type_, parties, access)
            if not refusal and parent is not None:
                owed = parent.owed_by.organisation if parent.owed_by else "the other party"
                refusal = (
                    f"Only {parent.sender.organisation} notifies this."
                    if type_.failure
                    else f"Only a manager of {owed} answers {parent.reference}."
                )
        found.append(Sendable(type_, tuple(senders), refusal))
    return found


# --- communications -----------------------------------------------------------------------------


def _visible(user: User, queryset: QuerySet[Communication]) -> QuerySet[Communication]:
    """Sent communications to every party; a draft only to its sender's organisation."""
    mine = Membership.objects.filter(user=user).values("organisation_id")
    return queryset.filter(~Q(state=CommunicationState.DRAFT) | Q(sender__organisation_id__in=mine))


def communications_for_contract(
    *,
    user: User,
    contract: Contract,
    state: str = "",
    family: str = "",
    awaiting: bool | None = None,
) -> QuerySet[Communication]:
    """Return the contract's communications the user may see, newest first, filtered."""
    rows = _visible(user, Communication.objects.filter(contract=contract))
    if state:
        rows = rows.filter(state=state)
    if family:
        kinds = [t.key for t in catalogue.form_def(contract.form).types if t.family == family]
        rows = rows.filter(kind__in=kinds)
    if awaiting is not None:
        rows = rows.filter(awaiting=awaiting)
    return (
        rows.select_related(
            "contract",
            "sender__organisation",
            "recipient__organisation",
            "owed_by__organisation",
            "in_reply_to",
        )
        .prefetch_related("milestones", "attachments")
        .order_by("-number")
    )


def communication_get_for_user(*, user: User, pk: int) -> Communication:
    """Return one communication the user may see, or raise NotFound."""
    found = (
        _visible(user, Communication.objects.filter(contract__in=contracts_for_user(user=user)))
        .filter(pk=pk)
        .select_related(
            "contract",
            "sender__organisation",
            "recipient__organisation",
            "owed_by__organisation",
            "in_reply_to",
            "thread",
            "early_warning",
            "payment_cycle",
            "created_by",
            "sent_by",
        )
        .prefetch_related("milestones", "attachments")
        .first()
    )
    if found is None:
        raise NotFound("communication")
    return found


def communication_thread(*, user: User, communication: Communication) -> list[Communication]:
    """Return the whole thread the communication belongs to, first to last."""
    root = communication.thread_id or communication.pk
    return list(
        _visible(
            user,
            Communication.objects.filter(contract_id=communication.contract_id).filter(
                Q(pk=root) | Q(thread_id=root)
            ),
        )
        .select_related("sender__organisation", "recipient__organisation", "owed_by__organisation")
        .order_by("number")
    )


def communication_require_sender(*, communication: Communication, actor: User) -> None:
    """Refuse anyone but a manager of the sending party (viewers and others see it only)."""
    access = contract_access(user=actor, contract=communication.contract)
    if not access.acts_for(communication.sender_id, SENDER_ROLE):
        raise Forbidden(
            f"Only a manager of {communication.sender.organisation} may do this.",
            code="not_sender",
        )


def type_of(communication: Communication) -> TypeDef | None:
    return catalogue.form_def(communication.contract.form).type(communication.kind)


@dataclass(frozen=True)
class RegisterRow:
    """A register line: a communication with its band of the period left today."""

    communication: Communication
    label: str
    band: str  # "more", "less", "overdue" or "" when nothing is owed


def register_rows(
    *, communications: Sequence[Communication], contract: Contract, today: dt.date
) -> list[RegisterRow]:
    form = catalogue.form_def(contract.form)
    rows = []
    for c in communications:
        type_ = form.type(c.kind)
        band = ""
        if c.awaiting and c.reply_due and c.sent_on:
            # Once deemed, a compensation event waits for its quotation by ``reply_due``.
            # After a notified failure the period that runs is the one to the deemed day, from
            # the reply's last day; once deemed, the quotation's, from the day it was deemed.
            start, due = c.sent_on, c.reply_due
            if c.state == CommunicationState.SENT and c.deems_on is not None:
                start, due = c.reply_due, c.deems_on
            elif c.state == CommunicationState.DEEMED and c.deemed_on is not None:
                start = c.deemed_on
            band = share_left(start=start, due=due, today=today)
        rows.append(RegisterRow(c, type_.label if type_ else c.kind, band))
    return rows


def compensation_events(*, user: User, contract: Contract) -> list[dict[str, object]]:
    """The compensation-event register: each event's first communication, its state, and the
    latest quotation's change to the Prices and the dates."""
    kinds = [
        t.key
        for t in catalogue.form_def(contract.form).types
        if t.family == catalogue.COMPENSATION_EVENT
    ]
    rows = list(
        communications_for_contract(user=user, contract=contract)
        .filter(kind__in=kinds)
        .annotate(root=Coalesce("thread_id", "id"))
        .order_by("number")
    )
    roots = [c for c in rows if c.thread_id is None]
    latest: dict[int, Communication] = {}
    for c in rows:
        if c.kind == "quotation" and c.is_sent:
            latest[c.thread_id or c.pk] = c
    return [{"event": root, "quotation": latest.get(root.pk)} for root in roots]


def thread_history(*, thread: Sequence[Communication]) -> QuerySet[Event]:
    """The events of a thread's communications, newest first. The caller has checked access."""
    if not thread:
        return Event.objects.none()
    # By object, not by contract: a draft's events are kept out of the contract's history.
    return Event.objects.filter(
        object_type=Communication._meta.label_lower,
        object_id__in=[c.pk for c in thread],
    ).order_by("-id")


@dataclass(frozen=True)
class ClockBoard:
    """The dashboard's clock: what the user's organisations must answer this week (and what
    is overdue), and the answers the other side owes them that are already late."""

    today: dt.date
    to_answer: Sequence[Communication]
    lapsed: Sequence[Communication]


def clock_board(*, user: User, today: dt.date, days: int = 7, limit: int = 10) -> ClockBoard:
    """Both lists in one query, earliest last day first; ``today`` is the user's."""
    mine = Membership.objects.filter(user=user).values("organisation_id")
    week_end = today + dt.timedelta(days=days - 1)
    rows: list[Communication] = list(
        Communication.objects.filter(
            contract__in=contracts_for_user(user=user),
            awaiting=True,
            state__in=(CommunicationState.SENT, CommunicationState.DEEMED),
        )
        .filter(
            Q(owed_by__organisation_id__in=mine, reply_due__lte=week_end)
            | (
                Q(sender__organisation_id__in=mine, reply_due__lt=today)
                & ~Q(owed_by__organisation_id__in=mine)
            )
        )
        .annotate(
            owed_by_mine=Exists(
                Membership.objects.filter(
                    user=user, organisation_id=OuterRef("owed_by__organisation_id")
                )
            )
        )
        .select_related(
            "contract", "sender__organisation", "recipient__organisation", "owed_by__organisation"
        )
        .order_by("reply_due", "pk")[: limit * 4]
    )
    to_answer = [c for c in rows if getattr(c, "owed_by_mine", False)]
    lapsed = [c for c in rows if not getattr(c, "owed_by_mine", False)]
    return ClockBoard(today=today, to_answer=to_answer[:limit], lapsed=lapsed[:limit])


def attachment_of(communication: Communication, pk: int) -> Attachment:
    """One of a communication the caller may see; any other id is not found."""
    # From the files read with the communication: no query of its own.
    found = next((a for a in communication.attachments.all() if a.pk == pk), None)
    if found is None:
        raise NotFound("attachment")
    return found


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download that no browser runs: evidence, never a page."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- what an open communication waits for, in words (the calendar feeds and the timeline) ----

# The answers named after the period they are owed within; any other answer is a reply.
OWED_NAMES = {"quotation_submit": "Quotation", "eot_decision": "Extension of time decision"}


@dataclass(frozen=True)
class Owed:
    """What an open communication waits for: the answer's name, the clause of the period for it,
    and the clause of the further period after a notified failure to answer ("" if none)."""

    what: str
    clause: str
    deemed_clause: str


def communication_owed(communication: Communication, form: str) -> Owed:
    """Say what ``communication``, on a contract of ``form``, waits for (no query)."""
    definition = catalogue.form_def(form)
    type_ = definition.type(communication.kind)
    key = type_.reply if type_ else None
    # A manager's reply owes back nothing but a quotation (an event accepted, a revision
    # instructed), as does an event treated as accepted (NEC4 cl. 61.4, 62.4): the services
    # count both from "quotation_submit".
    if communication.kind == "manager_reply" or (
        communication.kind == "ce_contractor" and communication.state == CommunicationState.DEEMED
    ):
        key = "quotation_submit"
    period = definition.period(key) if key else None
    deemed = definition.period(type_.deemed) if type_ and type_.deemed else None
    return Owed(
        what=OWED_NAMES.get(key or "", "Reply"),
        clause=(period.clause if period else "") or communication.clause,
        deemed_clause=deemed.clause if deemed else "",
    )


def deems_pending(communication: Communication) -> bool:
    """Is silence still about to be treated as acceptance (a failure notified, not yet deemed)?"""
    return communication.deems_on is not None and communication.state == CommunicationState.SENT
