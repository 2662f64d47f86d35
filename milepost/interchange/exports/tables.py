"""The lists a person can export, each as a table of typed values read a chunk at a time.

Every table is built from the selector its page uses, so an export holds exactly what the
person can see with the filters they set. Rows are read with ``values_list`` and
``.iterator()``: no model is built per row and no query is made per row (a contract's
dependencies, gate parties and milestone references are read once, up front). Exports are
reads: they record no audit event.
"""

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, cast

from milepost.accounts.models import User
from milepost.approvals.models import GateRequirement
from milepost.audit.selectors import events_for_contract
from milepost.audit.sentences import event_sentences
from milepost.contracts.models import Contract
from milepost.core.dates import local_today
from milepost.finance.outlook.selectors import cash_flow_curves
from milepost.interchange.columns import LIST_SEPARATOR, MILESTONE_COLUMNS
from milepost.payments.choices import PaymentBasis
from milepost.payments.selectors import payments_for_contract
from milepost.reporting.selectors.milestones import MilestoneFilters, milestones_filtered
from milepost.schedule.changes import change_requests_for_user
from milepost.schedule.choices import (
    ChangeStatus,
    Criticality,
    Health,
    MilestoneKind,
    MilestoneStatus,
)
from milepost.schedule.models import Dependency

# Rows fetched from the database at a time.
FETCH = 2000


@dataclass(frozen=True)
class Col:
    """One column: its header and how wide a spreadsheet shows it (in characters)."""

    name: str
    width: int = 16


@dataclass
class Table:
    """A list ready to write: a sheet title, a file name without extension, columns, rows."""

    title: str
    file_stem: str
    columns: Sequence[Col]
    rows: Iterable[Sequence[Any]]


def _stem(*parts: str) -> str:
    """A file name people can keep: letters, digits, dots and dashes."""
    text = "-".join(part for part in parts if part)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "export"


def _labels(choices: Any) -> Callable[[Any], str]:
    table = dict(choices.choices)
    return lambda value: table.get(value, value or "")


def _person(first: str | None, last: str | None, username: str | None) -> str:
    return f"{first or ''} {last or ''}".strip() or (username or "")


