"""What each report shows, read through the selectors the pages already use.

Each function returns the context its template draws, plus ``figures``: the headline numbers
as plain strings, kept with an issued report (and returned by the API) so that a machine can
read what the page said. The caller checked that ``user`` may see the contract.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db.models import Prefetch

from milepost.accounts.models import User
from milepost.approvals.events import ApprovalEvent
from milepost.audit.models import Event
from milepost.audit.sentences import event_sentences
from milepost.contracts.models import Contract
from milepost.core.dates import local_today, zone
from milepost.core.money import format_money, quantize
from milepost.payments.choices import RELEASED, PaymentState
from milepost.payments.events import PaymentEvent
from milepost.payments.models import HUNDRED, PaymentTerms
from milepost.payments.selectors import payment_totals, payments_for_contract
from milepost.schedule.changes import change_requests_for_user
from milepost.schedule.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    ChangeStatus,
    Criticality,
    Health,
    MilestoneKind,
    MilestoneStatus,
    WarningStatus,
)
from milepost.schedule.events import ScheduleEvent
from milepost.schedule.forecasts import forecast_latest
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.risks.early_warnings import early_warnings_for_contract
from milepost.schedule.selectors import with_health

from ..selectors import cash_flow, portfolio
from ..timeline.rows import FIELDS, drawable_rows
from ..timeline.svg import milestone_href, timeline_svg
from .period import Period

# Lists are bounded, so that a report of a 5,000-milestone contract stays one readable page;
# each says how many there are in all.
LIST_LIMIT = 12
WARNINGS_SHOWN = 5
CHANGES_SHOWN = 8
DECISIONS_SHOWN = 10
# What the board reads as the period's decisions: gates, changes, acceptance and payments.
DECISIONS = (
    ApprovalEvent.GATE_DECIDED,
    ApprovalEvent.GATE_PASSED,
    ApprovalEvent.GATE_REJECTED,
    ScheduleEvent.CHANGE_REQUEST_APPROVED,
    ScheduleEvent.CHANGE_REQUEST_REJECTED,
    ScheduleEvent.DELIVERABLE_ACCEPTED,
    ScheduleEvent.DELIVERABLE_REJECTED,
    PaymentEvent.PAYMENT_PAID,
)
# The timeline of a status report draws the key milestones nearest the period, at most this many.
TIMELINE_LANES = 40
HORIZONS = (30, 60, 90)
MET = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)
RISKY = (Health.AT_RISK, Health.OVERDUE)


@dataclass
class Stage:
    """The milestones up to one gate (or after the last), with their health as red, amber, green."""

    name: str
    total: int = 0
    done: int = 0
    overdue: int = 0
    at_risk: int = 0

    @property
    def rag(self) -> str:
        if self.overdue:
            return "red"
        if self.at_risk:
            return "amber"
        return "done" if self.total and self.done == self.total else "green"

    @property
    def rag_label(self) -> str:
        return {
            "red": "Red: overdue",
            "amber": "Amber: at risk",
            "green": "Green: on track",
            "done": "Complete",
        }[self.rag]


@dataclass
class Bounded:
    """The first rows of a list and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _bounded(rows: list[Any], limit: int = LIST_LIMIT) -> Bounded:
    return Bounded(rows=rows[:limit], total=len(rows))


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def _stages(rows: list[dict[str, Any]]) -> list[Stage]:
    """Cut the milestones, in due order, into stages that each end at a gate."""
    stages: list[Stage] = []
    current: Stage | None = None
    last_gate = ""
    for row in rows:
        if current is None:
            current = Stage(name="")
        current.total += 1
        current.done += row["status"] in DONE_STATUSES
        current.overdue += row["health"] == Health.OVERDUE
        current.at_risk += row["health"] == Health.AT_RISK
        if row["kind"] == MilestoneKind.GATE:
            current.name = f"Up to {row['title']}"
            stages.append(current)
            last_gate, current = row["title"], None
    if current is not None:
        current.name = f"After {last_gate}" if last_gate else "Whole contract"
        stages.append(current)
    return stages


STAGES_SHOWN = 12


def _stages_shown(stages: list[Stage]) -> Bounded:
    """The stages a page shows: the red and amber ones, then those nearest the current one."""
    if len(stages) <= STAGES_SHOWN:
        return Bounded(rows=stages, total=len(stages))
    current = next((i for i, s in enumerate(stages) if s.rag != "done"), len(stages) - 1)

    def priority(index: int) -> tuple[int, int]:
        return (0 if stages[index].rag in ("red", "amber") else 1, abs(index - current))

    chosen = sorted(sorted(range(len(stages)), key=priority)[:STAGES_SHOWN])
    return Bounded(rows=[stages[i] for i in chosen], total=len(stages))


