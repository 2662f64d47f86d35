"""The contract template body: its JSON shape, read into typed parts and checked as a whole.

A body (``version`` 1) holds what a contract of that kind always has, and nothing that varies:

- ``duration_days``: the contract's term, so its end date is the start date plus this;
- ``lead_role``: the role whose organisation usually sets the contract up (it owns it);
- ``roles``: the parties by role, each ``{"key", "role", "label"}``; ``key`` is what the rest of
  the body names (``"client"``, or ``"subcontractor-2"`` where a role appears twice);
- ``milestones``: each ``{"key", "kind", "title", "description", "criticality",
  "acceptance_criteria", "responsible", "due", "depends_on"}`` plus its kind's part:
  ``"accepting"`` (deliverable: the role that accepts it), ``"payment"`` (``payer``, ``payee``,
  ``trigger``, ``percentage`` of the contract value or a fixed ``amount``,
  ``retention_percent``), ``"gate"`` (``approvers``: roles) or ``"kpi"`` (``name``, ``unit``,
  ``target``, ``direction``, ``period``, ``measurement_start_offset`` in days from the start);
- ``due`` is either ``{"offset": N, "working_days": bool}`` from the contract's start date or
  ``{"after": key, "event": "met"|"due", "offset": N, "working_days": bool}``, a relative date
  ("14 days after Foundations complete is met") that follows its anchor;
- ``depends_on``: links ``{"on": key, "type": "FS"|"SS"|"FF"|"SF", "lag": N,
  "working_days": bool}``;
- ``reminders`` (optional): the contract's reminder rule, as ``alerts.rules.reminder_rule_set``
  takes it.

``body_read`` checks all of it and raises one ``DomainError`` (field ``body``) naming the part
that is wrong, so a saved template can always be used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from graphlib import CycleError, TopologicalSorter
from typing import Any

from milepost.contracts.choices import PartyRole
from milepost.core.errors import DomainError
from milepost.payments.services import PERCENT_PLACES
from milepost.performance.choices import Direction, Period
from milepost.schedule.choices import AnchorEvent, Criticality, DependencyType, MilestoneKind
from milepost.schedule.planning import MAX_LAG

VERSION = 1
MAX_MILESTONES = 200
MAX_OFFSET = 3650


@dataclass(frozen=True)
class RoleSpec:
    key: str
    role: str
    label: str


@dataclass(frozen=True)
class DueSpec:
    offset: int
    working_days: bool = False
    after: str = ""
    event: str = AnchorEvent.MET


@dataclass(frozen=True)
class LinkSpec:
    on: str
    type: str = DependencyType.FINISH_TO_START
    lag: int = 0
    working_days: bool = False


@dataclass(frozen=True)
class PaymentSpec:
    payer: str
    payee: str
    trigger: str
    percentage: Decimal | None
    amount: Decimal | None
    retention_percent: Decimal


@dataclass(frozen=True)
class KpiSpec:
    name: str
    unit: str
    target: Decimal
    direction: str
    period: str
    measurement_start_offset: int


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    kind: str
    title: str
    responsible: str
    due: DueSpec
    acceptance_criteria: str = ""
    description: str = ""
    criticality: str = Criticality.STANDARD
    accepting: str = ""
    depends_on: tuple[LinkSpec, ...] = ()
    payment: PaymentSpec | None = None
    approvers: tuple[str, ...] = ()
    kpi: KpiSpec | None = None


@dataclass(frozen=True)
class Body:
    duration_days: int
    lead_role: str
    roles: tuple[RoleSpec, ...]
    milestones: tuple[MilestoneSpec, ...]
    reminders: dict[str, Any] | None = None
    order: tuple[str, ...] = field(default=())

    def role(self, key: str) -> RoleSpec:
        return next(r for r in self.roles if r.key == key)

    def milestone(self, key: str) -> MilestoneSpec:
        return next(m for m in self.milestones if m.key == key)


def _fail(where: str, message: str) -> DomainError:
    return DomainError("invalid_template", f"{where}: {message}", field="body")


def _text(data: dict[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(f"{where}.{name}", "must be text.")
    if required and not value.strip():
        raise _fail(f"{where}.{name}", "is required.")
    return value.strip()


def _int(
    data: dict[str, Any], name: str, where: str, default: int | None = None, limit: int = MAX_LAG
) -> int:
    """A whole number of days; offsets and lags within the schedule's own limit (``MAX_LAG``)."""
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{where}.{name}", "must be a whole number.")
    if not -limit <= value <= limit:
        raise _fail(f"{where}.{name}", f"must be between -{limit} and {limit}.")
    return value


