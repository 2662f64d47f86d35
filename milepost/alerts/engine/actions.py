"""Action requests: opened and closed from the event log, reminded and escalated by a scan.

``actions_from_events`` runs inside the event fan-out's transaction (job 1), so a request
opens or closes in the same transaction that moves the cursor past its event: a crash did
both or neither, and reading an event again opens nothing twice (``ActionRequest.key``).
Who is asked comes from each lower app's own rule (``change_request_can_decide``,
``ContractAccess.acts_for`` with the role its service demands), never a copy of it.
``actions_due`` (its own job in the tick) expires, reminds and escalates what waits, and once
a day asks the owners of performance targets for the periods that have ended.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Q

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.approvals.events import ApprovalEvent, gate_name
from milepost.approvals.models import GateDecision, GateRequirement
from milepost.audit.models import Event
from milepost.communications.events import CommunicationEvent
from milepost.contracts.choices import CLOSED_CONTRACT_STATUSES, ContractStatus, PartyRole
from milepost.contracts.events import ContractEvent
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contract_access, contract_calendar
from milepost.core.dates import local_today
from milepost.core.money import format_money
from milepost.core.workdays import Calendar
from milepost.finance.events import FinanceEvent
from milepost.milestones.events import UpdateRequestEvent
from milepost.milestones.links import update_request_path
from milepost.payments.events import PaymentEvent
from milepost.payments.models import PaymentTerms
from milepost.performance.events import PerformanceEvent
from milepost.performance.models import KPI, Measurement, next_period_start, period_starts
from milepost.schedule.acceptance import deliverable_may_decide
from milepost.schedule.changes import change_request_can_decide
from milepost.schedule.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    ChangeStatus,
    MilestoneKind,
    MilestoneStatus,
    RecoveryStatus,
)
from milepost.schedule.events import ScheduleEvent
from milepost.schedule.models import ChangeRequest, Milestone, RecoveryAction

from ..choices import ActionKind, Channel, CloseReason, Kind
from ..events import PublishedEvent
from ..models import ActionRequest, ActionRule, WebhookEndpoint, WorkerCursor
from ..timing import day_starts_somewhere, latest_day_now
from . import clock
from .compose import (
    MILESTONE_RELATED,
    Audience,
    Row,
    _now,
    _url_pattern,
    _webhook_rows,
    milestone_payload,
    notifications_insert,
)
from .cycles import Due, dues_from_event, notices_missed
from .cycles import closing as cycle_closing

# The defaults when an organisation has no ``ActionRule``: working days.
REMIND_AFTER = 2
ONE_DAY = dt.timedelta(days=1)
ESCALATE_AFTER = 5
DAILY_CURSOR = "actions-daily"
MANAGERS = (Role.MANAGER, Role.ADMIN)


def day(value: dt.date | str | None) -> str:
    """A date as people read it: "3 Mar 2027"."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}" if value else "no date"


def _after(event: Event) -> dict[str, Any]:
    """The event's after-snapshot; one that is not an object (a bad import) reads as empty."""
    return event.after if isinstance(event.after, dict) else {}


def page(name: str, pk: int) -> str:
    """The path of an object's page (no host), where its action is taken."""
    return _url_pattern(name).format(pk=pk)


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user is not None else "Milepost"


# --- what is asked -------------------------------------------------------------------------------


@dataclass
class Ask:
    """One request to open: what, for whom, acting for which organisation, and what it says."""

    kind: str
    object_type: str
    object_id: int
    contract: Contract
    milestone: Milestone | None
    recipient: User
    organisation_id: int | None
    sentence: str
    url: str
    origin: str
    expires_at: dt.datetime | None = None
    # A deadline of its own (a payment cycle's notice or final date): reminded before it.
    deadline: dt.date | None = None
    # Days of its own to remind and escalate on (a time bar's warnings), instead of the rule's.
    remind_on: dt.date | None = None
    escalate_on: dt.date | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.object_type}:{self.object_id}:u{self.recipient.pk}:{self.origin}"


def _managers_of(parties: Iterable[Party]) -> list[tuple[User, Party]]:
    """Each active manager or admin of the parties' organisations, with the party."""
    by_org: dict[int, list[Party]] = defaultdict(list)
    for party in parties:
        by_org[party.organisation_id].append(party)
    found = []
    for m in Membership.objects.filter(
        organisation__in=by_org, role__in=MANAGERS, user__is_active=True
    ).select_related("user", "organisation"):
        for party in by_org[m.organisation_id]:
            found.append((m.user, party))
    return found


def _acting(contract: Contract, party: Party, users: list[tuple[User, Party]]) -> list[User]:
    """The users who may act for ``party`` as a manager, by the contract's own access rule."""
    return [
        user
        for user, p in users
        if p.pk == party.pk
        and contract_access(user=user, contract=contract).acts_for(party.pk, Role.MANAGER)
    ]


def _milestone(pk: int | None) -> Milestone | None:
    if pk is None:
        return None
    return Milestone.objects.select_related(*MILESTONE_RELATED).filter(pk=pk).first()


