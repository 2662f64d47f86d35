"""The contract's clock as action requests: the answer each party owes, by its last day.

A communication (``milepost.communications``) that waits for an answer asks the managers of
the party that owes it (``owed_by``), by ``reply_due``; an agreed extension moves the day and
asks again. Two more things are asked by the daily scan, because only the passing of a day
makes them due:

- once a reply is overdue on a communication silence can accept (a notified compensation
  event, a quotation, a programme), its sender is asked to notify the failure to reply:
  nothing is deemed without that notice;
- a compensation event recorded as a draft with the day the contractor became aware is asked
  to be notified from 4 weeks after that day, reminded at 6 weeks and escalated at 7, before
  its 8-week time bar (NEC4 cl. 61.3).

This module says what is owed, by whom and by when (``Due``); ``actions`` turns each into one
request per manager who may act for the party.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from milepost.audit.models import Event
from milepost.communications import catalogue
from milepost.communications.choices import CommunicationState
from milepost.communications.deadlines import deadline
from milepost.communications.events import CommunicationEvent
from milepost.communications.models import Communication
from milepost.communications.selectors import communication_owed, contract_period
from milepost.communications.services import day_ends_at
from milepost.contracts.choices import CLOSED_CONTRACT_STATUSES
from milepost.contracts.models import Party
from milepost.contracts.selectors import contract_calendar
from milepost.core.dates import local_today

from ..choices import ActionKind, CloseReason
from ..models import ActionRequest
from ..timing import latest_day_now

COMMUNICATION = "communications.communication"
RELATED = (
    "contract",
    "sender__organisation",
    "recipient__organisation",
    "owed_by__organisation",
    "in_reply_to",
)
# The time bar's warnings, in weeks from the day the contractor became aware.
WARN_WEEKS, REMIND_WEEKS, ESCALATE_WEEKS = 4, 6, 7


@dataclass(frozen=True)
class Due:
    """One answer a communication waits for: what, from which party, by when, in words."""

    kind: str
    communication: Communication
    party: Party
    sentence: str
    deadline: dt.date | None
    origin: str
    remind_on: dt.date | None = None
    escalate_on: dt.date | None = None
    # The request is pointless after this moment (a time bar's last day has ended).
    expires_at: dt.datetime | None = None

    @property
    def url(self) -> str:
        return reverse("communications:detail", args=[self.communication.pk])


def deadline_words(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _label(c: Communication) -> str:
    found = catalogue.form_def(c.contract.form).type(c.kind)
    return found.label.lower() if found else "communication"


def _named(c: Communication) -> str:
    return f"{c.reference} “{c.subject}”"


def reply_due(c: Communication, origin: str) -> Due | None:
    """The answer ``c`` waits for, if it waits for one."""
    if not c.awaiting or c.reply_due is None or c.owed_by is None:
        return None
    if c.state not in (CommunicationState.SENT, CommunicationState.DEEMED):
        return None
    type_ = catalogue.form_def(c.contract.form).type(c.kind)
    asked = "a quotation for" if c.state == CommunicationState.DEEMED else "an answer to"
    if c.kind == "manager_reply" and c.owed_by_id == c.sender_id:
        # The project manager said it would assess the event itself (NEC4 cl. 64).
        asked = "its own assessment for"
    then = ""
    if type_ is not None and type_.deemed and c.state == CommunicationState.SENT:
        then = (
            f" If none comes, {c.sender.organisation} may notify the failure to reply, and "
            "silence after that is acceptance."
        )
    return Due(
        kind=ActionKind.REPLY,
        communication=c,
        party=c.owed_by,
        sentence=(
            f"{c.owed_by.organisation} owes {c.sender.organisation if c.owed_by_id != c.sender_id else c.recipient.organisation} "
            f"{asked} {_named(c)} ({_label(c)}, cl. {communication_owed(c, c.contract.form).clause or 'of the contract'}) by "
            f"{deadline_words(c.reply_due)}.{then}"
        ),
        deadline=c.reply_due,
        # A moved deadline (an extension) is a new occurrence: asked again with the new day.
        origin=f"{origin}:d{c.reply_due.isoformat()}",
    )


def _communication(event: Event) -> Communication | None:
    if event.object_type != COMMUNICATION:
        return None
    return Communication.objects.select_related(*RELATED).filter(pk=event.object_id).first()


def dues_from_event(event: Event) -> list[Due]:
    """What a communication's event asks for next: its own answer, or its parent's again."""
    if event.action not in (
        CommunicationEvent.COMMUNICATION_SENT,
        CommunicationEvent.COMMUNICATION_DEEMED,
    ):
        return []
    c = _communication(event)
    if c is None or c.contract.is_closed:
        return []
    found = [
        reply_due(c, "sent" if event.action == CommunicationEvent.COMMUNICATION_SENT else "deemed")
    ]
    parent = c.in_reply_to
    if parent is not None and c.extends_to is not None:
        parent = Communication.objects.select_related(*RELATED).get(pk=parent.pk)
        found.append(reply_due(parent, "sent"))
    return [due for due in found if due is not None]


def closing(event: Event) -> list[tuple[Q, str]]:
    """The open requests a communication's event closes, and why."""
    if event.object_type != COMMUNICATION or not event.action.startswith("communication."):
        return []
    own = Q(object_type=COMMUNICATION, object_id=event.object_id)
    if event.action == CommunicationEvent.COMMUNICATION_WITHDRAWN:
        return [(own, CloseReason.MOOT)]
    if event.action == CommunicationEvent.COMMUNICATION_DEEMED:
        # Silence was acceptance: the answer and the failure notice are asked no more.
        return [(own & Q(kind__in=[ActionKind.REPLY, ActionKind.FAILURE_NOTICE]), CloseReason.MOOT)]
    if event.action != CommunicationEvent.COMMUNICATION_SENT:
        return []
    c = _communication(event)
    if c is None:
        return []
    found: list[tuple[Q, str]] = [(own & Q(kind=ActionKind.NOTIFY_EVENT), CloseReason.TAKEN)]
    parent = c.in_reply_to
    if parent is None:
        return found
    on_parent = Q(object_type=COMMUNICATION, object_id=parent.pk)
    type_ = catalogue.form_def(c.contract.form).type(c.kind)
    if type_ is not None and type_.failure:
        found.append((on_parent & Q(kind=ActionKind.FAILURE_NOTICE), CloseReason.TAKEN))
    elif c.extends_to is not None:
        # The request with the old day is moot; the one with the new day opens.
        found.append(
            (
                on_parent
                & Q(kind=ActionKind.REPLY)
                & ~Q(key__endswith=f":d{c.extends_to.isoformat()}"),
                CloseReason.MOOT,
            )
        )
    elif type_ is not None and not type_.follows:
        found.append((on_parent & Q(kind=ActionKind.REPLY), CloseReason.TAKEN))
        found.append((on_parent & Q(kind=ActionKind.FAILURE_NOTICE), CloseReason.MOOT))
    return found


