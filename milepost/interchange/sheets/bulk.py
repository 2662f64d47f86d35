"""Create many new milestones and links at once, with every rule their services apply.

Creating one milestone through its service costs some fifteen queries (access, checks, the row,
its terms, its events); a sheet of 10,000 rows would take minutes. Here the same rules are
checked in Python against what the import loaded once (people, memberships, parties, the
contract's milestones and links), each refusal worded as the service words it and named by row
and column, and the rows, their kind's terms and their events (the same actions and contents
as the services record, hashed into the chain in order) are written in bulk. The payment rules
(amount or percentage, retention, the 100% total) and the KPI number rule are the payment and
performance services' own functions.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.approvals.events import ApprovalEvent
from milepost.approvals.models import GateRequirement
from milepost.audit.services import EventItem, event_record_many
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess
from milepost.core.errors import DomainError
from milepost.core.models import validate_lengths
from milepost.core.text import text_check
from milepost.payments.events import PaymentEvent
from milepost.payments.models import PaymentTerms
from milepost.payments.services import (
    _amount_and_percentage,
    _check_total,
    _committed_total,
    _require_payer_manager,
    _retention,
)
from milepost.performance.choices import Direction, Period
from milepost.performance.events import PerformanceEvent
from milepost.performance.models import KPI
from milepost.performance.services import KPI_NAME_MAX, KPI_UNIT_MAX, _decimal
from milepost.schedule.choices import DependencyType, MilestoneKind, MilestoneStatus
from milepost.schedule.events import ScheduleEvent
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.planning import MAX_LAG, check_milestone_date, contract_graph
from milepost.schedule.services import EDITABLE_FIELDS

# The rows and the loaded context are ``milestones.Row`` and ``milestones._Context``; they are
# typed loosely here so that this module does not import the one that uses it.
Row = Any
Context = Any


class Checker:
    """The creation rules of the four kinds, checked row by row without writing."""

    def __init__(self, ctx: Context, access: ContractAccess) -> None:
        self.ctx = ctx
        self.contract: Contract = ctx.contract
        self.access = access
        orgs = {p.organisation_id for p in ctx.parties.values()}
        self.roles: dict[tuple[int, int], str] = {
            (user_id, org_id): role
            for user_id, org_id, role in Membership.objects.filter(
                organisation_id__in=orgs
            ).values_list("user_id", "organisation_id", "role")
        }
        self.committed: Decimal | None = None

    def check(self, row: Row, kinds: dict[str, str]) -> None:
        """Add to ``row.errors`` what the kind's create service would refuse."""
        try:
            self._check(row, kinds)
        except DomainError as exc:
            row.errors.append(f"row {row.number}, {exc.field or 'title'}: {exc.message}")

    def _check(self, row: Row, kinds: dict[str, str]) -> None:
        d, contract = row.data, self.contract
        if row.kind == MilestoneKind.PAYMENT:
            responsible, accepting = d["payer"], None
        else:
            responsible, accepting = d["responsible_party"], d["accepting_party"]
        if (
            row.kind in (MilestoneKind.DELIVERABLE, MilestoneKind.GATE)
            and not d["acceptance_criteria"]
        ):
            raise DomainError(
                "required",
                "Say how the milestone is judged met: acceptance criteria are required.",
                field="acceptance_criteria",
            )
        validate_lengths(
            Milestone(
                contract=contract,
                kind=row.kind,
                title=row.title,
                reference=row.reference,
                description=d["description"],
                acceptance_criteria=d["acceptance_criteria"],
                criticality=d["criticality"],
            )
        )
        if d["due_date"] < contract.start_date:
            raise DomainError(
                "due_before_start",
                f"The due date is before the contract starts ({contract.start_date}).",
                field="due_date",
            )
        check_milestone_date(d["due_date"], contract)
        role = self.roles.get((d["owner"].pk, responsible.organisation_id))
        if role is None or role == Role.VIEWER:
            raise DomainError(
                "owner_not_member",
                f"The owner must be a member of {responsible.organisation}, the responsible party.",
                field="owner",
            )
        if row.kind == MilestoneKind.DELIVERABLE:
            if accepting is None:
                raise DomainError(
                    "accepting_party_required",
                    "Name the party that accepts this deliverable.",
                    field="accepting_party",
                )
            if accepting == responsible:
                raise DomainError(
                    "accepting_party_is_responsible",
                    "A deliverable is accepted by another party than the one that delivers it.",
                    field="accepting_party",
                )
        elif accepting is not None:
            raise DomainError(
                "accepting_party_not_allowed",
                "Only deliverables have an accepting party.",
                field="accepting_party",
            )
        if row.kind == MilestoneKind.PAYMENT:
            self._payment(row, kinds)
        elif row.kind == MilestoneKind.PERFORMANCE:
            self._performance(row)
        elif row.kind == MilestoneKind.GATE:
            parties = d["required_parties"]
            if len({p.pk for p in parties}) != len(parties):
                raise DomainError(
                    "duplicate_approver", "Name each required party once.", field="required_parties"
                )

    def _payment(self, row: Row, kinds: dict[str, str]) -> None:
        d = row.data
        if d["payer"] == d["payee"]:
            raise DomainError(
                "payer_is_payee",
                "The payer and the payee must be different parties.",
                field="payee",
            )
        try:
            _require_payer_manager(self.access, d["payer"])
        except DomainError as exc:
            raise DomainError(exc.code, exc.message, field="payer") from exc
        # An existing milestone is checked as it stands, even when the file names it too.
        trigger = self.ctx.existing_for(d["trigger"])
        kind = kinds.get(d["trigger"]) or (trigger.kind if trigger is not None else "")
        if trigger is not None and trigger.status == MilestoneStatus.CANCELLED:
            raise DomainError(
                "invalid_trigger",
                f"'{trigger.title}' is cancelled, so a payment triggered by it would never fall due.",
                field="trigger",
            )
        if kind == MilestoneKind.PAYMENT:
            raise DomainError(
                "invalid_trigger",
                "A payment is triggered by a deliverable, gate or target, not another payment.",
                field="trigger",
            )
        basis, value, pct = _amount_and_percentage(self.contract, d["amount"], d["percentage"])
        retention = _retention(d["retention_percent"] or Decimal(0))
        if self.committed is None:
            self.committed = _committed_total(self.contract)
        _check_total(self.contract, self.committed + value)
        self.committed += value
        d["_terms"] = (basis, value, pct, retention)

    def _performance(self, row: Row) -> None:
        d, contract = row.data, self.contract
        text_check(d["kpi_name"], field="kpi_name", limit=KPI_NAME_MAX, label="The KPI's name")
        text_check(d["unit"], field="unit", limit=KPI_UNIT_MAX, label="The KPI's unit")
        if d["direction"] not in Direction.values:
            raise DomainError(
                "invalid_direction", "The target is 'at_least' or 'at_most'.", field="direction"
            )
        if d["period"] not in Period.values:
            raise DomainError(
                "invalid_period",
                f"The period is one of {', '.join(Period.values)}.",
                field="period",
            )
        d["target"] = _decimal(d["target"], "target")
        start: dt.date = d["measurement_start"]
        if start > d["due_date"]:
            raise DomainError(
                "measurement_start_after_due",
                "Measurement starts on or before the due date.",
                field="measurement_start",
            )
        if start < contract.start_date:
            raise DomainError(
                "measurement_before_contract",
                "Measurement starts on or after the contract start.",
                field="measurement_start",
            )
        if d["period"] in (Period.MONTH, Period.QUARTER) and start.day != 1:
            raise DomainError(
                "period_start_misaligned",
                "Monthly and quarterly measurement starts on the first of a month.",
                field="measurement_start",
            )


