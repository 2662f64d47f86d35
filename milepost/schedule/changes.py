"""Change requests: a proposed new due date (or payment amount), its impact, and the decision.

Before anyone submits one, ``change_request_preview`` shows what it would do: every milestone
that moves and by how much, pinned dates it breaches, payments it delays and their amounts,
and how the critical path changes. Submitted, it keeps that impact; only an approval by a
manager of the counterparty applies it, and what follows the milestone then moves with it.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Party
from milepost.contracts.selectors import ContractAccess, contract_access, contracts_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.money import quantize
from milepost.core.text import NOTE_MAX, TEXT_MAX, text_check

from .choices import ChangeStatus, MilestoneKind
from .consequences import PaymentLine, amount_set, payment_line, payment_lines
from .events import ScheduleEvent
from .graph import Graph
from .graph.critical import critical_path
from .graph.propagation import Move, propagate
from .models import ChangeRequest, Milestone
from .planning import apply_due_date, check_milestone_date, contract_graph, require_editable


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def change_request_preview(
    *,
    milestone: Milestone,
    actor: User,
    new_due_date: dt.date | None = None,
    new_amount: Decimal | None = None,
) -> dict[str, Any]:
    """Return what a change would do, without saving anything.

    Keys: ``moves`` (id, title, old_due, new_due, days, driven_by), ``conflicts`` (id, title,
    message), ``payments`` (id, title, amount, currency, old_due, new_due, days, why),
    ``critical_path`` (before, after, finish_before, finish_after, changed) and ``amount``.
    """
    contract_access(user=actor, contract=milestone.contract).require_contributor()
    _validate_values(milestone, new_due_date, new_amount)
    return _impact(milestone, new_due_date, new_amount)


def _impact(
    milestone: Milestone, new_due_date: dt.date | None, new_amount: Decimal | None
) -> dict[str, Any]:
    loaded = contract_graph(contract=milestone.contract)
    graph = loaded.graph
    due = new_due_date or milestone.due_date
    shift = due - milestone.due_date
    start = milestone.start_date + shift if milestone.start_date else None
    result = propagate(
        graph,
        loaded.calendar,
        [milestone.pk],
        dues={milestone.pk: due},
        starts={milestone.pk: start},
    )
    new_dues = {pk: move.new_due for pk, move in result.moves.items()}
    if due != milestone.due_date:
        new_dues[milestone.pk] = due
    moves = [
        {
            "id": pk,
            "title": graph.nodes[pk].title,
            "old_due": _iso(graph.nodes[pk].due),
            "new_due": _iso(new_due),
            "days": (new_due - graph.nodes[pk].due).days,
            "driven_by": _driver(graph, result.moves.get(pk)),
        }
        for pk, new_due in sorted(new_dues.items(), key=lambda item: (item[1], item[0]))
    ]
    conflicts = [
        {"id": pk, "title": graph.nodes[pk].title, "message": message}
        for pk, message in sorted(result.conflicts.items())
    ]
    lines = payment_lines(milestone.contract)
    before_cp = critical_path(graph, loaded.calendar)
    after_graph = Graph(
        [
            replace(node, due=new_dues[node.id], start=_moved_start(result, node.id, node.start))
            if node.id in new_dues
            else node
            for node in graph.nodes.values()
        ],
        graph.links,
    )
    after_cp = critical_path(after_graph, loaded.calendar)
    amount = None
    if new_amount is not None:
        line = next(line for line in lines if line.milestone_id == milestone.pk)
        amount = {"old": str(line.amount), "new": str(new_amount), "currency": line.currency}
    return {
        "moves": moves,
        "conflicts": conflicts,
        "payments": _delayed_payments(lines, new_dues, graph),
        "critical_path": {
            "before": [graph.nodes[pk].title for pk in before_cp.chain],
            "after": [graph.nodes[pk].title for pk in after_cp.chain],
            "finish_before": _iso(before_cp.finish),
            "finish_after": _iso(after_cp.finish),
            "changed": before_cp.chain != after_cp.chain or before_cp.finish != after_cp.finish,
        },
        "amount": amount,
    }


def _driver(graph: Graph, move: Move | None) -> str:
    return graph.nodes[move.cause].title if move and move.cause is not None else ""


def _moved_start(result: Any, pk: int, start: dt.date | None) -> dt.date | None:
    move = result.moves.get(pk)
    return move.new_start if move else start


def _delayed_payments(
    lines: list[PaymentLine], new_dues: dict[int, dt.date], graph: Graph
) -> list[dict[str, Any]]:
    """Payments that fall due later: their own date moves, or the milestone that triggers them."""
    delayed = []
    for line in lines:
        own = new_dues.get(line.milestone_id)
        trigger = new_dues.get(line.trigger_id) if line.trigger_id else None
        if own is not None and own > line.due_date:
            why, new_due = "its due date moves", own
        elif trigger is not None and line.trigger_id in graph.nodes:
            old_trigger = graph.nodes[line.trigger_id].due
            if trigger <= old_trigger:
                continue
            why = f"it is paid once '{graph.nodes[line.trigger_id].title}' is met, now later"
            new_due = line.due_date + (trigger - old_trigger)
        else:
            continue
        delayed.append(
            {
                "id": line.milestone_id,
                "title": line.title,
                "amount": str(line.amount),
                "currency": line.currency,
                "old_due": _iso(line.due_date),
                "new_due": _iso(new_due),
                "days": (new_due - line.due_date).days,
                "why": why,
            }
        )
    return delayed


def _validate_values(
    milestone: Milestone, new_due_date: dt.date | None, new_amount: Decimal | None
) -> None:
    if not milestone.is_open:
        raise DomainError(
            "milestone_closed", "Only an open milestone's terms can change.", field="milestone"
        )
    if new_due_date is None and new_amount is None:
        raise DomainError(
            "nothing_to_change", "Propose a new due date or a new amount.", field="new_due_date"
        )
    if new_due_date is not None:
        if milestone.anchor_id is not None:
            raise DomainError(
                "date_is_relative",
                f"This date follows '{milestone.anchor}'; change its anchor instead.",
                field="new_due_date",
            )
        if new_due_date == milestone.due_date:
            raise DomainError(
                "unchanged", "The milestone is already due on that date.", field="new_due_date"
            )
        if new_due_date < milestone.contract.start_date:
            raise DomainError(
                "due_before_start",
                f"The due date is before the contract starts ({milestone.contract.start_date}).",
                field="new_due_date",
            )
        check_milestone_date(new_due_date, milestone.contract, "new_due_date")
    if new_amount is not None:
        if milestone.kind != MilestoneKind.PAYMENT:
            raise DomainError(
                "amount_not_applicable",
                "Only a payment milestone has an amount to change.",
                field="new_amount",
            )
        if new_amount <= 0:
            raise DomainError("invalid_amount", "A payment is more than zero.", field="new_amount")


def _amount(value: Decimal | str | None, currency: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return quantize(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            "invalid_amount", "The amount is a number such as 250000.00.", field="new_amount"
        ) from exc


def _requesting_party(milestone: Milestone, access: ContractAccess) -> Party:
    """The party the actor asks for: the responsible party if they manage it, else their own."""
    parties = list(milestone.contract.parties.exclude(role=PartyRole.OBSERVER))
    managed = [party for party in parties if access.acts_for(party.pk, Role.MANAGER)]
    if not managed:
        raise Forbidden(
            "Only a manager of a party to the contract may propose a change.",
            code="not_party_manager",
        )
    own = [party for party in managed if party.pk == milestone.responsible_party_id]
    return (own or managed)[0]


def _deciding_parties(change: ChangeRequest, line: PaymentLine | None) -> list[int]:
    """The counterparty: for an amount, the other side of the payment; else any other party."""
    if change.new_amount is not None and line is not None:
        sides = {line.payer_party_id, line.payee_party_id}
        return [pk for pk in sides if pk != change.requesting_party_id]
    return list(
        change.contract.parties.exclude(role=PartyRole.OBSERVER)
        .exclude(pk=change.requesting_party_id)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def change_request_submit_refusal(
    *, milestone: Milestone, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not propose a change to ``milestone`` now, or ``None``: the
    checks ``change_request_submit`` makes before it looks at the values proposed."""
    access = access or contract_access(user=user, contract=milestone.contract)
    try:
        access.require_manager()
        require_editable(milestone.contract)
    except DomainError as refusal:
        return refusal
    if not milestone.is_open:
        return DomainError(
            "milestone_closed", "Only an open milestone's terms can change.", field="milestone"
        )
    if ChangeRequest.objects.filter(milestone=milestone, status=ChangeStatus.PENDING).exists():
        return DomainError(
            "change_pending",
            "A change request for this milestone is already waiting for a decision.",
            field="milestone",
        )
    return None


