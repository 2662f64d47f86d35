# ruff: noqa: S608  (the SQL is built from the models' table names and the choices, never input)
"""Each contract's payments planned and paid by month (``ContractCashMonth``), kept by the database.

The dashboard's cash-flow chart adds up these rows, one per contract and month, instead of
joining every payment milestone of the visible contracts to its terms (about five times the
work at 100,000 milestones). Like the contract tallies (``schedule/tallies.py``), triggers keep
them in the writing transaction, so that every path that writes payments, milestones or
receipts keeps them right:

- planned: a payment's amount in the month its milestone is due, unless it is waived or
  cancelled: it moves with the terms' amount and the milestone's due date and status;
- paid: a payment's paid amount in the month it was paid, and each receipt of an interim
  valuation (a payment cycle of no milestone) in the month it came in.

Each source is written once as the rows it contributes (``_CONTRIBUTIONS``), read from the
changed rows: on SQLite a trigger per row reads its OLD and NEW values, on PostgreSQL one per
statement reads its transition tables. A change takes the old rows' contributions away and
adds the new ones'. ``cash_months_install`` runs after every ``migrate`` (``apps.py``).
"""

from decimal import Decimal
from typing import Any

from django.db import connections, transaction
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth

from milepost.finance.models import PaymentCycle, Receipt
from milepost.payments.choices import RELEASED
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone

from .models import ContractCashMonth

MONTHS = ContractCashMonth._meta.db_table
TERMS = PaymentTerms._meta.db_table
MILESTONES = Milestone._meta.db_table
RECEIPTS = Receipt._meta.db_table
CYCLES = PaymentCycle._meta.db_table
_RELEASED = ", ".join(f"'{status}'" for status in RELEASED)

# The columns of each table that a contribution reads, and so what an update must watch.
_COLUMNS = {
    TERMS: ("id", "milestone_id", "amount", "paid_on", "paid_amount"),
    MILESTONES: ("id", "contract_id", "kind", "due_date", "status"),
    RECEIPTS: ("id", "cycle_id", "paid_on", "amount"),
    CYCLES: ("id", "contract_id", "milestone_id"),
}


def _month(expression: str, vendor: str) -> str:
    if vendor == "sqlite":
        return f"substr({expression}, 1, 7) || '-01'"
    return f"date_trunc('month', {expression})::date"


def _contributions(table: str, rows: str, vendor: str) -> str:
    """SELECT contract_id, month, planned, paid for each row of ``rows``, changed rows of
    ``table``."""

    def select(contract: str, month: str, planned: str, paid: str) -> str:
        return (
            f"SELECT {contract} AS contract_id, {_month(month, vendor)} AS month, "
            f"{planned} AS planned, {paid} AS paid"
        )

    payment = f"'{MilestoneKind.PAYMENT}'"
    if table == TERMS:
        return (
            f"{select('m.contract_id', 'm.due_date', 'r.amount', '0')} FROM {rows} r "
            f"JOIN {MILESTONES} m ON m.id = r.milestone_id WHERE m.status NOT IN ({_RELEASED}) "
            f"UNION ALL {select('m.contract_id', 'r.paid_on', '0', 'r.paid_amount')} "
            f"FROM {rows} r JOIN {MILESTONES} m ON m.id = r.milestone_id "
            "WHERE r.paid_on IS NOT NULL AND r.paid_amount > 0"
        )
    if table == MILESTONES:
        return (
            f"{select('r.contract_id', 'r.due_date', 't.amount', '0')} FROM {rows} r "
            f"JOIN {TERMS} t ON t.milestone_id = r.id WHERE r.kind = {payment} "
            f"AND r.status NOT IN ({_RELEASED}) "
            f"UNION ALL {select('r.contract_id', 't.paid_on', '0', 't.paid_amount')} "
            f"FROM {rows} r JOIN {TERMS} t ON t.milestone_id = r.id "
            f"WHERE r.kind = {payment} AND t.paid_on IS NOT NULL AND t.paid_amount > 0"
        )
    if table == RECEIPTS:
        return (
            f"{select('c.contract_id', 'r.paid_on', '0', 'r.amount')} FROM {rows} r "
            f"JOIN {CYCLES} c ON c.id = r.cycle_id WHERE c.milestone_id IS NULL"
        )
    return (
        f"{select('r.contract_id', 'x.paid_on', '0', 'x.amount')} FROM {rows} r "
        f"JOIN {RECEIPTS} x ON x.cycle_id = r.id WHERE r.milestone_id IS NULL"
    )