def check_links(rows: Iterable[Row], ctx: Context, kinds: dict[str, str]) -> None:
    """Refuse a lag out of range, a link to itself, twice the same link, or a loop."""
    loaded = contract_graph(contract=ctx.contract)
    edges: dict[str, set[str]] = {}
    # Existing links, keyed by the milestone's reference or id as the sheet would name it.
    key = {m.pk: (m.reference or str(m.pk)) for m in ctx.by_id.values()}
    for pred, links in loaded.graph.outgoing.items():
        for link in links:
            if pred in key and link.successor in key:
                edges.setdefault(key[pred], set()).add(key[link.successor])

    def named(ref: str) -> str:
        target = ref if ref in kinds else ctx.existing_for(ref)
        return ref if isinstance(target, str) else key.get(target.pk, ref) if target else ref

    for row in rows:
        me = row.reference or (str(row.existing.pk) if row.existing is not None else "")
        trigger = row.data.get("trigger") if row.kind == MilestoneKind.PAYMENT else ""
        if me and trigger:
            # A payment follows its trigger: that link is part of any loop too.
            edges.setdefault(named(trigger), set()).add(me)
        seen: set[str] = set()
        for ref, lag in row.links:
            where = f"row {row.number}, depends_on"
            name = named(ref)
            if not -MAX_LAG <= lag <= MAX_LAG:
                row.errors.append(f"{where}: a lag is between -{MAX_LAG} and {MAX_LAG} days")
            elif name == me:
                row.errors.append(f"{where}: a milestone cannot depend on itself")
            elif name in seen:
                row.errors.append(f"{where}: {ref} is named twice")
            seen.add(name)
            if me:
                edges.setdefault(name, set()).add(me)
    # A loop: depth-first search over the references, iteratively.
    state: dict[str, int] = {}
    for start in list(edges):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(edges.get(start, ()))))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                found = next((r for r in rows if r.reference == child), None)
                number = f"row {found.number}, " if found is not None else ""
                raise DomainError(
                    "dependency_cycle",
                    f"{number}depends_on: the links make a loop through {child}",
                    field="file",
                )
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(edges.get(child, ())))))