def _timeline(
    contract: Contract, rows: list[dict[str, Any]], period: Period, today: dt.date
) -> tuple[str, str]:
    """Draw the key milestones nearest the period: gates, payments and critical ones first."""
    found, note = drawable_rows(cast(Any, rows))
    drawable = cast(list[dict[str, Any]], found)
    if len(drawable) > TIMELINE_LANES:
        horizon = today + dt.timedelta(days=HORIZONS[-1])

        def weight(row: dict[str, Any]) -> tuple[int, int]:
            key = (
                row["kind"] in (MilestoneKind.GATE, MilestoneKind.PAYMENT)
                or row["criticality"] == Criticality.CRITICAL
            )
            near = period.start <= row["due_date"] <= horizon
            distance = abs((row["due_date"] - today).days)
            return (0 if near and key else 1 if near else 2 if key else 3, distance)

        chosen = {row["id"] for row in sorted(drawable, key=weight)[:TIMELINE_LANES]}
        shown = [row for row in drawable if row["id"] in chosen]
        note = (
            f"The timeline shows {len(shown)} of {len(drawable):,} milestones: the gates, payments "
            "and critical milestones nearest this period first. " + note
        ).strip()
    else:
        shown = drawable
    if not shown:
        return "", note
    ids = [row["id"] for row in shown]
    links = list(
        Dependency.objects.filter(successor_id__in=ids, predecessor_id__in=ids).values_list(
            "predecessor_id", "successor_id", "type", "lag", "working_days"
        )
    )
    svg = timeline_svg(
        cast(Any, shown),
        links,
        today=today,
        zoom="month" if (shown[-1]["due_date"] - shown[0]["due_date"]).days < 180 else "quarter",
        label=f"Timeline of {contract.reference}",
        href=settings.MILEPOST_BASE_URL + milestone_href(),
    )
    return str(svg), note


def _health_rows(contract: Contract, now: dt.datetime | None) -> list[dict[str, Any]]:
    return list(
        with_health(Milestone.objects.filter(contract=contract), now=now)
        .order_by("due_date", "id")
        .values(*FIELDS, "criticality", "owner__first_name", "owner__last_name", "owner__username")
    )


def _owner(row: dict[str, Any]) -> str:
    name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
    return name or row["owner__username"]


def _is_key(row: dict[str, Any]) -> bool:
    return row["criticality"] == Criticality.CRITICAL or row["kind"] in (
        MilestoneKind.GATE,
        MilestoneKind.PAYMENT,
    )


def _decisions(contract: Contract, period: Period) -> Bounded:
    """The period's decisions as the history words them: the latest first, a bounded few."""
    tz = zone(contract.time_zone)
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    events = Event.objects.filter(
        contract_id=contract.pk, action__in=DECISIONS, occurred_at__gte=start, occurred_at__lt=end
    ).order_by("-occurred_at", "-id")
    shown = list(events[:DECISIONS_SHOWN])
    total = events.count()
    rows = [
        {"at": event.occurred_at.astimezone(tz), "sentence": sentence}
        for event, sentence in event_sentences(shown)
    ]
    return Bounded(rows=rows, total=total)


