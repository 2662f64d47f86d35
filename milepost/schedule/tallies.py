# ruff: noqa: S608  (the SQL is built from the models' table names and the choices, never input)
"""Each contract's milestone tallies (``contracts.ContractTally``), kept by the database.

The dashboard counts a portfolio's milestones from these rows rather than from every milestone.
They are kept by triggers on the milestone table, in the transaction of the write: every path
that writes milestones (the services, the bulk import, a data fix in a shell) keeps them right
without knowing about them. Counting in a service instead would need every one of those paths
to remember, and one that forgot would leave a count wrong until the next recount.

``tallies_install`` creates the triggers; it runs after every ``migrate`` (``apps.py``), so a
migration that rebuilds the milestone table (SQLite copies a table to alter it, dropping its
triggers) gets them back, and recounts when it had to create them. ``tallies_rebuild`` recounts
from the rows (``milepost dashboard_tallies``); ``tallies_recount`` computes them without writing.

SQLite runs a trigger per row. PostgreSQL runs one per statement over its transition tables, so
a bulk insert of a million milestones adds one grouped update per contract, not a million.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, F, Min, Q

from milepost.contracts.models import ContractTally

from .choices import OPEN_STATUSES, Criticality, MilestoneStatus
from .models import Milestone

MILESTONES = Milestone._meta.db_table
TALLIES = ContractTally._meta.db_table
_OPEN = ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
_NOT_MET = f"'{MilestoneStatus.NOT_MET}'"
_CRITICAL = f"'{Criticality.CRITICAL}'"
COLUMNS = ("milestone_count", "open_count", "not_met_count", "flagged_count")


def _terms(row: str, sign: str = "") -> list[str]:
    """The four counts one milestone row adds (``sign`` '-' takes them away), as SQL terms."""
    is_open = f"{row}.status IN ({_OPEN})"
    flagged = (
        f"{is_open} AND ({row}.forecast_date > {row}.due_date OR {row}.risk_note <> '' "
        f"OR {row}.signals <> '')"
    )
    return [
        f"{sign}1",
        f"{sign}(CASE WHEN {is_open} THEN 1 ELSE 0 END)",
        f"{sign}(CASE WHEN {row}.status = {_NOT_MET} THEN 1 ELSE 0 END)",
        f"{sign}(CASE WHEN {flagged} THEN 1 ELSE 0 END)",
    ]


def _counts(row: str, sign: str = "") -> str:
    return ", ".join(_terms(row, sign))


def _critical_open(row: str) -> str:
    return f"({row}.criticality = {_CRITICAL} AND {row}.status IN ({_OPEN}))"


def _next_critical(contract: str) -> str:
    """The contract's earliest open critical due date: one seek of the criticality index."""
    return (
        f"(SELECT MIN(m.due_date) FROM {MILESTONES} m WHERE m.contract_id = {contract} "
        f"AND m.criticality = {_CRITICAL} AND m.status IN ({_OPEN}))"
    )


_ADD = ", ".join(f"{column} = {TALLIES}.{column} + excluded.{column}" for column in COLUMNS)


def _sqlite_add(row: str) -> str:
    return (
        f"INSERT INTO {TALLIES} (contract_id, {', '.join(COLUMNS)}) "
        f"VALUES ({row}.contract_id, {_counts(row)}) "
        f"ON CONFLICT (contract_id) DO UPDATE SET {_ADD};"
    )


def _sqlite_take(row: str) -> str:
    # An update, not an upsert: when a contract is deleted its tally row may go first.
    return (
        f"UPDATE {TALLIES} SET "
        + ", ".join(
            f"{column} = {column} - {term}"
            for column, term in zip(COLUMNS, _terms(row), strict=True)
        )
        + f" WHERE contract_id = {row}.contract_id;"
    )


def _sqlite_next_critical(row: str) -> str:
    return (
        f"UPDATE {TALLIES} SET next_critical_date = {_next_critical(f'{row}.contract_id')} "
        f"WHERE contract_id = {row}.contract_id AND {_critical_open(row)};"
    )