def _change_asks(event: Event) -> list[Ask]:
    change = (
        ChangeRequest.objects.select_related(
            "contract", "milestone", "requested_by", "requesting_party__organisation"
        )
        .filter(pk=event.object_id)
        .first()
    )
    if change is None or change.status != ChangeStatus.PENDING:
        return []
    parties = change.contract.parties.exclude(role=PartyRole.OBSERVER).exclude(
        pk=change.requesting_party_id
    )
    asks = []
    for user, party in _managers_of(parties.select_related("organisation")):
        if user.pk == change.requested_by_id or not change_request_can_decide(
            change=change, user=user
        ):
            continue
        asks.append(
            Ask(
                kind=ActionKind.CHANGE_APPROVAL,
                object_type=event.object_type,
                object_id=change.pk,
                contract=change.contract,
                milestone=change.milestone,
                recipient=user,
                organisation_id=party.organisation_id,
                sentence=(
                    f"{_name(change.requested_by)} asked {party.organisation} to approve "
                    f"{change_words(change)}."
                ),
                url=page("change-request-detail", change.pk),
                origin=f"e{event.pk}",
            )
        )
    return asks


def change_words(change: ChangeRequest) -> str:
    """What a change does, in words: "moving X from 3 Mar 2027 to 17 Mar 2027"."""
    title = change.milestone.title
    parts = []
    if change.new_due_date is not None:
        parts.append(
            f"moving {title} from {day(change.old_due_date)} to {day(change.new_due_date)}"
        )
    if change.new_amount is not None:
        currency = change.contract.currency
        amount = (
            f"from {format_money(change.old_amount, currency)} "
            if change.old_amount is not None
            else ""
        )
        what = "its amount" if parts else f"the amount of {title}"
        parts.append(f"changing {what} {amount}to {format_money(change.new_amount, currency)}")
    return " and ".join(parts)


def _gate_open_for_decision(gate: Milestone) -> bool:
    if gate.kind != MilestoneKind.GATE or gate.status not in OPEN_STATUSES:
        return False
    if gate.contract.status != ContractStatus.ACTIVE:
        return False
    # The same test the milestone's own service makes before a successor may be met.
    return not (
        Milestone.objects.filter(successor_links__successor=gate)
        .exclude(status__in=DONE_STATUSES)
        .exists()
    )


def _gate_name(gate: Milestone) -> str:
    """Name a gate once: "The Fit-out stage gate", "The Design gate"."""
    return f"The {gate_name(gate.title)}"


def _gate_asks(gate: Milestone, event: Event) -> list[Ask]:
    if not _gate_open_for_decision(gate):
        return []
    decided = GateDecision.objects.filter(milestone=gate).values("party_id")
    parties = [
        r.party
        for r in GateRequirement.objects.filter(milestone=gate)
        .exclude(party_id__in=decided)
        .select_related("party__organisation")
    ]
    managers = _managers_of(parties)
    asks = []
    for party in parties:
        for user in _acting(gate.contract, party, managers):
            asks.append(
                Ask(
                    kind=ActionKind.GATE_DECISION,
                    object_type="schedule.milestone",
                    object_id=gate.pk,
                    contract=gate.contract,
                    milestone=gate,
                    recipient=user,
                    organisation_id=party.organisation_id,
                    sentence=(
                        f"{_gate_name(gate)} waits for the decision of {party.organisation}: "
                        "everything before it is met."
                    ),
                    url=page("milestones:milestone-detail", gate.pk),
                    origin=f"e{event.pk}",
                )
            )
    return asks


def _gates_after(event: Event) -> list[Ask]:
    """A milestone done: the open gates that follow it may have become decidable."""
    if _after(event).get("status") not in DONE_STATUSES:
        return []
    gates = Milestone.objects.select_related(*MILESTONE_RELATED).filter(
        predecessor_links__predecessor_id=event.milestone_id,
        kind=MilestoneKind.GATE,
        status__in=OPEN_STATUSES,
    )
    return [ask for gate in gates for ask in _gate_asks(gate, event)]


def _gate_itself(event: Event) -> list[Ask]:
    gate = _milestone(event.milestone_id)
    return _gate_asks(gate, event) if gate is not None else []


def _acceptance_asks(event: Event) -> list[Ask]:
    milestone = _milestone(event.milestone_id)
    if (
        milestone is None
        or milestone.status not in OPEN_STATUSES
        or milestone.accepting_party_id is None
    ):
        return []
    party = Party.objects.select_related("organisation").get(pk=milestone.accepting_party_id)
    return [
        Ask(
            kind=ActionKind.ACCEPTANCE,
            object_type="schedule.milestone",
            object_id=milestone.pk,
            contract=milestone.contract,
            milestone=milestone,
            recipient=user,
            organisation_id=party.organisation_id,
            sentence=f"{_name(event.actor)} asked {party.organisation} to accept {milestone.title}.",
            url=page("milestones:milestone-detail", milestone.pk),
            origin=f"e{event.pk}",
        )
        for user, _ in _managers_of([party])
        if deliverable_may_decide(milestone=milestone, user=user) is None
    ]