def _snapshot(milestone: Milestone) -> dict[str, Any]:
    def shown(value: Any) -> Any:
        if isinstance(value, Party):
            return str(value.organisation)
        if isinstance(value, User):
            return value.username
        return value

    fields = ["kind", *EDITABLE_FIELDS, "responsible_party", "accepting_party"]
    return {name: shown(getattr(milestone, name)) for name in fields}


def _link_after(link: Dependency) -> dict[str, Any]:
    return {
        "predecessor": link.predecessor.title,
        "successor": link.successor.title,
        "type": link.type,
        "lag": link.lag,
        "working_days": link.working_days,
    }


def create_rows(
    rows: list[Row], ctx: Context, actor: User, refs: dict[str, Milestone]
) -> list[EventItem]:
    """Write the new rows' milestones (payments after what triggers them) and their kind's
    terms; return their events, in the order the services would record them."""
    contract = ctx.contract
    events: list[EventItem] = []
    for group in (
        [r for r in rows if r.kind != MilestoneKind.PAYMENT],
        [r for r in rows if r.kind == MilestoneKind.PAYMENT],
    ):
        made: list[Milestone] = []
        for row in group:
            d = row.data
            payment = row.kind == MilestoneKind.PAYMENT
            criteria = d["acceptance_criteria"]
            if payment and not criteria:
                trigger = refs.get(d["trigger"]) or ctx.existing_for(d["trigger"])
                criteria = f"Paid in full once '{trigger.title}' is met."
            if row.kind == MilestoneKind.PERFORMANCE and not criteria:
                label = Direction(d["direction"]).label.lower()
                criteria = (
                    f"{d['kpi_name']} {label} {d['target'].normalize():f} {d['unit']} in every "
                    f"{d['period']} from {d['measurement_start']:%d %b %Y} to "
                    f"{d['due_date']:%d %b %Y}."
                )
            made.append(
                Milestone(
                    contract=contract,
                    kind=row.kind,
                    title=row.title.strip(),
                    reference=row.reference.strip(),
                    description=d["description"],
                    owner=d["owner"],
                    responsible_party=d["payer"] if payment else d["responsible_party"],
                    accepting_party=None if payment else d["accepting_party"],
                    criticality=d["criticality"],
                    acceptance_criteria=criteria,
                    baseline_due_date=d["due_date"],
                    due_date=d["due_date"],
                )
            )
        Milestone.objects.bulk_create(made, batch_size=500)
        terms: list[PaymentTerms] = []
        kpis: list[KPI] = []
        gates: list[GateRequirement] = []
        links: list[Dependency] = []
        for row, milestone in zip(group, made, strict=True):
            row.existing = milestone
            if row.reference:
                refs[row.reference] = milestone
            events.append(
                (
                    ScheduleEvent.MILESTONE_CREATED,
                    milestone,
                    None,
                    {
                        **_snapshot(milestone),
                        "due_date": milestone.due_date,
                        **({"reference": milestone.reference} if milestone.reference else {}),
                    },
                    None,
                    None,
                )
            )
            d = row.data
            if row.kind == MilestoneKind.PAYMENT:
                basis, value, pct, retention = d["_terms"]
                paid_on = refs.get(d["trigger"]) or ctx.existing_for(d["trigger"])
                assert paid_on is not None
                terms.append(
                    PaymentTerms(
                        milestone=milestone,
                        basis=basis,
                        amount=value,
                        percentage=pct,
                        payer=d["payer"],
                        payee=d["payee"],
                        trigger=paid_on,
                        retention_percent=retention,
                    )
                )
                links.append(Dependency(predecessor=paid_on, successor=milestone))
            elif row.kind == MilestoneKind.PERFORMANCE:
                kpis.append(
                    KPI(
                        milestone=milestone,
                        name=d["kpi_name"].strip(),
                        unit=d["unit"].strip(),
                        target=d["target"],
                        direction=d["direction"],
                        period=d["period"],
                        measurement_start=d["measurement_start"],
                    )
                )
            elif row.kind == MilestoneKind.GATE:
                gates.extend(
                    GateRequirement(milestone=milestone, party=p) for p in d["required_parties"]
                )
        PaymentTerms.objects.bulk_create(terms, batch_size=500)
        KPI.objects.bulk_create(kpis, batch_size=500)
        GateRequirement.objects.bulk_create(gates, batch_size=500)
        Dependency.objects.bulk_create(links, batch_size=500)
        for t, link in zip(terms, links, strict=True):
            events.append(
                (
                    PaymentEvent.PAYMENT_TERMS_SET,
                    t,
                    None,
                    {
                        "basis": t.basis,
                        "amount": t.amount,
                        "percentage": t.percentage,
                        "currency": contract.currency,
                        "payer": str(t.payer.organisation),
                        "payee": str(t.payee.organisation),
                        "trigger": t.trigger.title,
                        "retention_percent": t.retention_percent,
                    },
                    None,
                    None,
                )
            )
            events.append(
                (
                    ScheduleEvent.DEPENDENCY_ADDED,
                    link,
                    None,
                    _link_after(link),
                    contract.pk,
                    link.successor_id,
                )
            )
        for kpi in kpis:
            events.append(
                (
                    PerformanceEvent.KPI_SET,
                    kpi,
                    None,
                    {
                        "name": kpi.name,
                        "unit": kpi.unit,
                        "target": kpi.target,
                        "direction": kpi.direction,
                        "period": kpi.period,
                        "measurement_start": kpi.measurement_start,
                    },
                    None,
                    kpi.milestone_id,
                )
            )
        for requirement in gates:
            events.append(
                (
                    ApprovalEvent.GATE_APPROVER_REQUIRED,
                    requirement,
                    None,
                    {"party": str(requirement.party.organisation)},
                    None,
                    requirement.milestone_id,
                )
            )
    return events


def link_rows(pairs: list[tuple[Milestone, Milestone, int]], contract: Contract) -> list[EventItem]:
    """Write new finish-to-start links (checked by ``check_links``); return their events."""
    links = [
        Dependency(predecessor=p, successor=s, type=DependencyType.FINISH_TO_START, lag=lag)
        for p, s, lag in pairs
    ]
    Dependency.objects.bulk_create(links, batch_size=500)
    return [
        (
            ScheduleEvent.DEPENDENCY_ADDED,
            link,
            None,
            _link_after(link),
            contract.pk,
            link.successor_id,
        )
        for link in links
    ]


def record(actor: User, events: list[EventItem]) -> None:
    event_record_many(actor=actor, events=events)