# What a change to each column can change: an update of any other column fires nothing.
_WATCHED = "contract_id, status, criticality, due_date, forecast_date, risk_note, signals"

SQLITE_TRIGGERS = {
    "contract_tally_insert": (
        f"CREATE TRIGGER IF NOT EXISTS contract_tally_insert AFTER INSERT ON {MILESTONES} "
        f"BEGIN {_sqlite_add('NEW')} {_sqlite_next_critical('NEW')} END"
    ),
    "contract_tally_delete": (
        f"CREATE TRIGGER IF NOT EXISTS contract_tally_delete AFTER DELETE ON {MILESTONES} "
        f"BEGIN {_sqlite_take('OLD')} {_sqlite_next_critical('OLD')} END"
    ),
    "contract_tally_update": (
        f"CREATE TRIGGER IF NOT EXISTS contract_tally_update AFTER UPDATE OF {_WATCHED} "
        f"ON {MILESTONES} BEGIN {_sqlite_take('OLD')} {_sqlite_add('NEW')} "
        f"{_sqlite_next_critical('OLD')} {_sqlite_next_critical('NEW')} END"
    ),
}


def _pg_function(name: str, parts: list[tuple[str, str]]) -> str:
    """A statement trigger's function: add each (transition table, sign)'s counts by contract.

    Only the contracts whose counts moved are written (a progress update writes nothing), and
    the next critical date is sought again for the contracts a critical open row touched. A
    delete only updates: when a contract is deleted its tally row may go first.
    """
    rows = " UNION ALL ".join(
        f"SELECT r.contract_id, {_counts('r', sign)} FROM {table} r" for table, sign in parts
    )
    names = ", ".join(f"c{i}" for i in range(len(COLUMNS)))
    sums = ", ".join(f"SUM(c{i}) AS c{i}" for i in range(len(COLUMNS)))
    moved = " OR ".join(f"SUM(c{i}) <> 0" for i in range(len(COLUMNS)))
    grouped = (
        f"SELECT contract_id, {sums} FROM ({rows}) AS d (contract_id, {names}) "
        f"GROUP BY contract_id HAVING {moved}"
    )
    if all(sign == "-" for _, sign in parts):
        counts = (
            f"UPDATE {TALLIES} AS t SET "
            + ", ".join(f"{column} = t.{column} + g.c{i}" for i, column in enumerate(COLUMNS))
            + f" FROM ({grouped}) AS g WHERE t.contract_id = g.contract_id"
        )
    else:
        counts = (
            f"INSERT INTO {TALLIES} AS t (contract_id, {', '.join(COLUMNS)}) "
            f"{grouped} ORDER BY contract_id ON CONFLICT (contract_id) DO UPDATE SET "
            + ", ".join(f"{column} = t.{column} + excluded.{column}" for column in COLUMNS)
        )
    touched = " UNION ".join(
        f"SELECT r.contract_id FROM {table} r WHERE {_critical_open('r')}" for table, _ in parts
    )
    # Lock every tally row the statement touches first, in contract order: two writers of
    # the same contracts then queue rather than deadlock, and the next critical date below is
    # read by a statement that starts after the lock, so it sees what the writer before
    # committed (a statement that waited for the row would compute from its older snapshot).
    contracts = " UNION ".join(f"SELECT contract_id FROM {table}" for table, _ in parts)
    lock = (
        f"PERFORM 1 FROM {TALLIES} WHERE contract_id IN ({contracts}) "
        "ORDER BY contract_id FOR UPDATE"
    )
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{lock}; {counts}; UPDATE {TALLIES} AS t SET next_critical_date = "
        f"{_next_critical('t.contract_id')} WHERE t.contract_id IN ({touched}); "
        "RETURN NULL; END $$"
    )