def _payment_asks(event: Event) -> list[Ask]:
    terms = (
        PaymentTerms.objects.select_related(
            "payer__organisation", "payee__organisation", "milestone__contract"
        )
        .filter(pk=event.object_id)
        .first()
    )
    if terms is None or terms.milestone.status not in OPEN_STATUSES:
        return []
    milestone, payer = terms.milestone, terms.payer
    amount = format_money(terms.invoiced_amount, milestone.contract.currency)
    return [
        Ask(
            kind=ActionKind.PAYMENT,
            object_type=event.object_type,
            object_id=terms.pk,
            contract=milestone.contract,
            milestone=milestone,
            recipient=user,
            organisation_id=payer.organisation_id,
            sentence=(
                f"{_name(event.actor)} invoiced {payer.organisation} {amount} for "
                f"{milestone.title}, to be paid to {terms.payee.organisation}."
            ),
            url=page("milestones:milestone-detail", milestone.pk),
            origin=f"e{event.pk}",
        )
        for user in _acting(milestone.contract, payer, _managers_of([payer]))
    ]


def _recovery_asks(event: Event) -> list[Ask]:
    action = (
        RecoveryAction.objects.select_related("milestone__contract", "owner")
        .filter(pk=event.object_id, status=RecoveryStatus.OPEN)
        .first()
    )
    if action is None or not action.owner.is_active:
        return []
    milestone = action.milestone
    if not contract_access(user=action.owner, contract=milestone.contract).can_view:
        return []
    return [
        Ask(
            kind=ActionKind.RECOVERY,
            object_type=event.object_type,
            object_id=action.pk,
            contract=milestone.contract,
            milestone=milestone,
            recipient=action.owner,
            organisation_id=None,
            sentence=(
                f"{_name(event.actor)} asked you to recover {milestone.title} by "
                f"{day(action.new_target)}: {action.plan[:300]}"
            ),
            url=page("milestones:milestone-detail", milestone.pk),
            origin=f"e{event.pk}",
        )
    ]


def _update_request_asks(event: Event) -> list[Ask]:
    after = _after(event)
    recipient_id = after.get("recipient")
    if not isinstance(recipient_id, int):
        return []
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    milestone = _milestone(event.milestone_id)
    if recipient is None or milestone is None or milestone.status not in OPEN_STATUSES:
        return []
    if recipient.pk == event.actor_id:
        return []  # a round asks every owner, its sender too: nobody waits on themself
    expires = after.get("expires_at")
    return [
        Ask(
            kind=ActionKind.PROGRESS_UPDATE,
            object_type=event.object_type,
            object_id=event.object_id,
            contract=milestone.contract,
            milestone=milestone,
            recipient=recipient,
            organisation_id=None,
            sentence=f"{_name(event.actor)} asked how {milestone.title} is going.",
            url=update_request_path(event.object_id),
            origin=f"e{event.pk}",
            expires_at=dt.datetime.fromisoformat(expires) if expires else None,
        )
    ]


def _cycle_asks(dues: list[Due]) -> list[Ask]:
    """Ask each manager who may act for the party a payment cycle waits on."""
    asks: list[Ask] = []
    # One lookup of the managers for every party asked, and of each milestone, not one per due.
    managers = _managers_of({due.party.pk: due.party for due in dues}.values()) if dues else []
    milestones: dict[int, Milestone | None] = {}
    for due in dues:
        contract = due.cycle.contract
        key = due.cycle.milestone_id
        if key is not None and key not in milestones:
            milestones[key] = _milestone(key)
        for user in _acting(contract, due.party, managers):
            asks.append(
                Ask(
                    kind=due.kind,
                    object_type="finance.paymentcycle",
                    object_id=due.cycle.pk,
                    contract=contract,
                    milestone=milestones.get(key) if key is not None else None,
                    recipient=user,
                    organisation_id=due.party.organisation_id,
                    sentence=due.sentence,
                    url=due.url,
                    origin=due.origin,
                    expires_at=due.expires_at(),
                    deadline=due.deadline,
                )
            )
    return asks


def _cycle_event_asks(event: Event) -> list[Ask]:
    return _cycle_asks(dues_from_event(event))


def _clock_asks(dues: list[clock.Due]) -> list[Ask]:
    """Ask each manager who may act for the party a communication waits on."""
    asks: list[Ask] = []
    managers = _managers_of({due.party.pk: due.party for due in dues}.values()) if dues else []
    for due in dues:
        contract = due.communication.contract
        for user in _acting(contract, due.party, managers):
            asks.append(
                Ask(
                    kind=due.kind,
                    object_type=clock.COMMUNICATION,
                    object_id=due.communication.pk,
                    contract=contract,
                    milestone=None,
                    recipient=user,
                    organisation_id=due.party.organisation_id,
                    sentence=due.sentence,
                    url=due.url,
                    origin=due.origin,
                    deadline=due.deadline,
                    remind_on=due.remind_on,
                    escalate_on=due.escalate_on,
                    expires_at=due.expires_at,
                )
            )
    return asks


def _clock_event_asks(event: Event) -> list[Ask]:
    return _clock_asks(clock.dues_from_event(event))