def change_request_submit(
    *,
    milestone: Milestone,
    reason: str,
    actor: User,
    new_due_date: dt.date | None = None,
    new_amount: Decimal | str | None = None,
) -> ChangeRequest:
    """Propose a new due date and/or amount; the impact is worked out and kept with it."""
    contract = milestone.contract
    access = contract_access(user=actor, contract=contract)
    refusal = change_request_submit_refusal(milestone=milestone, user=actor, access=access)
    if refusal is not None:
        raise refusal
    amount = _amount(new_amount, contract.currency)
    _validate_values(milestone, new_due_date, amount)
    if not reason.strip():
        raise DomainError("reason_required", "Say why the change is needed.", field="reason")
    text_check(reason.strip(), field="reason", limit=TEXT_MAX, label="The reason")
    party = _requesting_party(milestone, access)
    line = None
    if amount is not None:
        line = payment_line(contract, milestone.pk)
        if line is None or party.pk not in (line.payer_party_id, line.payee_party_id):
            raise Forbidden(
                "Only the payer or the payee may propose a new amount for a payment.",
                code="not_payment_party",
            )
    if ChangeRequest.objects.filter(milestone=milestone, status=ChangeStatus.PENDING).exists():
        raise DomainError(
            "change_pending",
            "A change request for this milestone is already waiting for a decision.",
            field="milestone",
        )
    change = ChangeRequest.objects.create(
        contract=contract,
        milestone=milestone,
        requesting_party=party,
        requested_by=actor,
        reason=reason.strip(),
        old_due_date=milestone.due_date,
        new_due_date=new_due_date,
        old_amount=line.amount if line else None,
        new_amount=amount,
        impact=_impact(milestone, new_due_date, amount),
    )
    event_record(
        actor=actor,
        action=ScheduleEvent.CHANGE_REQUEST_SUBMITTED,
        obj=change,
        after=_summary(change),
        contract_id=contract.pk,
        milestone_id=milestone.pk,
    )
    return change