def _bool(data: dict[str, Any], name: str, where: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise _fail(f"{where}.{name}", "must be true or false.")
    return value


def _decimal(
    data: dict[str, Any], name: str, where: str, *, required: bool = True
) -> Decimal | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise _fail(f"{where}.{name}", "is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _fail(f"{where}.{name}", "must be a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _fail(f"{where}.{name}", f"'{value}' is not a number.") from None
    if not number.is_finite():
        raise _fail(f"{where}.{name}", f"'{value}' is not a number.")
    return number


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object.")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list.")
    return value


def _role_ref(value: Any, where: str, roles: set[str]) -> str:
    if value in (None, ""):
        raise _fail(where, f"names none of the template's roles ({', '.join(sorted(roles))}).")
    if value not in roles:
        raise _fail(
            where, f"'{value}' is not one of the template's roles ({', '.join(sorted(roles))})."
        )
    return str(value)


def _due(raw: Any, where: str) -> DueSpec:
    data = _dict(raw, where)
    after = _text(data, "after", where, required=False)
    # A date from the start may be anywhere in the term; one counted from another milestone is
    # an anchor, which the schedule holds to its own limit.
    event = data.get("event", AnchorEvent.MET)
    if event not in AnchorEvent.values:
        raise _fail(f"{where}.event", "is 'met' or 'due'.")
    offset = _int(data, "offset", where, 0, MAX_OFFSET if not after else MAX_LAG)
    if not after and offset < 0:
        raise _fail(f"{where}.offset", "a date from the contract's start cannot be before it.")
    return DueSpec(
        offset=offset, working_days=_bool(data, "working_days", where), after=after, event=event
    )


def _links(raw: Any, where: str) -> tuple[LinkSpec, ...]:
    links: list[LinkSpec] = []
    for n, item in enumerate(_list(raw or [], where)):
        here = f"{where}[{n}]"
        data = _dict(item, here)
        if any(link.on == data.get("on") for link in links):
            raise _fail(here, f"links to '{data.get('on')}' a second time; link to it once.")
        kind = data.get("type", DependencyType.FINISH_TO_START)
        if kind not in DependencyType.values:
            raise _fail(f"{here}.type", "is FS, SS, FF or SF.")
        links.append(
            LinkSpec(
                on=_text(data, "on", here),
                type=kind,
                lag=_int(data, "lag", here, 0),
                working_days=_bool(data, "working_days", here),
            )
        )
    return tuple(links)


def _payment(raw: Any, where: str, roles: set[str]) -> PaymentSpec:
    data = _dict(raw, where)
    percentage = _decimal(data, "percentage", where, required=False)
    if percentage is not None:
        # Stored (and so paid) to 4 places, as the payment service rounds it.
        percentage = percentage.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)
    amount = _decimal(data, "amount", where, required=False)
    if (percentage is None) == (amount is None):
        raise _fail(where, "give either a percentage of the contract value or an amount.")
    if percentage is not None and not Decimal(0) < percentage <= Decimal(100):
        raise _fail(f"{where}.percentage", "must be more than 0 and at most 100.")
    if amount is not None and amount <= 0:
        raise _fail(f"{where}.amount", "must be more than 0.")
    retention = _decimal(data, "retention_percent", where, required=False) or Decimal(0)
    retention = retention.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not Decimal(0) <= retention <= Decimal(100):
        raise _fail(f"{where}.retention_percent", "must be from 0 to 100.")
    payer = _role_ref(data.get("payer"), f"{where}.payer", roles)
    payee = _role_ref(data.get("payee"), f"{where}.payee", roles)
    if payer == payee:
        raise _fail(where, "the payer and the payee must be different roles.")
    return PaymentSpec(
        payer=payer,
        payee=payee,
        trigger=_text(data, "trigger", where),
        percentage=percentage,
        amount=amount,
        retention_percent=retention,
    )