OPENERS: dict[str, Callable[[Event], list[Ask]]] = {
    ScheduleEvent.CHANGE_REQUEST_SUBMITTED: _change_asks,
    ApprovalEvent.GATE_APPROVER_REQUIRED: _gate_itself,
    ApprovalEvent.GATE_REOPENED: _gate_itself,
    ScheduleEvent.DELIVERABLE_SUBMITTED: _acceptance_asks,
    PaymentEvent.PAYMENT_INVOICED: _payment_asks,
    ScheduleEvent.RECOVERY_ACTION_ADDED: _recovery_asks,
    UpdateRequestEvent.SENT: _update_request_asks,
    FinanceEvent.PAYMENT_CYCLE_APPLIED: _cycle_event_asks,
    FinanceEvent.PAYMENT_CYCLE_NOTIFIED: _cycle_event_asks,
    FinanceEvent.PAYMENT_CYCLE_DEFAULTED: _cycle_event_asks,
    FinanceEvent.PAYMENT_CYCLE_PAY_LESS: _cycle_event_asks,
    FinanceEvent.PAYMENT_CYCLE_PAID: _cycle_event_asks,
    CommunicationEvent.COMMUNICATION_SENT: _clock_event_asks,
    CommunicationEvent.COMMUNICATION_DEEMED: _clock_event_asks,
}


# --- what closes them ----------------------------------------------------------------------------


def _open_requests() -> "Any":
    return ActionRequest.objects.filter(closed_at__isnull=True)


def _closing(event: Event) -> list[tuple[Q, str]]:
    """The open requests the event closes, and why, in the order to close them."""
    action, after = event.action, _after(event)
    on_object = Q(object_type=event.object_type, object_id=event.object_id)
    found: list[tuple[Q, str]] = []
    if action in (
        ScheduleEvent.CHANGE_REQUEST_APPROVED,
        ScheduleEvent.CHANGE_REQUEST_REJECTED,
    ):
        found.append((on_object & Q(kind=ActionKind.CHANGE_APPROVAL), CloseReason.TAKEN))
    elif action == ScheduleEvent.CHANGE_REQUEST_WITHDRAWN:
        found.append((on_object & Q(kind=ActionKind.CHANGE_APPROVAL), CloseReason.MOOT))
    elif action == ApprovalEvent.GATE_DECIDED:
        decision = GateDecision.objects.filter(pk=event.object_id).select_related("party").first()
        if decision is not None:
            found.append(
                (
                    Q(
                        kind=ActionKind.GATE_DECISION,
                        milestone_id=decision.milestone_id,
                        organisation_id=decision.party.organisation_id,
                    ),
                    CloseReason.TAKEN,
                )
            )
    elif action in (ScheduleEvent.DELIVERABLE_ACCEPTED, ScheduleEvent.DELIVERABLE_REJECTED):
        found.append(
            (Q(kind=ActionKind.ACCEPTANCE, milestone_id=event.milestone_id), CloseReason.TAKEN)
        )
    elif action == PaymentEvent.PAYMENT_PAID:
        terms = PaymentTerms.objects.filter(pk=event.object_id).first()
        if terms is not None and terms.outstanding == 0:
            found.append((on_object & Q(kind=ActionKind.PAYMENT), CloseReason.TAKEN))
    elif action == PerformanceEvent.MEASUREMENT_RECORDED:
        measurement = Measurement.objects.filter(pk=event.object_id).first()
        if measurement is not None:
            found.append(
                (
                    Q(
                        kind=ActionKind.MEASUREMENT,
                        object_type="performance.kpi",
                        object_id=measurement.kpi_id,
                        key__endswith=f":p{measurement.period_start.isoformat()}",
                    ),
                    CloseReason.TAKEN,
                )
            )
    elif action == ScheduleEvent.RECOVERY_ACTION_COMPLETED:
        found.append((on_object & Q(kind=ActionKind.RECOVERY), CloseReason.TAKEN))
    elif action == ScheduleEvent.RECOVERY_ACTION_UPDATED and "owner" in after:
        # The action has a new owner: the old one's request is moot, the new one is asked.
        found.append(
            (
                on_object & Q(kind=ActionKind.RECOVERY) & ~Q(recipient__username=after["owner"]),
                CloseReason.MOOT,
            )
        )
    elif action == UpdateRequestEvent.ANSWERED:
        found.append((on_object & Q(kind=ActionKind.PROGRESS_UPDATE), CloseReason.TAKEN))
    elif action == UpdateRequestEvent.REVOKED:
        found.append((on_object & Q(kind=ActionKind.PROGRESS_UPDATE), CloseReason.MOOT))
    elif action == ContractEvent.CONTRACT_STATUS_CHANGED and after.get("status") in (
        CLOSED_CONTRACT_STATUSES
    ):
        found.append((Q(contract_id=event.contract_id or event.object_id), CloseReason.MOOT))
    found += cycle_closing(event)
    found += clock.closing(event)
    # A milestone that closed (met, missed, waived, cancelled), by whatever service: what was
    # still asked about it has nothing left to decide.
    if (
        event.object_type == "schedule.milestone"
        and event.milestone_id
        and after.get("status") in MilestoneStatus.values
        and after.get("status") not in OPEN_STATUSES
    ):
        found.append((Q(milestone_id=event.milestone_id), CloseReason.MOOT))
    return found