def _summary(change: ChangeRequest) -> dict[str, Any]:
    impact = change.impact
    return {
        "reason": change.reason,
        "old_due_date": change.old_due_date,
        "new_due_date": change.new_due_date,
        "old_amount": change.old_amount,
        "new_amount": change.new_amount,
        "moves": len(impact.get("moves", [])),
        "conflicts": len(impact.get("conflicts", [])),
        "payments_delayed": len(impact.get("payments", [])),
    }


def _lock_pending(change: ChangeRequest) -> ChangeRequest:
    locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if locked.status != ChangeStatus.PENDING:
        raise DomainError(
            "change_decided",
            f"This change request is already {locked.get_status_display().lower()}.",
            field="status",
        )
    return locked


def _require_decider(change: ChangeRequest, actor: User) -> ContractAccess:
    access = contract_access(user=actor, contract=change.contract)
    line = None
    if change.new_amount is not None:
        line = payment_line(change.contract, change.milestone_id)
    deciders = _deciding_parties(change, line)
    if not any(access.acts_for(pk, Role.MANAGER) for pk in deciders):
        names = ", ".join(
            str(p.organisation)
            for p in Party.objects.filter(pk__in=deciders).select_related("organisation")
        )
        raise Forbidden(
            f"Only a manager of the counterparty ({names or 'another party'}) may decide on this "
            "change request.",
            code="not_counterparty",
        )
    return access