def contract_status(
    *, contract: Contract, user: User, period: Period, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return the contract status report: health by stage, key dates, money, changes, risks."""
    today = local_today(contract.time_zone, now)
    rows = _health_rows(contract, now)
    for row in rows:
        row["owner_name"] = _owner(row)
    health = {row["id"]: row["health"] for row in rows}
    met = [
        row
        for row in rows
        if _is_key(row) and row["met_on"] and period.start <= row["met_on"] <= period.end
    ]
    missed = [
        row
        for row in rows
        if _is_key(row)
        and period.start <= row["due_date"] <= period.end
        and (
            row["status"] == MilestoneStatus.NOT_MET
            or (row["status"] in OPEN_STATUSES and row["due_date"] < today)
        )
    ]
    open_rows = [row for row in rows if row["status"] in OPEN_STATUSES]
    horizons = [
        {
            "days": days,
            "count": sum(
                1 for r in open_rows if today <= r["due_date"] <= today + dt.timedelta(days=days)
            ),
            "key": sum(
                1
                for r in open_rows
                if _is_key(r) and today <= r["due_date"] <= today + dt.timedelta(days=days)
            ),
        }
        for days in HORIZONS
    ]
    upcoming = [
        r
        for r in open_rows
        if _is_key(r) and today <= r["due_date"] <= today + dt.timedelta(days=HORIZONS[-1])
    ]
    currency = contract.currency
    totals = payment_totals(contract=contract)
    retention = Decimal(0)
    at_risk = Decimal(0)
    # Plain rows, not model instances: a long contract has hundreds of payments.
    live = (
        PaymentTerms.objects.filter(milestone__contract=contract)
        .exclude(milestone__status__in=RELEASED)
        .values_list(
            "milestone_id",
            "milestone__status",
            "amount",
            "paid_amount",
            "invoiced_amount",
            "retention_percent",
        )
    )
    for milestone_id, status, amount, paid, invoiced, retention_percent in live:
        if invoiced is not None:
            # PaymentTerms.retention_of's arithmetic, row by row, so the pennies agree.
            retention += quantize(invoiced * retention_percent / HUNDRED, currency)
        if status in OPEN_STATUSES and health.get(milestone_id) in RISKY:
            at_risk += amount - paid
    money = {
        "planned": totals["committed"],
        "invoiced": totals["invoiced"],
        "paid": totals["paid"],
        "retention": quantize(retention, currency),
        "at_risk": quantize(at_risk, currency),
    }
    changes = list(
        change_requests_for_user(
            user=user, contract=contract.pk, status=ChangeStatus.PENDING
        ).order_by("created_at", "id")
    )
    change_rows = [
        {
            "change": change,
            "days": (change.new_due_date - change.old_due_date).days if change.new_due_date else 0,
            "moves": len(change.impact.get("moves", [])),
            "finish_before": change.impact.get("critical_path", {}).get("finish_before"),
            "finish_after": change.impact.get("critical_path", {}).get("finish_after"),
        }
        for change in changes
    ]
    warnings = list(
        early_warnings_for_contract(user=user, contract=contract, status=WarningStatus.OPEN)[
            :WARNINGS_SHOWN
        ]
    )
    # Counted every time, so a report costs the same queries however much there is.
    warnings_total = early_warnings_for_contract(
        user=user, contract=contract, status=WarningStatus.OPEN
    ).count()
    run = forecast_latest(contract=contract)
    forecast: dict[str, Any] | None = None
    if run is not None:
        forecast = {
            "as_of": run.as_of,
            "p50": run.finish_p50,
            "p80": run.finish_p80,
            "p50_late": (run.finish_p50 - contract.end_date).days if run.finish_p50 else None,
            "p80_late": (run.finish_p80 - contract.end_date).days if run.finish_p80 else None,
            "on_time": round(run.on_time_probability * 100)
            if run.on_time_probability is not None
            else None,
        }
    svg, note = _timeline(contract, rows, period, today)
    stages = _stages(rows)
    decisions = _decisions(contract, period)
    counts = {
        "total": len(rows),
        "done": sum(1 for r in rows if r["status"] in DONE_STATUSES),
        "overdue": sum(1 for r in rows if r["health"] == Health.OVERDUE),
        "at_risk": sum(1 for r in rows if r["health"] == Health.AT_RISK),
    }
    return {
        "contract": contract,
        "today": today,
        "counts": counts,
        "stages": _stages_shown(stages),
        "met": _bounded(met),
        "missed": _bounded(missed),
        "horizons": horizons,
        "upcoming": _bounded(upcoming),
        "money": money,
        "changes": _bounded(change_rows, CHANGES_SHOWN),
        "decisions": decisions,
        "warnings": Bounded(rows=warnings, total=warnings_total),
        "forecast": forecast,
        "timeline": svg,
        "timeline_note": note,
        "figures": {
            "milestones": counts["total"],
            "done": counts["done"],
            "overdue": counts["overdue"],
            "at_risk": counts["at_risk"],
            "met_this_period": len(met),
            "missed_this_period": len(missed),
            "stages": {stage.name: stage.rag for stage in stages},
            "money": {key: _money(value, currency) for key, value in money.items()},
            "open_change_requests": len(change_rows),
            "decisions_this_period": decisions.total,
            "open_early_warnings": warnings_total,
            "contract_end": contract.end_date.isoformat(),
            "forecast_p50": forecast["p50"].isoformat() if forecast and forecast["p50"] else None,
            "forecast_p80": forecast["p80"].isoformat() if forecast and forecast["p80"] else None,
        },
    }


def look_ahead(
    *, contract: Contract, user: User, period: Period, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return the look-ahead: the open milestones due in the period, by owner, with predecessors."""
    today = local_today(contract.time_zone, now)
    links = Dependency.objects.select_related("predecessor").order_by(
        "predecessor__due_date", "predecessor_id"
    )
    due = list(
        with_health(
            Milestone.objects.filter(
                contract=contract,
                status__in=OPEN_STATUSES,
                due_date__gte=period.start,
                due_date__lte=period.end,
            ),
            now=now,
        )
        .select_related("owner", "responsible_party__organisation")
        .prefetch_related(Prefetch("predecessor_links", queryset=links))
        .order_by("due_date", "id")
    )
    predecessor_ids = {link.predecessor_id for m in due for link in m.predecessor_links.all()}
    predecessor_health = dict(
        with_health(Milestone.objects.filter(pk__in=predecessor_ids), now=now).values_list(  # type: ignore[misc]
            "id", "health"
        )
    )
    by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    waiting = 0
    for milestone in due:
        predecessors = [
            {
                "milestone": link.predecessor,
                "health": predecessor_health.get(link.predecessor_id, ""),
                "done": link.predecessor.status in DONE_STATUSES,
            }
            for link in milestone.predecessor_links.all()
        ]
        blocked = any(not p["done"] for p in predecessors)
        waiting += blocked
        by_owner[str(milestone.owner)].append(
            {"milestone": milestone, "predecessors": predecessors, "blocked": blocked}
        )
    overdue = list(
        with_health(
            Milestone.objects.filter(
                contract=contract, status__in=OPEN_STATUSES, due_date__lt=period.start
            ),
            now=now,
        )
        .select_related("owner")
        .order_by("due_date", "id")[: LIST_LIMIT + 1]
    )
    owners = sorted(by_owner.items(), key=lambda item: item[0].lower())
    return {
        "contract": contract,
        "today": today,
        "owners": owners,
        "count": len(due),
        "waiting": waiting,
        "overdue": Bounded(rows=overdue[:LIST_LIMIT], total=len(overdue)),
        "figures": {
            "milestones_due": len(due),
            "owners": len(owners),
            "waiting_on_predecessors": waiting,
            "by_owner": {owner: len(items) for owner, items in owners},
        },
    }


def portfolio_report(
    *, user: User, period: Period, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return the portfolio: the user's contracts by next critical date, and money at risk."""
    rows = portfolio(user=user, now=now)
    at_risk: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        at_risk[row.contract.currency] += row.money_at_risk
    most_at_risk = sorted(
        (row for row in rows if row.money_at_risk), key=lambda row: -row.money_at_risk
    )[:5]
    return {
        "rows": rows,
        "today": local_today(user.time_zone, now),
        "at_risk": sorted(at_risk.items()),
        "most_at_risk": most_at_risk,
        "figures": {
            "contracts": len(rows),
            "money_at_risk": {c: _money(a, c) for c, a in sorted(at_risk.items())},
            "order": [row.contract.reference for row in rows],
        },
    }


def payment_report(
    *, contract: Contract, user: User, period: Period, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return the payment report: due, invoiced, overdue and paid in the period, and cash flow."""
    today = local_today(contract.time_zone, now)
    currency = contract.currency
    lists: dict[str, list[Any]] = {"due": [], "invoiced": [], "overdue": [], "paid": []}
    for terms in payments_for_contract(contract=contract):
        state = terms.state(today)
        if state == PaymentState.DUE:
            lists["due"].append(terms)
        if state == PaymentState.OVERDUE:
            lists["overdue"].append(terms)
        if terms.invoiced_on and period.start <= terms.invoiced_on <= period.end:
            lists["invoiced"].append(terms)
        if terms.paid_on and period.start <= terms.paid_on <= period.end:
            lists["paid"].append(terms)
    sums = {
        "due": sum((t.payable_amount for t in lists["due"]), Decimal(0)),
        "invoiced": sum((t.invoiced_amount or Decimal(0) for t in lists["invoiced"]), Decimal(0)),
        "overdue": sum((t.outstanding for t in lists["overdue"]), Decimal(0)),
        "paid": sum((t.paid_amount for t in lists["paid"]), Decimal(0)),
    }
    sums = {key: quantize(value, currency) for key, value in sums.items()}
    return {
        "contract": contract,
        "today": today,
        "lists": {key: _bounded(value, 25) for key, value in lists.items()},
        "sums": sums,
        "totals": payment_totals(contract=contract),
        "flows": cash_flow(user=user, contract=contract, now=now),
        "figures": {
            **{f"{key}_count": len(value) for key, value in lists.items()},
            **{key: _money(value, currency) for key, value in sums.items()},
        },
    }