# --- the fan-out's part --------------------------------------------------------------------------


@dataclass
class _Batch:
    """What one run opens and closes, and the notification rows that tell of it."""

    now: dt.datetime
    rows: list[Row] = field(default_factory=list)
    rules: dict[int, ActionRule] = field(default_factory=dict)
    calendars: dict[int, Calendar] = field(default_factory=dict)
    opened: int = 0
    closed: int = 0


def actions_from_events(events: list[Event], now: dt.datetime) -> list[Row]:
    """Open and close the requests the events call for; return the rows that tell people.

    Runs in the fan-out's transaction; events are taken in order, so a request opened and
    answered in the same batch ends closed.
    """
    batch = _Batch(now=now)
    for event in events:
        for query, reason in _closing(event):
            _close(_open_requests().filter(query), reason, batch, event=event)
        asks = []
        opener = OPENERS.get(event.action)
        if opener is not None:
            asks += opener(event)
        if event.action == ScheduleEvent.RECOVERY_ACTION_UPDATED and "owner" in _after(event):
            asks += _recovery_asks(event)
        if event.milestone_id and event.object_type == "schedule.milestone":
            asks += _gates_after(event)
        if asks:
            _open(asks, batch, event=event)
        batch.rows += outcome_rows(event, now)
    return batch.rows


def _rule(batch: _Batch, organisation_id: int | None) -> tuple[int, int | None]:
    if organisation_id is None:
        return REMIND_AFTER, ESCALATE_AFTER
    if organisation_id not in batch.rules:
        found = ActionRule.objects.filter(organisation_id=organisation_id).first()
        batch.rules[organisation_id] = found or ActionRule(organisation_id=organisation_id)
    rule = batch.rules[organisation_id]
    return rule.remind_after, rule.escalate_after


def _open(asks: list[Ask], batch: _Batch, *, event: Event | None) -> list[ActionRequest]:
    """Insert the requests not already open (one per kind, object and recipient)."""
    unique: dict[tuple[str, str, int, int], Ask] = {}
    for ask in asks:
        unique.setdefault((ask.kind, ask.object_type, ask.object_id, ask.recipient.pk), ask)
    taken = set(
        _open_requests()
        .filter(
            Q(key__in=[a.key for a in unique.values()])
            | Q(
                kind__in={a.kind for a in unique.values()},
                object_id__in={a.object_id for a in unique.values()},
            )
        )
        .values_list("kind", "object_type", "object_id", "recipient_id")
    )
    existing_keys = set(
        ActionRequest.objects.filter(key__in=[a.key for a in unique.values()]).values_list(
            "key", flat=True
        )
    )
    new = []
    for index, ask in unique.items():
        if index in taken or ask.key in existing_keys:
            continue
        opened_on = local_today(ask.contract.time_zone, batch.now)
        if ask.contract.pk not in batch.calendars:
            # The contract's own calendar: its region's holidays and its own days off.
            batch.calendars[ask.contract.pk] = contract_calendar(contract=ask.contract)
        cal = batch.calendars[ask.contract.pk]
        remind_after, escalate_after = _rule(batch, ask.organisation_id)
        remind_on = cal.shift(opened_on, remind_after, working=True)
        escalate_on = (
            cal.shift(opened_on, escalate_after, working=True)
            if escalate_after and ask.kind != ActionKind.PROGRESS_UPDATE
            else None
        )
        if ask.remind_on is not None:
            # Days of its own (a time bar's warnings): each on a working day (the one before,
            # when it falls on a day off), never before tomorrow, escalated by the deadline.
            remind_on = max(cal.shift(ask.remind_on, 0, working=True), opened_on + ONE_DAY)
            escalate_on = None
            if ask.escalate_on is not None:
                escalate_on = cal.shift(ask.escalate_on, 0, working=True)
                if ask.deadline is not None:
                    escalate_on = min(escalate_on, cal.shift(ask.deadline, 0, working=True))
                escalate_on = max(escalate_on, cal.shift(remind_on, 1, working=True))
        elif ask.deadline is not None:
            remind_on, escalate_on = _before_deadline(
                cal, opened_on, ask.deadline, remind_on, escalate_on
            )
        new.append(
            ActionRequest(
                key=ask.key,
                kind=ask.kind,
                contract=ask.contract,
                milestone=ask.milestone,
                object_type=ask.object_type,
                object_id=ask.object_id,
                recipient=ask.recipient,
                organisation_id=ask.organisation_id,
                asked_by=event.actor if event is not None else None,
                sentence=ask.sentence[:500],
                url=ask.url,
                opened_at=batch.now,
                opened_by=event,
                remind_on=remind_on,
                escalate_on=escalate_on,
                next_at=day_starts_somewhere(remind_on),
                expires_at=ask.expires_at,
            )
        )
    if not new:
        return []
    ActionRequest.objects.bulk_create(new, ignore_conflicts=True)
    created = list(
        ActionRequest.objects.filter(key__in=[r.key for r in new], closed_at__isnull=True)
        .select_related("recipient", "organisation", "contract")
        .order_by("pk")
    )
    milestones = {a.milestone.pk: a.milestone for a in unique.values() if a.milestone}
    audience = Audience()
    audience.load(r.recipient for r in created)
    endpoints = _endpoints_of({r.organisation_id for r in created if r.organisation_id})
    for request in created:
        request.milestone = milestones.get(request.milestone_id or 0)
        common = _common(request, PublishedEvent.ACTION_REQUEST_OPENED, event)
        batch.rows += audience.rows(
            request.recipient,
            key=f"a:{request.pk}:open",
            at=batch.now,
            day=None,
            now=batch.now,
            channels=(Channel.INAPP, Channel.EMAIL),
            **common,
        )
        batch.rows += _webhook_rows(
            endpoints.get(request.organisation_id or 0, []),
            key=f"a:{request.pk}:open",
            now=batch.now,
            **common,
        )
    batch.opened += len(created)
    return created