def _decide(change: ChangeRequest, status: str, note: str, actor: User) -> None:
    change.status = status
    change.decided_by, change.decided_at = actor, timezone.now()
    change.decision_note = note.strip()
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, actor: User, note: str = "") -> ChangeRequest:
    """Approve a change for the counterparty: its values apply and what follows moves."""
    contract_access(user=actor, contract=change.contract).require_manager()
    _require_decider(change, actor)
    text_check(note.strip(), field="note", limit=NOTE_MAX, label="The note")
    change = _lock_pending(change)
    milestone = Milestone.objects.select_related("contract", "anchor").get(pk=change.milestone_id)
    require_editable(milestone.contract)
    # The plan may have moved since submission: check the change still makes sense.
    _validate_values(
        milestone,
        change.new_due_date if change.new_due_date != milestone.due_date else None,
        change.new_amount,
    )
    impact = _impact(milestone, change.new_due_date, change.new_amount)
    cause = f"change request #{change.pk} approved"
    if change.new_amount is not None:
        amount_set(milestone=milestone, amount=change.new_amount, actor=actor)
    if change.new_due_date is not None and change.new_due_date != milestone.due_date:
        apply_due_date(
            milestone=milestone,
            due_date=change.new_due_date,
            reason=f"{change.reason} ({cause})",
            actor=actor,
            cause=cause,
        )
    _decide(change, ChangeStatus.APPROVED, note, actor)
    event_record(
        actor=actor,
        action=ScheduleEvent.CHANGE_REQUEST_APPROVED,
        obj=change,
        before={"status": ChangeStatus.PENDING},
        after={
            "status": change.status,
            "note": change.decision_note,
            "moved": len(impact["moves"]),
            "conflicts": len(impact["conflicts"]),
        },
        contract_id=change.contract_id,
        milestone_id=change.milestone_id,
    )
    return change


@transaction.atomic
def change_request_reject(*, change: ChangeRequest, actor: User, note: str) -> ChangeRequest:
    """Reject a change for the counterparty, saying why; nothing moves."""
    contract_access(user=actor, contract=change.contract).require_manager()
    _require_decider(change, actor)
    if not note.strip():
        raise DomainError("reason_required", "Say why the change is rejected.", field="note")
    text_check(note.strip(), field="note", limit=NOTE_MAX, label="The note")
    change = _lock_pending(change)
    _decide(change, ChangeStatus.REJECTED, note, actor)
    event_record(
        actor=actor,
        action=ScheduleEvent.CHANGE_REQUEST_REJECTED,
        obj=change,
        before={"status": ChangeStatus.PENDING},
        after={"status": change.status, "note": change.decision_note},
        contract_id=change.contract_id,
        milestone_id=change.milestone_id,
    )
    return change


@transaction.atomic
def change_request_withdraw(*, change: ChangeRequest, actor: User) -> ChangeRequest:
    """Withdraw one's own party's pending change request."""
    access = contract_access(user=actor, contract=change.contract)
    if not (
        change.requested_by_id == actor.pk
        or access.acts_for(change.requesting_party_id, Role.MANAGER)
    ):
        raise Forbidden(
            "Only the party that asked for a change may withdraw it.", code="not_requester"
        )
    change = _lock_pending(change)
    change.status = ChangeStatus.WITHDRAWN
    change.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.CHANGE_REQUEST_WITHDRAWN,
        obj=change,
        before={"status": ChangeStatus.PENDING},
        after={"status": change.status},
        contract_id=change.contract_id,
        milestone_id=change.milestone_id,
    )
    return change


def change_requests_for_user(
    *, user: User, contract: int | None = None, milestone: int | None = None, status: str = ""
) -> QuerySet[ChangeRequest]:
    """Return the change requests the user can see, newest first, filtered if asked."""
    qs = ChangeRequest.objects.filter(contract__in=contracts_for_user(user=user)).select_related(
        "contract",
        "milestone",
        "requested_by",
        "decided_by",
        "requesting_party__organisation",
    )
    if contract is not None:
        qs = qs.filter(contract_id=contract)
    if milestone is not None:
        qs = qs.filter(milestone_id=milestone)
    if status:
        qs = qs.filter(status=status)
    return qs


def change_request_get_for_user(*, user: User, pk: int) -> ChangeRequest:
    """Return one change request the user can see, or raise NotFound."""
    change = change_requests_for_user(user=user).filter(pk=pk).first()
    if change is None:
        raise NotFound("change request")
    return change


def change_request_decide_refusal(*, change: ChangeRequest, user: User) -> DomainError | None:
    """Return why ``user`` may not approve or reject this change request now, or ``None``.

    The checks ``change_request_approve`` and ``change_request_reject`` make before they look at
    the note: a manager of the counterparty decides a pending request.
    """
    try:
        contract_access(user=user, contract=change.contract).require_manager()
        _require_decider(change, user)
    except Forbidden as refusal:
        return refusal
    if change.status != ChangeStatus.PENDING:
        return DomainError(
            "change_decided",
            f"This change request is already {change.get_status_display().lower()}.",
            field="status",
        )
    return None


def change_request_can_decide(*, change: ChangeRequest, user: User) -> bool:
    """Say whether ``user`` may approve or reject this pending change request."""
    return change_request_decide_refusal(change=change, user=user) is None