def _failure_due(c: Communication) -> Due:
    assert c.reply_due is not None
    return Due(
        kind=ActionKind.FAILURE_NOTICE,
        communication=c,
        party=c.sender,
        sentence=(
            f"{c.recipient.organisation} did not answer {_named(c)} by "
            f"{deadline_words(c.reply_due)}. {c.sender.organisation} may notify the failure "
            "to reply; nothing is treated as accepted until it does."
        ),
        deadline=None,
        origin="overdue",
    )


def _notify_due(c: Communication, now: dt.datetime) -> Due | None:
    assert c.aware_on is not None
    try:
        period = contract_period(contract=c.contract, key="ce_notify")
    except Exception:
        return None
    cal = contract_calendar(contract=c.contract)
    bar = deadline(cal, c.aware_on, period.length, period.unit)
    if local_today(c.contract.time_zone, now) > bar:
        # Too late to warn: notified now, it is time-barred, as its own page will say.
        return None
    return Due(
        kind=ActionKind.NOTIFY_EVENT,
        communication=c,
        party=c.sender,
        sentence=(
            f"{c.sender.organisation} became aware of {_named(c)} on "
            f"{c.aware_on.day} {c.aware_on:%b %Y}: notify the compensation event by "
            f"{deadline_words(bar)} (cl. {period.clause}), or the Prices and the dates do not "
            "change for it."
        ),
        deadline=bar,
        origin="time-bar",
        remind_on=c.aware_on + dt.timedelta(weeks=REMIND_WEEKS),
        escalate_on=c.aware_on + dt.timedelta(weeks=ESCALATE_WEEKS),
        expires_at=day_ends_at(bar, c.contract.time_zone),
    )


def clock_missed(*, now: dt.datetime) -> list[Due]:
    """Once a day: replies overdue whose failure may now be notified, and compensation events
    recorded as drafts whose time bar is 4 weeks or less away. Each is asked once."""
    latest = latest_day_now(now)
    found: list[Due] = []
    asked = ActionRequest.objects.filter(
        object_type=COMMUNICATION, kind__in=[ActionKind.FAILURE_NOTICE, ActionKind.NOTIFY_EVENT]
    )
    deemable = sorted({t.key for f in catalogue.FORMS.values() for t in f.types if t.deemed})
    overdue = (
        Communication.objects.select_related(*RELATED)
        .filter(
            state=CommunicationState.SENT,
            awaiting=True,
            deems_on__isnull=True,
            reply_due__lt=latest,
            kind__in=deemable,
        )
        .exclude(contract__status__in=CLOSED_CONTRACT_STATUSES)
        .exclude(pk__in=asked.filter(kind=ActionKind.FAILURE_NOTICE).values("object_id"))
        .order_by("pk")
    )
    for c in overdue:
        if c.reply_due is not None and local_today(c.contract.time_zone, now) > c.reply_due:
            found.append(_failure_due(c))
    aware = (
        Communication.objects.select_related(*RELATED)
        .filter(
            state=CommunicationState.DRAFT,
            aware_on__isnull=False,
            aware_on__lte=latest - dt.timedelta(weeks=WARN_WEEKS),
            from_manager_instruction=False,
        )
        .exclude(contract__status__in=CLOSED_CONTRACT_STATUSES)
        .exclude(pk__in=asked.filter(kind=ActionKind.NOTIFY_EVENT).values("object_id"))
        .order_by("pk")
    )
    for c in aware:
        assert c.aware_on is not None
        if local_today(c.contract.time_zone, now) < c.aware_on + dt.timedelta(weeks=WARN_WEEKS):
            continue
        due = _notify_due(c, now)
        if due is not None:
            found.append(due)
    return found