def _before_deadline(
    cal: Calendar,
    opened_on: dt.date,
    deadline: dt.date,
    remind_on: dt.date,
    escalate_on: dt.date | None,
) -> tuple[dt.date, dt.date | None]:
    """Move a request's reminder to the working day before its deadline at the latest, and its
    escalation to the deadline's day (the working day before it when it falls on a day off), never
    on the day it opens nor both on one day, and never on a day off."""
    remind_on = max(min(remind_on, cal.shift(deadline, -1, working=True)), opened_on + ONE_DAY)
    if escalate_on is not None:
        last_working = cal.shift(deadline + ONE_DAY, -1, working=True)
        escalate_on = max(min(escalate_on, last_working), cal.shift(remind_on, 1, working=True))
    return remind_on, escalate_on


def _close(
    requests: Any, reason: str, batch: _Batch, *, event: Event | None
) -> list[ActionRequest]:
    found = list(requests.select_related("contract", "milestone", "recipient").order_by("pk"))
    if not found:
        return []
    ActionRequest.objects.filter(pk__in=[r.pk for r in found], closed_at__isnull=True).update(
        closed_at=batch.now, close_reason=reason, closed_by=event, next_at=None
    )
    endpoints = _endpoints_of({r.organisation_id for r in found if r.organisation_id})
    for request in found:
        request.closed_at, request.close_reason = batch.now, reason
        batch.rows += _webhook_rows(
            endpoints.get(request.organisation_id or 0, []),
            key=f"a:{request.pk}:closed",
            now=batch.now,
            **_common(request, PublishedEvent.ACTION_REQUEST_CLOSED, event),
        )
    batch.closed += len(found)
    return found


def _endpoints_of(org_ids: set[int]) -> dict[int, list[WebhookEndpoint]]:
    found: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(
        organisation__in=org_ids, disabled_at__isnull=True
    ):
        found[endpoint.organisation_id].append(endpoint)
    return found


def action_url(request: ActionRequest) -> str:
    return f"{settings.MILEPOST_BASE_URL}{request.url}"


def _common(request: ActionRequest, event_type: str, event: Event | None) -> dict[str, Any]:
    """The columns and payload every message about ``request`` shares."""
    milestone = request.milestone
    summary = request.sentence
    if milestone is not None:
        days = (milestone.due_date - local_today(request.contract.time_zone)).days
        payload = milestone_payload(milestone, event_type, days=days, summary=summary)
    else:
        payload = {"type": event_type, "summary": summary}
    payload["action"] = {
        "id": request.pk,
        "kind": request.kind,
        "kind_label": ActionKind(request.kind).label,
        "sentence": request.sentence,
        "verb": request.verb,
        "url": action_url(request),
        "recipient": _name(request.recipient),
        "organisation": str(request.organisation) if request.organisation_id else "",
        "opened_at": request.opened_at.isoformat(),
        "state": request.close_reason or "open",
    }
    return {
        "kind": Kind.ACTION,
        "event_type": event_type,
        "contract": request.contract,
        "milestone": milestone,
        "event": event,
        "payload": payload,
    }


# --- outcome notices -----------------------------------------------------------------------------


def outcome_rows(event: Event, now: dt.datetime) -> list[Row]:
    """Tell the people an action affects how it went: proposer, owner, payee."""
    found = _outcome(event)
    if found is None:
        return []
    event_type, sentence, people, milestone = found
    people = [u for u in people if u.is_active and u.pk != event.actor_id]
    if not people or milestone is None:
        return []
    days = (milestone.due_date - local_today(milestone.contract.time_zone, now)).days
    payload = milestone_payload(milestone, event_type, days=days, summary=sentence)
    payload["outcome"] = {"sentence": sentence, "url": payload["milestone"]["url"]}
    audience = Audience()
    audience.load(people)
    rows: list[Row] = []
    for user in {u.pk: u for u in people}.values():
        rows += audience.rows(
            user,
            key=f"o:{event.pk}",
            at=now,
            day=None,
            now=now,
            channels=(Channel.INAPP, Channel.EMAIL),
            kind=Kind.NOTICE,
            event_type=event_type,
            contract=milestone.contract,
            milestone=milestone,
            event=event,
            payload=payload,
        )
    return rows