PG_STATEMENTS = [
    _pg_function("contract_tally_insert", [("new_rows", "")]),
    _pg_function("contract_tally_delete", [("old_rows", "-")]),
    _pg_function("contract_tally_update", [("old_rows", "-"), ("new_rows", "")]),
]
PG_TRIGGERS = {
    "contract_tally_insert": (
        f"CREATE TRIGGER contract_tally_insert AFTER INSERT ON {MILESTONES} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION contract_tally_insert()"
    ),
    "contract_tally_delete": (
        f"CREATE TRIGGER contract_tally_delete AFTER DELETE ON {MILESTONES} "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION contract_tally_delete()"
    ),
    "contract_tally_update": (
        f"CREATE TRIGGER contract_tally_update AFTER UPDATE ON {MILESTONES} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION contract_tally_update()"
    ),
}


def _existing_triggers(cursor: Any, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [MILESTONES]
        )
    else:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [MILESTONES],
        )
    return {str(name) for (name,) in cursor.fetchall()}


def tallies_install(*, using: str = "default") -> bool:
    """Create the tally triggers that are missing; recount when any was. Return whether any was.

    Safe to run at any time, and run after every ``migrate``.
    """
    connection = connections[using]
    triggers = SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS
    with transaction.atomic(using=using), connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {MILESTONES, TALLIES} <= tables:
            return False  # migrated only part of the way: the next migrate comes back here
        if connection.vendor != "sqlite":
            # Replaced every time, so an upgrade that changes a function reaches a database
            # that already has its trigger.
            for statement in PG_STATEMENTS:
                cursor.execute(statement)
        missing = [
            name for name in triggers if name not in _existing_triggers(cursor, connection.vendor)
        ]
        if not missing:
            return False
        for name in missing:
            cursor.execute(triggers[name])
        tallies_rebuild(using=using)
    return True


def tallies_drop_sqlite(*, using: str = "default") -> None:
    """Drop the tally triggers of a SQLite database, before ``migrate`` (``apps.py``).

    SQLite alters a table by copying it and renaming the copy, and a trigger that reads
    another table can make that rename fail; ``migrate`` creates them again afterwards, with
    today's bodies, and recounts.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@dataclass(frozen=True)
class Tally:
    """A contract's tallies as counted from its milestone rows."""

    milestone_count: int = 0
    open_count: int = 0
    not_met_count: int = 0
    flagged_count: int = 0
    next_critical_date: Any = None


def tallies_recount(*, using: str = "default") -> dict[int, Tally]:
    """Count every contract's tallies from its milestones, in one grouped query."""
    is_open = Q(status__in=OPEN_STATUSES)
    flagged = is_open & (Q(forecast_date__gt=F("due_date")) | ~Q(risk_note="") | ~Q(signals=""))
    rows = (
        Milestone.objects.using(using)
        .order_by()
        .values("contract_id")
        .annotate(
            milestone_count=Count("id"),
            open_count=Count("id", filter=is_open),
            not_met_count=Count("id", filter=Q(status=MilestoneStatus.NOT_MET)),
            flagged_count=Count("id", filter=flagged),
            next_critical_date=Min(
                "due_date", filter=is_open & Q(criticality=Criticality.CRITICAL)
            ),
        )
    )
    return {row.pop("contract_id"): Tally(**row) for row in rows}


def tallies_stored(*, using: str = "default") -> dict[int, Tally]:
    """Read every stored tally row with a milestone counted (an all-zero row is no row)."""
    fields = ("contract_id", *COLUMNS, "next_critical_date")
    return {
        row["contract_id"]: Tally(**{k: v for k, v in row.items() if k != "contract_id"})
        for row in ContractTally.objects.using(using).values(*fields)
        if any(row[column] for column in COLUMNS)
    }


def tallies_rebuild(*, using: str = "default") -> int:
    """Recount every contract's tallies from its milestone rows; return how many were wrong.

    On PostgreSQL the milestone table is locked against writes for the recount, so that no
    write lands between the count and the rows it replaces.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {MILESTONES} IN SHARE MODE")
        counted = tallies_recount(using=using)
        stored = tallies_stored(using=using)
        wrong = sum(1 for pk in counted.keys() | stored.keys() if counted.get(pk) != stored.get(pk))
        ContractTally.objects.using(using).all().delete()
        ContractTally.objects.using(using).bulk_create(
            [ContractTally(contract_id=pk, **tally.__dict__) for pk, tally in counted.items()],
            batch_size=2000,
        )
    return wrong
