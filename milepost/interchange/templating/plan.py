"""Work out, without writing anything, what a template makes for one start date and value.

Dates follow the contract's working-day calendar exactly as the schedule will once the
milestones exist: a date from the start is the start moved by its offset; a relative date is its
anchor's due date moved by its offset (a "met" anchor counts from its due date until it is met).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from milepost.core.errors import DomainError
from milepost.core.money import format_money, quantize
from milepost.core.workdays import Calendar
from milepost.performance.choices import Period
from milepost.schedule.choices import AnchorEvent, MilestoneKind
from milepost.schedule.graph import Anchor, Graph, Link, Node
from milepost.schedule.graph.propagation import propagate

from .body import Body, MilestoneSpec


def day_text(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass
class PlannedMilestone:
    """One milestone the template will create, with its date and amount worked out."""

    spec: MilestoneSpec
    kind_label: str
    responsible: str
    due_date: dt.date
    basis: str
    amount: Decimal | None = None
    amount_text: str = ""
    left_out: str = ""


@dataclass
class Plan:
    start_date: dt.date
    end_date: dt.date
    milestones: list[PlannedMilestone] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def created(self) -> list[PlannedMilestone]:
        return [m for m in self.milestones if not m.left_out]

    def by_key(self) -> dict[str, PlannedMilestone]:
        return {m.spec.key: m for m in self.milestones}


def measurement_start(start_date: dt.date, offset: int, period: str) -> dt.date:
    """Return when a KPI's measuring starts: monthly and quarterly ones on the next 1st."""
    day = start_date + dt.timedelta(days=offset)
    if period in (Period.MONTH, Period.QUARTER) and day.day != 1:
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return day


def _unit(days: int, working: bool) -> str:
    word = "working day" if working else "day"
    return f"{abs(days)} {word}{'' if abs(days) == 1 else 's'}"


def due_text(body: Body, spec: MilestoneSpec) -> str:
    """Say how a template milestone's date is worked out: "30 days after Foundations is met"."""
    due = spec.due
    if not due.after:
        return f"{_unit(due.offset, due.working_days)} after the start"
    when = "is met" if due.event == AnchorEvent.MET else "is due"
    side = "before" if due.offset < 0 else "after"
    anchor = body.milestone(due.after).title
    return f"{_unit(due.offset, due.working_days)} {side} {anchor} {when}"


def share_text(spec: MilestoneSpec) -> str:
    """Say what a payment stage is worth, without a contract value: "30% of the value"."""
    pay = spec.payment
    if pay is None:
        return ""
    text = f"{pay.percentage.normalize():f}% of the value" if pay.percentage else "a fixed amount"
    if pay.retention_percent:
        text += f", {pay.retention_percent.normalize():f}% retained"
    return text


def template_plan(
    *,
    body: Body,
    start_date: dt.date,
    value: Decimal,
    currency: str,
    calendar: Calendar,
    role_names: dict[str, str] | None = None,
) -> Plan:
    """Return every milestone of ``body`` with its due date and amount for this contract."""
    try:
        return _plan(body, start_date, value, currency, calendar, role_names or {})
    except OverflowError:
        raise DomainError(
            "date_out_of_range",
            f"A contract of this template starting on {day_text(start_date)} would run past the "
            "dates Milepost can count; give an earlier start date.",
            field="start_date",
        ) from None


def _plan(
    body: Body,
    start_date: dt.date,
    value: Decimal,
    currency: str,
    calendar: Calendar,
    names: dict[str, str],
) -> Plan:
    end_date = start_date + dt.timedelta(days=body.duration_days)
    planned: dict[str, PlannedMilestone] = {}
    for key in body.order:
        spec = body.milestone(key)
        day = start_date  # worked out below, all at once
        basis = due_text(body, spec)
        amount = None
        amount_text = ""
        if spec.payment is not None:
            pay = spec.payment
            if pay.percentage is not None:
                amount = quantize(value * pay.percentage / Decimal(100), currency)
                amount_text = f"{format_money(amount, currency)} ({pay.percentage.normalize():f}%)"
            else:
                assert pay.amount is not None
                amount = quantize(pay.amount, currency)
                amount_text = format_money(amount, currency)
            if pay.retention_percent:
                amount_text += f", {pay.retention_percent.normalize():f}% retained"
        role = body.role(spec.responsible)
        planned[key] = PlannedMilestone(
            spec=spec,
            kind_label=str(MilestoneKind(spec.kind).label),
            responsible=names.get(role.key) or role.label,
            due_date=day,
            basis=basis,
            amount=amount,
            amount_text=amount_text,
        )
    for key, day in _scheduled(body, start_date, calendar).items():
        planned[key].due_date = day
    ordered = [planned[m.key] for m in body.milestones]
    return Plan(start_date=start_date, end_date=end_date, milestones=ordered)


def _scheduled(body: Body, start_date: dt.date, calendar: Calendar) -> dict[str, dt.date]:
    """Work the dates out with the schedule's own arithmetic, as the contract will have them.

    The template's milestones become a graph like the one the contract gets: relative dates as
    anchors, links (and each payment's link to its trigger) as links, and a date from the start
    as an anchor on a stand-in for the start itself. ``propagate`` then counts working days and
    applies links exactly as the schedule does once the milestones exist.
    """
    ids = {key: n for n, key in enumerate(body.order, start=1)}
    nodes = [Node(0, "the start", start_date)]
    links: list[Link] = []
    for key in body.order:
        spec = body.milestone(key)
        due = spec.due
        anchor_on = ids[due.after] if due.after else 0
        event = due.event if due.after else AnchorEvent.DUE
        nodes.append(
            Node(
                ids[key],
                spec.title,
                start_date,
                anchor=Anchor(anchor_on, event, due.offset, due.working_days),
            )
        )
        trigger = spec.payment.trigger if spec.payment else ""
        if trigger:
            links.append(Link(ids[trigger], ids[key]))
        for link in spec.depends_on:
            if link.on != trigger:
                links.append(Link(ids[link.on], ids[key], link.type, link.lag, link.working_days))
    result = propagate(Graph(nodes, links), calendar, {0})
    moved = {pk: move.new_due for pk, move in result.moves.items()}
    return {key: moved.get(pk, start_date) for key, pk in ids.items()}