def _outcome(event: Event) -> tuple[str, str, list[User], Milestone | None] | None:
    action, after = event.action, _after(event)
    actor = _name(event.actor) if event.actor_id else "Someone"
    if action in (ScheduleEvent.CHANGE_REQUEST_APPROVED, ScheduleEvent.CHANGE_REQUEST_REJECTED):
        change = (
            ChangeRequest.objects.select_related("milestone", "contract", "requested_by")
            .filter(pk=event.object_id)
            .first()
        )
        if change is None:
            return None
        approved = action == ScheduleEvent.CHANGE_REQUEST_APPROVED
        note = str(after.get("note") or "").strip()
        sentence = f"{actor} {'approved' if approved else 'rejected'} {change_words(change)}."
        if note:
            sentence += f" {note}"
        event_type = (
            PublishedEvent.CHANGE_REQUEST_APPROVED
            if approved
            else PublishedEvent.CHANGE_REQUEST_REJECTED
        )
        return event_type, sentence, [change.requested_by], _milestone(change.milestone_id)
    if action in (ScheduleEvent.DELIVERABLE_ACCEPTED, ScheduleEvent.DELIVERABLE_REJECTED):
        milestone = _milestone(event.milestone_id)
        if milestone is None:
            return None
        reason = str(after.get("reason") or after.get("comment") or "").strip()
        if action == ScheduleEvent.DELIVERABLE_ACCEPTED:
            part = " in part" if after.get("status") == MilestoneStatus.PARTIALLY_MET else ""
            sentence = f"{actor} accepted {milestone.title}{part}."
            event_type = PublishedEvent.DELIVERABLE_ACCEPTED
        else:
            sentence = f"{actor} sent {milestone.title} back."
            event_type = PublishedEvent.DELIVERABLE_SENT_BACK
        if reason:
            sentence += f" {reason}"
        return event_type, sentence, [milestone.owner], milestone
    if action == PaymentEvent.PAYMENT_PAID:
        terms = (
            PaymentTerms.objects.select_related("payer__organisation", "payee")
            .filter(pk=event.object_id)
            .first()
        )
        milestone = _milestone(event.milestone_id or (terms.milestone_id if terms else None))
        if terms is None or milestone is None:
            return None
        received = Decimal(str(after.get("received") or 0))
        paid_on = after.get("paid_on")
        sentence = (
            f"{actor} recorded {format_money(received, milestone.contract.currency)} paid by "
            f"{terms.payer.organisation} for {milestone.title}"
            + (f" on {day(paid_on)}." if paid_on else ".")
        )
        payee_managers = [u for u, _ in _managers_of([terms.payee])]
        return PublishedEvent.PAYMENT_RECEIVED, sentence, payee_managers, milestone
    return None


# --- job: expire, remind, escalate, and the measurements due -------------------------------------


def _requests_due(now: dt.datetime) -> Exists:
    return Exists(_open_requests().filter(next_at__lte=now))


def _requests_expired(now: dt.datetime) -> Exists:
    return Exists(_open_requests().filter(expires_at__lte=now))


def requests_pending(now: dt.datetime) -> Q:
    """Part of the idle check, as the tick asks it with the other jobs': a request to remind or
    expire?"""
    return Q(_requests_due(now)) | Q(_requests_expired(now))


def measurements_pending(now: dt.datetime) -> Q:
    """The other part: the day's measurements not yet asked for (no daily cursor at today's
    day)."""
    asked = WorkerCursor.objects.filter(
        name=DAILY_CURSOR, position__gte=latest_day_now(now).toordinal()
    )
    return ~Q(Exists(asked))