def _apply(table: str, parts: list[tuple[str, str]], vendor: str) -> str:
    """Add each (rows, sign)'s contributions to the months, by contract and month.

    A delete only takes away from the months that exist: when a contract goes, its months may
    go first, and a delete must not bring a month back for a contract that is no more.
    """
    selects = " UNION ALL ".join(
        f"SELECT contract_id, month, {sign}planned AS planned, {sign}paid AS paid FROM "
        f"({_contributions(table, rows, vendor)}) AS c{i}"
        for i, (rows, sign) in enumerate(parts)
    )
    grouped = (
        f"SELECT contract_id, month, SUM(planned) AS planned, SUM(paid) AS paid "
        f"FROM ({selects}) AS d "
        "WHERE true GROUP BY contract_id, month HAVING SUM(planned) <> 0 OR SUM(paid) <> 0"
    )
    if all(sign == "-" for _, sign in parts):
        return (
            f"UPDATE {MONTHS} SET planned = {MONTHS}.planned + g.planned, "
            f"paid = {MONTHS}.paid + g.paid FROM ({grouped}) AS g "
            f"WHERE {MONTHS}.contract_id = g.contract_id AND {MONTHS}.month = g.month"
        )
    return (
        f"INSERT INTO {MONTHS} (contract_id, month, planned, paid) "
        f"{grouped} ORDER BY contract_id, month "
        "ON CONFLICT (contract_id, month) DO UPDATE SET "
        f"planned = {MONTHS}.planned + excluded.planned, paid = {MONTHS}.paid + excluded.paid"
    )


def _one_row(table: str, which: str) -> str:
    """The OLD or NEW row of a SQLite row trigger, as a table of one row."""
    columns = ", ".join(f"{which}.{column} AS {column}" for column in _COLUMNS[table])
    return f"(SELECT {columns})"


# Each table: the trigger events that change what it contributes. Milestones contribute only
# through their terms, which a new milestone has none of yet and a deleted one has lost.
_EVENTS = {
    TERMS: ("insert", "delete", "update"),
    MILESTONES: ("update",),
    RECEIPTS: ("insert", "delete", "update"),
    CYCLES: ("update",),
}
_SHORT = {TERMS: "terms", MILESTONES: "milestone", RECEIPTS: "receipt", CYCLES: "cycle"}


def _name(table: str, event: str) -> str:
    return f"cash_month_{_SHORT[table]}_{event}"


def _sqlite_trigger(table: str, event: str) -> str:
    parts = {
        "insert": [(_one_row(table, "NEW"), "")],
        "delete": [(_one_row(table, "OLD"), "-")],
        "update": [(_one_row(table, "OLD"), "-"), (_one_row(table, "NEW"), "")],
    }[event]
    # An update fires only when a column that a contribution reads changes.
    watched = ", ".join(c for c in _COLUMNS[table] if c != "id")
    what = f"UPDATE OF {watched}" if event == "update" else event.upper()
    return (
        f"CREATE TRIGGER IF NOT EXISTS {_name(table, event)} AFTER {what} ON {table} "
        f"BEGIN {_apply(table, parts, 'sqlite')}; END"
    )


def _pg_statements(table: str, event: str) -> tuple[str, str]:
    parts = {
        "insert": [("new_rows", "")],
        "delete": [("old_rows", "-")],
        "update": [("old_rows", "-"), ("new_rows", "")],
    }[event]
    referencing = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }[event]
    name = _name(table, event)
    function = (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{_apply(table, parts, 'postgresql')}; RETURN NULL; END $$"
    )
    trigger = (
        f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} REFERENCING {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )
    return function, trigger


TRIGGERS = [(table, event) for table, events in _EVENTS.items() for event in events]