def _kpi(raw: Any, where: str) -> KpiSpec:
    data = _dict(raw, where)
    direction = data.get("direction")
    if direction not in Direction.values:
        raise _fail(f"{where}.direction", "is 'at_least' or 'at_most'.")
    period = data.get("period")
    if period not in Period.values:
        raise _fail(f"{where}.period", f"is one of {', '.join(Period.values)}.")
    start = _int(data, "measurement_start_offset", where, 0, MAX_OFFSET)
    if start < 0:
        raise _fail(f"{where}.measurement_start_offset", "cannot be before the contract starts.")
    target = _decimal(data, "target", where)
    assert target is not None
    return KpiSpec(
        name=_text(data, "name", where),
        unit=_text(data, "unit", where),
        target=target,
        direction=direction,
        period=period,
        measurement_start_offset=start,
    )


def _milestone(raw: Any, where: str, roles: set[str]) -> MilestoneSpec:
    data = _dict(raw, where)
    kind = data.get("kind")
    if kind not in MilestoneKind.values:
        raise _fail(f"{where}.kind", f"is one of {', '.join(MilestoneKind.values)}.")
    criticality = data.get("criticality") or (
        Criticality.CRITICAL if kind == MilestoneKind.GATE else Criticality.STANDARD
    )
    if criticality not in Criticality.values:
        raise _fail(f"{where}.criticality", "is 'critical' or 'standard'.")
    spec: dict[str, Any] = {
        "key": _text(data, "key", where),
        "kind": kind,
        "title": _text(data, "title", where),
        "description": _text(data, "description", where, required=False),
        "criticality": criticality,
        "acceptance_criteria": _text(
            data, "acceptance_criteria", where, required=kind != MilestoneKind.PAYMENT
        ),
        "responsible": _role_ref(data.get("responsible"), f"{where}.responsible", roles),
        "due": _due(data.get("due", {}), f"{where}.due"),
        "depends_on": _links(data.get("depends_on"), f"{where}.depends_on"),
    }
    if kind == MilestoneKind.DELIVERABLE:
        spec["accepting"] = _role_ref(data.get("accepting"), f"{where}.accepting", roles)
        if spec["accepting"] == spec["responsible"]:
            raise _fail(f"{where}.accepting", "another role than the responsible one accepts it.")
    elif kind == MilestoneKind.PAYMENT:
        spec["payment"] = _payment(data.get("payment"), f"{where}.payment", roles)
        spec["responsible"] = spec["payment"].payer
    elif kind == MilestoneKind.GATE:
        gate = _dict(data.get("gate"), f"{where}.gate")
        approvers = _list(gate.get("approvers"), f"{where}.gate.approvers")
        if not approvers or len(set(approvers)) != len(approvers):
            raise _fail(f"{where}.gate.approvers", "name each approving role once, at least one.")
        spec["approvers"] = tuple(_role_ref(a, f"{where}.gate.approvers", roles) for a in approvers)
    else:
        spec["kpi"] = _kpi(data.get("kpi"), f"{where}.kpi")
    return MilestoneSpec(**spec)