def actions_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Expire, remind and escalate the requests whose moment has come; once a day ask for the
    measurements of periods that have ended. Return how many requests it handled."""
    now = _now(now)
    # The idle case is one read: the daily cursor, and whether anything waits on its moment.
    state = (
        WorkerCursor.objects.filter(name=DAILY_CURSOR)
        .annotate(due=_requests_due(now), expired=_requests_expired(now))
        .values_list("position", "due", "expired")
        .first()
    )
    done = 0
    if state is None or state[1] or state[2]:
        with transaction.atomic():
            done += _expire(now, limit) + _remind(now, limit)
    if state is None or state[0] < latest_day_now(now).toordinal():
        done += measurements_due(now=now)
    return done


def _expire(now: dt.datetime, limit: int) -> int:
    ids = list(
        _open_requests()
        .filter(expires_at__lte=now)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    batch = _Batch(now=now)
    _close(ActionRequest.objects.filter(pk__in=ids), CloseReason.EXPIRED, batch, event=None)
    notifications_insert(batch.rows)
    return len(ids)


def _remind(now: dt.datetime, limit: int) -> int:
    through = latest_day_now(now)
    due = list(
        _open_requests()
        .filter(next_at__lte=now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "organisation", "contract", "asked_by")
        .order_by("next_at", "pk")[:limit]
    )
    if not due:
        return 0
    milestones = Milestone.objects.select_related(*MILESTONE_RELATED).in_bulk(
        [r.milestone_id for r in due if r.milestone_id]
    )
    managers: dict[int, list[User]] = defaultdict(list)
    for m in Membership.objects.filter(
        organisation__in={r.organisation_id for r in due if r.organisation_id},
        role__in=MANAGERS,
        user__is_active=True,
    ).select_related("user"):
        managers[m.organisation_id].append(m.user)
    audience = Audience()
    audience.load([r.recipient for r in due] + [u for us in managers.values() for u in us])
    endpoints = _endpoints_of({r.organisation_id for r in due if r.organisation_id})
    rows: list[Row] = []
    for request in due:
        request.milestone = milestones.get(request.milestone_id or 0)
        hooks = endpoints.get(request.organisation_id or 0, [])
        escalate = request.escalate_on is not None and request.escalate_on <= through
        if escalate and request.escalated_at is None:
            common = _common(request, PublishedEvent.ACTION_REQUEST_ESCALATED, None)
            for user in managers.get(request.organisation_id or 0, []):
                if user.pk == request.recipient_id:
                    continue
                rows += audience.rows(
                    user,
                    key=f"a:{request.pk}:escalate",
                    at=None,
                    day=request.escalate_on,
                    now=now,
                    channels=(Channel.INAPP, Channel.EMAIL),
                    **_escalated(common, request),
                )
            rows += _webhook_rows(hooks, key=f"a:{request.pk}:escalate", now=now, **common)
            request.escalated_at = now
            request.reminded_at = request.reminded_at or now
        elif (
            request.remind_on is not None
            and request.remind_on <= through
            and not (request.reminded_at)
        ):
            common = _common(request, PublishedEvent.ACTION_REQUEST_REMINDED, None)
            rows += audience.rows(
                request.recipient,
                key=f"a:{request.pk}:remind",
                at=None,
                day=request.remind_on,
                now=now,
                channels=(Channel.INAPP, Channel.EMAIL),
                **common,
            )
            rows += _webhook_rows(hooks, key=f"a:{request.pk}:remind", now=now, **common)
            request.reminded_at = now
        pending = request.escalate_on if request.escalated_at is None else None
        request.next_at = day_starts_somewhere(pending) if pending else None
    ActionRequest.objects.bulk_update(due, ["reminded_at", "escalated_at", "next_at"])
    notifications_insert(rows)
    return len(due)


def _escalated(common: dict[str, Any], request: ActionRequest) -> dict[str, Any]:
    """An escalation's payload: the recipient's manager hears who was asked, and since when."""
    payload = dict(common["payload"])
    action = dict(payload["action"])
    since = local_today(request.contract.time_zone, request.opened_at)
    action["sentence"] = (
        f"{_name(request.recipient)} has not acted since {day(since)}: {request.sentence}"
    )
    payload["action"] = action
    payload["summary"] = action["sentence"]
    return {**common, "payload": payload}


def measurements_due(*, now: dt.datetime | None = None) -> int:
    """Once a day: ask each open performance target's owner for the first period that ended
    without a measurement, and the payee of each payment cycle whose payment notice did not
    come in time for a default notice. Return how many requests it opened."""
    now = _now(now)
    today = latest_day_now(now).toordinal()
    with transaction.atomic():
        WorkerCursor.objects.bulk_create([WorkerCursor(name=DAILY_CURSOR)], ignore_conflicts=True)
        cursor = (
            WorkerCursor.objects.select_for_update(skip_locked=True)
            .filter(name=DAILY_CURSOR)
            .first()
        )
        if cursor is None or cursor.position >= today:
            return 0
        kpis = list(
            KPI.objects.filter(
                milestone__status__in=OPEN_STATUSES,
                milestone__contract__status=ContractStatus.ACTIVE,
                milestone__owner__is_active=True,
            ).select_related(*(f"milestone__{name}" for name in MILESTONE_RELATED if name != "kpi"))
        )
        measured = set(
            Measurement.objects.filter(kpi__in=kpis).values_list("kpi_id", "period_start")
        )
        asks = []
        for kpi in kpis:
            milestone = kpi.milestone
            local = local_today(milestone.contract.time_zone, now)
            missing = [
                start
                for start in period_starts(kpi.period, kpi.measurement_start, milestone.due_date)
                if next_period_start(kpi.period, start) <= local and (kpi.pk, start) not in measured
            ]
            if not missing:
                continue
            start = missing[0]
            end = next_period_start(kpi.period, start) - dt.timedelta(days=1)
            asks.append(
                Ask(
                    kind=ActionKind.MEASUREMENT,
                    object_type="performance.kpi",
                    object_id=kpi.pk,
                    contract=milestone.contract,
                    milestone=milestone,
                    recipient=milestone.owner,
                    organisation_id=None,
                    sentence=(
                        f"The {kpi.name} measurement of {milestone.title} for "
                        f"{day(start)} to {day(end)} is waiting to be recorded."
                    ),
                    url=page("milestones:milestone-detail", milestone.pk),
                    origin=f"p{start.isoformat()}",
                )
            )
        # The payment notices whose day passed: the payee may now give a default notice.
        asks += _cycle_asks(notices_missed(now=now))
        # Replies overdue whose failure may be notified; events nearing their time bar.
        asks += _clock_asks(clock.clock_missed(now=now))
        batch = _Batch(now=now)
        created = _open(asks, batch, event=None) if asks else []
        notifications_insert(batch.rows)
        cursor.position = today
        cursor.save(update_fields=["position"])
    return len(created)