def _existing_triggers(cursor: Any, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    return {str(name) for (name,) in cursor.fetchall()}


def cash_months_install(*, using: str = "default") -> bool:
    """Create the cash-month triggers that are missing; recount when any was. Return whether
    any was. Safe to run at any time, and run after every ``migrate``.

    On PostgreSQL every trigger's function is replaced each time, so an upgrade that changes
    one reaches a database that already has it.
    """
    connection = connections[using]
    vendor = connection.vendor
    with transaction.atomic(using=using), connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {MONTHS, TERMS, MILESTONES, RECEIPTS, CYCLES} <= tables:
            return False  # migrated only part of the way: the next migrate comes back here
        if vendor != "sqlite":
            for table, event in TRIGGERS:
                cursor.execute(_pg_statements(table, event)[0])
        existing = _existing_triggers(cursor, vendor)
        missing = [(t, e) for t, e in TRIGGERS if _name(t, e) not in existing]
        if not missing:
            return False
        for table, event in missing:
            if vendor == "sqlite":
                cursor.execute(_sqlite_trigger(table, event))
            else:
                cursor.execute(_pg_statements(table, event)[1])
        cash_months_rebuild(using=using)
    return True


def cash_months_drop_sqlite(*, using: str = "default") -> None:
    """Drop the cash-month triggers of a SQLite database, before ``migrate`` (``apps.py``).

    SQLite alters a table by copying it and renaming the copy; a trigger of another table that
    reads the one being copied makes that rename fail ("no such table"). ``migrate`` creates
    them again afterwards, with today's bodies, and recounts.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table, event in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}")


Months = dict[tuple[int, Any], tuple[Decimal, Decimal]]


def cash_months_recount(*, using: str = "default") -> Months:
    """Add up every contract's payments planned and paid by month from the rows themselves."""
    found: dict[tuple[int, Any], list[Decimal]] = {}

    def add(rows: Any, series: int) -> None:
        for contract_id, month, total in rows:
            day = month.date() if hasattr(month, "date") else month
            cell = found.setdefault((contract_id, day), [Decimal(0), Decimal(0)])
            cell[series] += Decimal(str(total or 0))

    terms = PaymentTerms.objects.using(using).order_by()
    add(
        terms.filter(milestone__kind=MilestoneKind.PAYMENT)
        .exclude(milestone__status__in=RELEASED)
        .values_list("milestone__contract_id", TruncMonth("milestone__due_date"))
        .annotate(total=Sum("amount")),
        0,
    )
    add(
        terms.filter(paid_on__isnull=False, paid_amount__gt=0)
        .values_list("milestone__contract_id", TruncMonth("paid_on"))
        .annotate(total=Sum("paid_amount")),
        1,
    )
    add(
        Receipt.objects.using(using)
        .order_by()
        .filter(cycle__milestone__isnull=True)
        .values_list(F("cycle__contract_id"), TruncMonth("paid_on"))
        .annotate(total=Sum("amount")),
        1,
    )
    return {
        key: (planned.quantize(Decimal("0.01")), paid.quantize(Decimal("0.01")))
        for key, (planned, paid) in found.items()
        if planned or paid
    }


def cash_months_stored(*, using: str = "default") -> Months:
    """Read every stored month that holds money (a row of zeros is no row)."""
    return {
        (contract_id, month): (
            Decimal(str(planned)).quantize(Decimal("0.01")),
            Decimal(str(paid)).quantize(Decimal("0.01")),
        )
        for contract_id, month, planned, paid in ContractCashMonth.objects.using(using).values_list(
            "contract_id", "month", "planned", "paid"
        )
        if planned or paid
    }


def cash_months_rebuild(*, using: str = "default") -> int:
    """Add every contract's months up again from the rows; return how many months were wrong.

    On PostgreSQL the tables they come from are locked against writes for the recount.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {TERMS}, {MILESTONES}, {RECEIPTS}, {CYCLES} IN SHARE MODE"
                )
        counted = cash_months_recount(using=using)
        stored = cash_months_stored(using=using)
        wrong = sum(
            1 for key in counted.keys() | stored.keys() if counted.get(key) != stored.get(key)
        )
        ContractCashMonth.objects.using(using).all().delete()
        ContractCashMonth.objects.using(using).bulk_create(
            [
                ContractCashMonth(contract_id=contract_id, month=month, planned=planned, paid=paid)
                for (contract_id, month), (planned, paid) in counted.items()
            ],
            batch_size=2000,
        )
    return wrong