def _order(milestones: list[MilestoneSpec]) -> tuple[str, ...]:
    """Order the milestones so each comes after its anchor and its payment trigger."""
    keys = {m.key for m in milestones}
    graph: dict[str, set[str]] = {}
    for n, m in enumerate(milestones):
        where = f"milestones[{n}]"
        needs = set()
        if m.due.after:
            if m.due.after not in keys or m.due.after == m.key:
                raise _fail(f"{where}.due.after", f"'{m.due.after}' is not another milestone.")
            needs.add(m.due.after)
        if m.payment is not None:
            trigger = next((t for t in milestones if t.key == m.payment.trigger), None)
            if trigger is None or trigger.kind == MilestoneKind.PAYMENT:
                raise _fail(
                    f"{where}.payment.trigger",
                    f"'{m.payment.trigger}' is not a deliverable, gate or target of the template.",
                )
            needs.add(trigger.key)
        for link in m.depends_on:
            if link.on not in keys or link.on == m.key:
                raise _fail(f"{where}.depends_on", f"'{link.on}' is not another milestone.")
            needs.add(link.on)
        graph[m.key] = needs
    try:
        return tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        loop = " → ".join(str(k) for k in error.args[1])
        raise _fail("milestones", f"the dates and links go round in a loop: {loop}.") from None


def _reminders(raw: Any) -> dict[str, Any] | None:
    if raw in (None, {}):
        return None
    data = _dict(raw, "reminders")
    offsets = _list(data.get("offsets", []), "reminders.offsets")
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
        raise _fail("reminders.offsets", "must be whole numbers of days.")
    escalate = data.get("escalate_after")
    if escalate is not None and (isinstance(escalate, bool) or not isinstance(escalate, int)):
        raise _fail("reminders.escalate_after", "must be a whole number of days or empty.")
    return {
        "offsets": offsets,
        "working_days": _bool(data, "working_days", "reminders"),
        "overdue_every": _int(data, "overdue_every", "reminders", 0),
        "escalate_after": escalate,
        "escalate_critical_to_counterparty": _bool(
            data, "escalate_critical_to_counterparty", "reminders"
        ),
        "channels": [str(c) for c in _list(data.get("channels", ["email"]), "reminders.channels")],
    }


def body_read(raw: Any) -> Body:
    """Check a template body and return it typed; refuse it whole, naming the part that is wrong."""
    data = _dict(raw, "template")
    if data.get("version", VERSION) != VERSION:
        raise _fail("template.version", f"this Milepost reads version {VERSION}.")
    duration = data.get("duration_days")
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 1 <= duration <= MAX_OFFSET
    ):
        raise _fail("template.duration_days", f"must be a whole number of days, 1 to {MAX_OFFSET}.")
    roles: list[RoleSpec] = []
    for n, item in enumerate(_list(data.get("roles"), "roles")):
        where = f"roles[{n}]"
        role = _dict(item, where)
        kind = role.get("role")
        if kind not in PartyRole.values:
            raise _fail(
                f"{where}.role", "is client, supplier, subcontractor, consultant or observer."
            )
        key = _text(role, "key", where)
        roles.append(
            RoleSpec(
                key=key,
                role=kind,
                label=_text(role, "label", where, required=False) or str(PartyRole(kind).label),
            )
        )
    keys = {r.key for r in roles}
    if len(roles) < 2 or len(keys) != len(roles):
        raise _fail("roles", "name at least two roles, each key once.")
    lead = _role_ref(data.get("lead_role", roles[0].key), "template.lead_role", keys)
    if next(r for r in roles if r.key == lead).role == PartyRole.OBSERVER:
        raise _fail("template.lead_role", "an observer cannot set a contract up.")
    items = _list(data.get("milestones"), "milestones")
    if len(items) > MAX_MILESTONES:
        raise _fail("milestones", f"a template holds at most {MAX_MILESTONES} milestones.")
    milestones = [_milestone(m, f"milestones[{n}]", keys) for n, m in enumerate(items)]
    if len({m.key for m in milestones}) != len(milestones):
        raise _fail("milestones", "each milestone's key must be different.")
    shares = sum(
        (m.payment.percentage for m in milestones if m.payment and m.payment.percentage),
        Decimal(0),
    )
    if shares > 100:
        raise _fail(
            "milestones", f"the payment stages add up to {shares.normalize():f}% of the value."
        )
    return Body(
        duration_days=duration,
        lead_role=lead,
        roles=tuple(roles),
        milestones=tuple(milestones),
        reminders=_reminders(data.get("reminders")),
        order=_order(milestones),
    )


def end_date_for(body: Body, start: dt.date) -> dt.date:
    return start + dt.timedelta(days=body.duration_days)
