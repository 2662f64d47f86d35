"""Finding and repairing dates out of range: rows saved before every date was checked.

Every date Milepost accepts now lies in a range (``core.dates``): a contract's within
``DATE_MIN``..``DATE_MAX``, a milestone's within its contract's term plus the margin. Older rows
may not: a deliverable due 9999-12-31 has no next day. ``dates_out_of_range`` lists them;
``dates_repair`` moves each out-of-range date to the nearest valid one (or, with ``cancel``,
also cancels an open milestone whose due date was out of range) and writes one
``dates.repaired`` event per row, with the dates before and after. ``milepost repair_dates``
runs both.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.core.dates import (
    DATE_MAX,
    DATE_MIN,
    clamp_date,
    milestone_date_range,
    out_of_range_q,
)

from .choices import OPEN_STATUSES, MilestoneStatus
from .events import ScheduleEvent
from .models import Milestone
from .services import milestone_record_outcome

REPAIR_REASON = "A date was out of range: repaired by `milepost repair_dates`."
CONTRACT_DATES = ("start_date", "end_date")
# The dates a person entered, in the order they are repaired (the start stays before the due).
MILESTONE_DATES = ("due_date", "baseline_due_date", "start_date", "met_on")
# Derived by the forecast: cleared rather than moved; the next forecast fills them in again.
FORECAST_DATES = ("forecast_p50", "forecast_p80", "forecast_date")


@dataclass
class Finding:
    """One row with dates out of range: what it is, and each bad date with its repair."""

    kind: str  # "contract" or "milestone"
    id: int
    contract_id: int
    contract: str
    title: str
    status: str
    dates: dict[str, tuple[dt.date | None, dt.date | None]] = field(default_factory=dict)
    cancel: bool = False

    def describe(self) -> str:
        moves = ", ".join(
            f"{name} {old} → {new if new is not None else 'cleared'}"
            for name, (old, new) in self.dates.items()
        )
        return moves + ("; cancelled" if self.cancel else "")


def _contract_findings() -> list[Finding]:
    found = []
    for contract in Contract.objects.filter(out_of_range_q(*CONTRACT_DATES)).order_by("pk"):
        start = clamp_date(contract.start_date)
        end = max(clamp_date(contract.end_date), start)
        dates: dict[str, tuple[dt.date | None, dt.date | None]] = {
            name: (old, new)
            for name, old, new in (
                ("start_date", contract.start_date, start),
                ("end_date", contract.end_date, end),
            )
            if old != new
        }
        found.append(
            Finding(
                "contract",
                contract.pk,
                contract.pk,
                contract.reference,
                contract.title,
                contract.status,
                dates,
            )
        )
    return found


def _milestone_finding(m: Milestone, cancel: bool) -> Finding | None:
    contract = m.contract
    earliest, latest = milestone_date_range(
        clamp_date(contract.start_date), clamp_date(contract.end_date)
    )
    dates: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    due = clamp_date(m.due_date, earliest, latest)
    if due != m.due_date:
        dates["due_date"] = (m.due_date, due)
    baseline = clamp_date(m.baseline_due_date, earliest, latest)
    if baseline != m.baseline_due_date:
        dates["baseline_due_date"] = (m.baseline_due_date, baseline)
    if m.start_date is not None:
        start = min(clamp_date(m.start_date, earliest, latest), due)
        if start != m.start_date:
            dates["start_date"] = (m.start_date, start)
    if m.met_on is not None:
        met_on = clamp_date(m.met_on, earliest, latest)
        if met_on != m.met_on:
            dates["met_on"] = (m.met_on, met_on)
    for name in FORECAST_DATES:
        value = getattr(m, name)
        if value is not None and not DATE_MIN <= value <= DATE_MAX:
            dates[name] = (value, None)
    if not dates:
        return None
    return Finding(
        "milestone",
        m.pk,
        contract.pk,
        contract.reference,
        m.title,
        m.status,
        dates,
        # Milestones change status only while their contract is active (the status rules).
        cancel=cancel
        and "due_date" in dates
        and m.status in OPEN_STATUSES
        and contract.status == ContractStatus.ACTIVE,
    )


def _milestone_candidates() -> list[Milestone]:
    """Milestones with any date, forecasts included, out of ``DATE_MIN``..``DATE_MAX``."""
    return list(
        Milestone.objects.filter(out_of_range_q(*MILESTONE_DATES, *FORECAST_DATES))
        .select_related("contract")
        .order_by("contract_id", "pk")
    )


def _milestone_outside_term() -> list[Milestone]:
    """Milestones with a date outside their contract's term plus the margin (a query each)."""
    found = []
    for contract in Contract.objects.order_by("pk").only("pk", "start_date", "end_date"):
        earliest, latest = milestone_date_range(
            clamp_date(contract.start_date), clamp_date(contract.end_date)
        )
        outside = Q()
        for name in MILESTONE_DATES:
            outside |= Q(**{f"{name}__lt": earliest}) | Q(**{f"{name}__gt": latest})
        found += list(
            Milestone.objects.filter(outside, contract=contract)
            .select_related("contract")
            .order_by("pk")
        )
    return found


def dates_out_of_range(*, cancel: bool = False) -> list[Finding]:
    """Every contract and milestone with a date out of range, and how it would be repaired."""
    found = _contract_findings()
    seen: set[int] = set()
    for m in [*_milestone_candidates(), *_milestone_outside_term()]:
        if m.pk in seen:
            continue
        seen.add(m.pk)
        finding = _milestone_finding(m, cancel)
        if finding is not None:
            found.append(finding)
    return found


@transaction.atomic
def dates_repair(*, cancel: bool = False) -> list[Finding]:
    """Repair every finding of ``dates_out_of_range``, one ``dates.repaired`` event per row.

    Contracts first, so that their milestones are judged against the repaired term. The
    system is the actor (an operator ran the command). Returns what was repaired.
    """
    contracts = _contract_findings()
    for finding in contracts:
        contract = Contract.objects.select_for_update().get(pk=finding.id)
        before: dict[str, Any] = {}
        for name, (old, new) in finding.dates.items():
            before[name] = old
            setattr(contract, name, new)
        contract.save(update_fields=[*finding.dates, "updated_at"])
        event_record(
            actor=None,
            action=ScheduleEvent.DATES_REPAIRED,
            obj=contract,
            before=before,
            after={name: new for name, (_, new) in finding.dates.items()},
        )
    milestones = [f for f in dates_out_of_range(cancel=cancel) if f.kind == "milestone"]
    for finding in milestones:
        m = Milestone.objects.select_for_update().get(pk=finding.id)
        before = {}
        after: dict[str, Any] = {}
        for name, (old, new) in finding.dates.items():
            before[name], after[name] = old, new
            setattr(m, name, new)
        after["reason"] = REPAIR_REASON
        m.save(update_fields=[*finding.dates, "updated_at"])
        event_record(
            actor=None, action=ScheduleEvent.DATES_REPAIRED, obj=m, before=before, after=after
        )
        if finding.cancel:
            # Through the status service, so the transition table, the status-change event and
            # the clearing of the forecast apply as to any other cancellation.
            milestone_record_outcome(
                milestone=m,
                status=MilestoneStatus.CANCELLED,
                actor=None,
                reason=f"{REPAIR_REASON} Cancelled instead of kept.",
            )
    return contracts + milestones