def _local(value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """A moment as the contract's wall-clock time (a spreadsheet cell has no time zone)."""
    return value.astimezone(zone).replace(tzinfo=None) if value else None


def _zone(contract: Contract) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(contract.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- the milestone list, with the list page's filters --------------------------------------

MILESTONE_LIST_COLUMNS = (
    Col("Contract", 14),
    Col("Contract title", 28),
    Col("Reference", 12),
    Col("Milestone", 36),
    Col("Kind", 12),
    Col("Status", 14),
    Col("Health", 10),
    Col("Progress (%)", 10),
    Col("Due date", 12),
    Col("Baseline due date", 12),
    Col("Forecast date", 12),
    Col("Met on", 12),
    Col("Owner", 20),
    Col("Responsible party", 24),
    Col("Critical", 8),
    Col("Amount", 14),
    Col("Currency", 8),
)


def milestone_list_table(
    *, user: User, filters: MilestoneFilters, now: dt.datetime | None = None
) -> Table:
    """Return the milestones the user sees on the milestone list with ``filters``, in its order."""
    rows = (
        milestones_filtered(user=user, filters=filters, now=now)
        .values_list(  # type: ignore[misc]  # health is annotated by the selector
            "contract__reference",
            "contract__title",
            "reference",
            "title",
            "kind",
            "status",
            "health",
            "progress",
            "due_date",
            "baseline_due_date",
            "forecast_date",
            "met_on",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            "responsible_party__organisation__name",
            "criticality",
            "payment__amount",
            "contract__currency",
        )
        .iterator(chunk_size=FETCH)
    )
    kind, status, health = _labels(MilestoneKind), _labels(MilestoneStatus), _labels(Health)

    def shaped() -> Iterator[tuple[Any, ...]]:
        for (
            reference,
            contract_title,
            own_reference,
            title,
            kind_value,
            status_value,
            health_value,
            progress,
            due,
            baseline,
            forecast,
            met_on,
            first,
            last,
            username,
            party,
            criticality,
            amount,
            currency,
        ) in rows:
            yield (
                reference,
                contract_title,
                own_reference,
                title,
                kind(kind_value),
                status(status_value),
                health(health_value),
                progress,
                due,
                baseline,
                forecast,
                met_on,
                _person(first, last, username),
                party,
                criticality == Criticality.CRITICAL,
                amount,
                currency if amount is not None else None,
            )

    return Table("Milestones", _stem("milestones"), MILESTONE_LIST_COLUMNS, shaped())


# --- a contract's milestones, in the import sheet's columns ---------------------------------

_SHEET_FIELDS = (
    "id",
    "reference",
    "kind",
    "title",
    "description",
    "owner__username",
    "responsible_party__organisation__name",
    "accepting_party__organisation__name",
    "due_date",
    "criticality",
    "acceptance_criteria",
    "payment__payer__organisation__name",
    "payment__payee__organisation__name",
    "payment__trigger_id",
    "payment__amount",
    "payment__basis",
    "payment__percentage",
    "payment__retention_percent",
    "kpi__name",
    "kpi__unit",
    "kpi__target",
    "kpi__direction",
    "kpi__period",
    "kpi__measurement_start",
    "status",
    "progress",
    "baseline_due_date",
    "forecast_date",
    "met_on",
)

_SHEET_WIDTHS = {"title": 36, "description": 36, "acceptance_criteria": 36, "depends_on": 20}


def _lag(lag: int) -> str:
    return f"+{lag}" if lag > 0 else (str(lag) if lag < 0 else "")


def contract_milestones_table(*, contract: Contract) -> Table:
    """Return a contract's milestones in the import sheet's columns, so the file imports again.

    Links name milestones by reference (by id where one has none): dependencies as "M1; M2+5"
    (lag in days), a payment's trigger, a gate's required parties by organisation name.
    """
    names = dict(contract.milestones.values_list("id", "reference"))
    named = {pk: reference or str(pk) for pk, reference in names.items()}
    depends: dict[int, list[str]] = defaultdict(list)
    for successor, predecessor, lag in (
        Dependency.objects.filter(successor__contract=contract)
        .order_by("successor_id", "id")
        .values_list("successor_id", "predecessor_id", "lag")
    ):
        depends[successor].append(named.get(predecessor, str(predecessor)) + _lag(lag))
    required: dict[int, list[str]] = defaultdict(list)
    for milestone, organisation in (
        GateRequirement.objects.filter(milestone__contract=contract)
        .order_by("milestone_id", "party__organisation__name")
        .values_list("milestone_id", "party__organisation__name")
    ):
        required[milestone].append(organisation)
    rows = (
        contract.milestones.order_by("due_date", "id")
        .values_list(*_SHEET_FIELDS)
        .iterator(chunk_size=FETCH)
    )
    separator = f"{LIST_SEPARATOR} "

    def shaped() -> Iterator[tuple[Any, ...]]:
        for (
            pk,
            reference,
            kind,
            title,
            description,
            owner,
            responsible,
            accepting,
            due,
            criticality,
            criteria,
            payer,
            payee,
            trigger,
            amount,
            basis,
            percentage,
            retention,
            kpi_name,
            unit,
            target,
            direction,
            period,
            measurement_start,
            status,
            progress,
            baseline,
            forecast,
            met_on,
        ) in rows:
            paid = amount is not None
            yield (
                pk,
                reference,
                kind,
                title,
                description,
                owner,
                responsible,
                accepting,
                due,
                criticality,
                criteria,
                separator.join(depends.get(pk, ())),
                payer,
                payee,
                named.get(trigger, "") if trigger else "",
                amount,
                contract.currency if paid else "",
                percentage if basis == PaymentBasis.PERCENTAGE else None,
                retention,
                kpi_name,
                unit,
                target,
                direction,
                period,
                measurement_start,
                separator.join(required.get(pk, ())),
                status,
                progress,
                baseline,
                forecast,
                met_on,
            )

    columns = [Col(c.name, _SHEET_WIDTHS.get(c.name, 14)) for c in MILESTONE_COLUMNS]
    return Table("Milestones", _stem(contract.reference, "milestones"), columns, shaped())


# --- a contract's payment schedule ----------------------------------------------------------

PAYMENT_COLUMNS = (
    Col("Reference", 12),
    Col("Payment", 36),
    Col("Due date", 12),
    Col("Status", 14),
    Col("Payer", 24),
    Col("Payee", 24),
    Col("Basis", 14),
    Col("Percentage", 10),
    Col("Amount", 14),
    Col("Currency", 8),
    Col("Retention (%)", 10),
    Col("Invoiced on", 12),
    Col("Invoiced amount", 14),
    Col("Paid on", 12),
    Col("Paid amount", 14),
    Col("Triggered by", 28),
)


def payment_schedule_table(*, contract: Contract) -> Table:
    """Return a contract's payments in due-date order: amounts as numbers, currency apart."""
    rows = payments_for_contract(contract=contract).values_list(
        "milestone__reference",
        "milestone__title",
        "milestone__due_date",
        "milestone__status",
        "payer__organisation__name",
        "payee__organisation__name",
        "basis",
        "percentage",
        "amount",
        "retention_percent",
        "invoiced_on",
        "invoiced_amount",
        "paid_on",
        "paid_amount",
        "trigger__title",
    )
    status, basis_label = _labels(MilestoneStatus), _labels(PaymentBasis)

    def shaped() -> Iterator[tuple[Any, ...]]:
        for row in cast(Iterable[tuple[Any, ...]], rows.iterator(chunk_size=FETCH)):
            (ref, title, due, state, payer, payee, basis, pct, amount, *rest) = row
            retention, invoiced_on, invoiced, paid_on, paid, trigger = rest
            yield (
                ref,
                title,
                due,
                status(state),
                payer,
                payee,
                basis_label(basis),
                pct if basis == PaymentBasis.PERCENTAGE else None,
                amount,
                contract.currency,
                retention,
                invoiced_on,
                invoiced,
                paid_on,
                paid,
                trigger,
            )

    return Table("Payments", _stem(contract.reference, "payments"), PAYMENT_COLUMNS, shaped())


# --- a contract's change requests -----------------------------------------------------------

CHANGE_COLUMNS = (
    Col("Number", 8),
    Col("Milestone", 36),
    Col("Requested by", 20),
    Col("Requesting party", 24),
    Col("Requested at", 16),
    Col("Reason", 40),
    Col("Due date before", 12),
    Col("Due date proposed", 12),
    Col("Amount before", 14),
    Col("Amount proposed", 14),
    Col("Currency", 8),
    Col("Status", 12),
    Col("Decided by", 20),
    Col("Decided at", 16),
    Col("Decision note", 40),
)


def change_requests_table(*, user: User, contract: Contract, status: str = "") -> Table:
    """Return the contract's change requests the user sees, newest first, times in its zone."""
    zone = _zone(contract)
    rows = change_requests_for_user(user=user, contract=contract.pk, status=status).values_list(
        "pk",
        "milestone__title",
        "requested_by__first_name",
        "requested_by__last_name",
        "requested_by__username",
        "requesting_party__organisation__name",
        "created_at",
        "reason",
        "old_due_date",
        "new_due_date",
        "old_amount",
        "new_amount",
        "status",
        "decided_by__first_name",
        "decided_by__last_name",
        "decided_by__username",
        "decided_at",
        "decision_note",
    )
    label = _labels(ChangeStatus)

    def shaped() -> Iterator[tuple[Any, ...]]:
        for row in cast(Iterable[tuple[Any, ...]], rows.iterator(chunk_size=FETCH)):
            (pk, title, r_first, r_last, r_user, party, created, reason, *rest) = row
            old_due, new_due, old_amount, new_amount, state, *decided = rest
            d_first, d_last, d_user, decided_at, note = decided
            money = old_amount is not None or new_amount is not None
            yield (
                pk,
                title,
                _person(r_first, r_last, r_user),
                party,
                _local(created, zone),
                reason,
                old_due,
                new_due,
                old_amount,
                new_amount,
                contract.currency if money else None,
                label(state),
                _person(d_first, d_last, d_user) or None,
                _local(decided_at, zone),
                note,
            )

    stem = _stem(contract.reference, "change-requests")
    return Table("Change requests", stem, CHANGE_COLUMNS, shaped())


# --- a contract's audit history -------------------------------------------------------------

HISTORY_COLUMNS = (
    Col("When", 16),
    Col("Who", 20),
    Col("What happened", 80),
    Col("Action", 24),
    Col("Event number", 10),
)


def contract_history_table(*, contract: Contract) -> Table:
    """Return a contract's history, newest first: the history's sentences, when, who, action.

    Sentences are rendered a chunk of events at a time, so the names they mention are loaded
    in a few queries per chunk, not one per event.
    """
    zone = _zone(contract)
    events = events_for_contract(contract_id=contract.pk).select_related("actor")

    def shaped() -> Iterator[tuple[Any, ...]]:
        stream = events.iterator(chunk_size=FETCH)
        while chunk := list(islice(stream, FETCH)):
            for event, sentence in event_sentences(chunk):
                who = str(event.actor) if event.actor else (event.actor_name or "Milepost")
                yield (_local(event.occurred_at, zone), who, sentence, event.action, event.pk)

    return Table("History", _stem(contract.reference, "history"), HISTORY_COLUMNS, shaped())


# --- cash flow: the S-curves' months, one row per currency and month ------------------------

CASH_FLOW_COLUMNS = (
    Col("Currency", 8),
    Col("Month", 12),
    Col("Planned in the month", 16),
    Col("Planned to date", 16),
    Col("Received in the month", 16),
    Col("Received to date", 16),
    Col("Forecast to date (P50)", 16),
    Col("Forecast to date (P80)", 16),
)


def cash_flow_table(*, user: User, contract: Contract | None = None) -> Table:
    """Return the cash-flow page's table: the user's portfolio, or one contract they see."""
    today = local_today(contract.time_zone if contract is not None else user.time_zone)
    curves = cash_flow_curves(user=user, today=today, contract=contract)
    rows = [
        (
            curve.currency,
            point.month,
            point.planned_in_month,
            point.planned,
            point.actual_in_month,
            point.actual,
            point.p50,
            point.p80,
        )
        for curve in curves
        for point in curve.points
    ]
    stem = _stem(contract.reference, "cash-flow") if contract is not None else _stem("cash-flow")
    return Table("Cash flow", stem, CASH_FLOW_COLUMNS, rows)


# Which contract-level list each export name stands for.
CONTRACT_TABLES = ("milestones", "payments", "change-requests", "history", "cash-flow")


def contract_table(*, name: str, contract: Contract, user: User, status: str = "") -> Table:
    """Return the contract's list called ``name`` (one of ``CONTRACT_TABLES``)."""
    if name == "milestones":
        return contract_milestones_table(contract=contract)
    if name == "payments":
        return payment_schedule_table(contract=contract)
    if name == "change-requests":
        return change_requests_table(user=user, contract=contract, status=status)
    if name == "cash-flow":
        return cash_flow_table(user=user, contract=contract)
    return contract_history_table(contract=contract)
