"""The events the communications app records, and how each reads (``milepost.audit.sentences``).

A communication's events carry everything its clock was counted from (the day, the period,
its unit and clause), so that every deadline and deemed outcome can be worked out again from
the trail alone.
"""

from typing import Any

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence
from milepost.contracts.choices import ContractForm

from .choices import CommunicationState, Outcome
from .deadlines import period_words


class CommunicationEvent(EventType):
    """What happens to a contract's formal communications and its clock."""

    CONTRACT_FORM_SET = "contract_form.set"
    CONTRACT_PERIOD_CHANGED = "contract_period.changed"
    COMMUNICATION_DRAFTED = "communication.drafted"
    COMMUNICATION_SENT = "communication.sent"
    COMMUNICATION_WITHDRAWN = "communication.withdrawn"
    COMMUNICATION_DEEMED = "communication.deemed"
    COMMUNICATION_ATTACHED = "communication.attached"


def _form(value: Any) -> str:
    return ContractForm(value).label if value in ContractForm.values else "its own form"


def _period(length: Any, unit: Any) -> str:
    return "not set" if length is None else period_words(int(length), str(unit))


def _clause(value: Any) -> str:
    return f" (cl. {value})" if value else ""


def _ref(e: Told, key: str = "reference") -> str:
    return str(e.after(key) or e.before(key) or "a communication")


@sentence(
    CommunicationEvent.CONTRACT_FORM_SET,
    example={"before": {"form": "plain"}, "after": {"form": "nec4_ecc"}},
)
def _form_set(e: Told) -> str:
    return (
        f"{e.actor} put {e.contract} on the {_form(e.after('form'))} "
        f"(it was on the {_form(e.before('form'))})."
    )


@sentence(
    CommunicationEvent.CONTRACT_PERIOD_CHANGED,
    example={
        "before": {"label": "The period for reply", "clause": "13.3", "length": 2, "unit": "weeks"},
        "after": {"label": "The period for reply", "clause": "13.3", "length": 3, "unit": "weeks"},
    },
)
def _period_changed(e: Told) -> str:
    label = str(e.after("label") or "a period")
    return (
        f"{e.actor} changed {label[:1].lower()}{label[1:]}{_clause(e.after('clause'))} in "
        f"{e.contract}'s contract data from {_period(e.before('length'), e.before('unit'))} "
        f"to {_period(e.after('length'), e.after('unit'))}."
    )


@sentence(
    CommunicationEvent.COMMUNICATION_DRAFTED,
    example={"after": {"reference": "C-004", "label": "Quotation", "subject": "Late access"}},
)
def _drafted(e: Told) -> str:
    return (
        f"{e.actor} drafted {_ref(e)}, a {str(e.after('label') or 'communication').lower()} "
        f"“{e.after('subject') or ''}”, not yet sent."
    )


def _outcome(value: Any) -> str:
    return Outcome(value).label.lower() if value in Outcome.values and value else ""


@sentence(
    CommunicationEvent.COMMUNICATION_SENT,
    example={
        "after": {
            "reference": "C-004",
            "label": "Compensation event notified by the Contractor",
            "clause": "61.3",
            "subject": "Late access to the east site",
            "sender": "Northgate Construction",
            "recipient": "Arden Project Management",
            "state": "sent",
            "reply_due": "2026-12-14",
            "owed_by": "Arden Project Management",
        }
    },
)
def _sent(e: Told) -> str:
    label = str(e.after("label") or "communication")
    sender = e.organisation(e.after("sender"), "a party")
    recipient = e.organisation(e.after("recipient"), "a party")
    what = f"{label[:1].lower()}{label[1:]}{_clause(e.after('clause'))}"
    if e.after("recorded_later"):
        head = (
            f"{e.actor} recorded {_ref(e)} “{e.after('subject') or ''}”, sent by {sender} to "
            f"{recipient} on {e.date(e.after('sent_on'))}: {what}"
        )
    else:
        head = f"{e.actor} sent {_ref(e)} “{e.after('subject') or ''}” for {sender} to {recipient}: {what}"
    parts = [head]
    parent = e.after("in_reply_to")
    if parent:
        outcome = _outcome(e.after("outcome"))
        parts.append(f", answering {parent}" + (f" ({outcome})" if outcome else ""))
    if e.after("state") == CommunicationState.TIME_BARRED:
        parts.append(
            f". It is time-barred: the sender became aware on {e.date(e.after('aware_on'))} "
            f"and the last day to notify was {e.date(e.after('time_bar_date'))}, so the "
            "Prices and the dates do not change for it"
        )
    if e.after("extends_to"):
        parts.append(f". The reply to {parent} is now due by {e.date(e.after('extends_to'))}")
    if e.after("parent_deems_on"):
        parts.append(
            f". Unless {e.organisation(e.after('recipient'), 'the other party')} replies by "
            f"{e.date(e.after('parent_deems_on'))}, {parent} is treated as accepted"
        )
    if e.after("parent_state") == CommunicationState.IMPLEMENTED or e.after("thread_implemented"):
        parts.append(f". {e.after('thread') or parent} is implemented{_changes(e)}")
    if e.after("reply_due"):
        parts.append(
            f". A reply is due from {e.organisation(e.after('owed_by'), 'the other party')} "
            f"by {e.date(e.after('reply_due'))}"
        )
    return "".join(parts) + "."


@sentence(
    CommunicationEvent.COMMUNICATION_WITHDRAWN,
    example={"after": {"reference": "C-004", "subject": "Late access", "was": "sent"}},
)
def _withdrawn(e: Told) -> str:
    what = "the draft" if e.after("was") == CommunicationState.DRAFT else ""
    return f"{e.actor} withdrew {what + ' ' if what else ''}{_ref(e)} “{e.after('subject') or ''}”."


@sentence(
    CommunicationEvent.COMMUNICATION_DEEMED,
    example={
        "after": {
            "reference": "C-004",
            "subject": "Late access",
            "clause": "61.4",
            "deems_on": "2026-12-21",
            "owed_by": "Arden Project Management",
            "label": "Compensation event notified by the Contractor",
        }
    },
)
def _deemed(e: Told) -> str:
    text = (
        f"{_ref(e)} “{e.after('subject') or ''}” is treated as accepted under "
        f"cl. {e.after('clause') or 'of the contract'}: "
        f"{e.organisation(e.after('owed_by'), 'the other party')} did not reply by "
        f"{e.date(e.after('deems_on'))}, after the failure to reply was notified"
    )
    if e.after("reply_due"):
        text += f". A quotation is due by {e.date(e.after('reply_due'))}"
    if e.after("thread_implemented"):
        text += f". {e.after('thread')} is implemented{_changes(e)}"
    return text + "."


def _changes(e: Told) -> str:
    """ ", and 2 change requests are open for approval; not for Fit-out: …" """
    opened = e.after("changes") or []
    refused = e.after("changes_not_opened") or []
    text = ""
    if opened:
        text = f", and {e.count(len(opened), 'change request')} {'is' if len(opened) == 1 else 'are'} open for approval"
    if refused:
        text += f" (none for {'; '.join(str(r).rstrip('.') for r in refused)})"
    if e.after("money_not_placed"):
        text += (
            f"; the {e.after('money_not_placed')} quoted is on no payment milestone it names, "
            "for the parties to place"
        )
    return text


@sentence(
    CommunicationEvent.COMMUNICATION_ATTACHED,
    example={"after": {"reference": "C-004", "name": "survey.pdf", "size": 52100}},
)
def _attached(e: Told) -> str:
    return f"{e.actor} attached {e.quoted(e.after('name'), 'a file')} to {_ref(e)}."
