"""The milestone sheet's columns: their order, header labels and types.

One list used by the spreadsheet importer (``interchange.sheets``) and by the exporter
(``interchange.exports``), so a contract's exported milestones import again unchanged. The
header row holds the column ``name`` (what the importer matches, case- and space-insensitively,
also accepting the ``label``); read-only columns are written on export and ignored on import,
except ``id`` (matches an existing milestone when given) and ``currency`` (checked against the
contract's currency).
"""

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["int", "text", "date", "decimal", "list", "choice"]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: ColumnType
    # "import": read on import; "match": read to match a row (id); "check": compared with the
    # contract (currency); "export": written on export only, ignored on import.
    use: Literal["import", "match", "check", "export"] = "import"
    help: str = ""


MILESTONE_COLUMNS: tuple[Column, ...] = (
    Column("id", "Id", "int", "match", "Milepost's number for the milestone; leave blank for new"),
    Column("reference", "Reference", "text", help="Your reference, unique in the contract"),
    Column("kind", "Kind", "choice", help="deliverable, payment, performance or gate"),
    Column("title", "Title", "text"),
    Column("description", "Description", "text"),
    Column("owner", "Owner", "text", help="Username or email address"),
    Column("responsible_party", "Responsible party", "text", help="Organisation name"),
    Column("accepting_party", "Accepting party", "text", help="Organisation name (deliverables)"),
    Column("due_date", "Due date", "date"),
    Column("criticality", "Criticality", "choice", help="critical or standard"),
    Column("acceptance_criteria", "Acceptance criteria", "text"),
    Column("depends_on", "Depends on", "list", help='References separated by ";": M1; M2+5; M3-2'),
    Column("payer", "Payer", "text", help="Organisation name (payments)"),
    Column("payee", "Payee", "text", help="Organisation name (payments)"),
    Column("trigger", "Trigger", "text", help="Reference of the milestone that triggers payment"),
    Column("amount", "Amount", "decimal"),
    Column("currency", "Currency", "text", "check", "The contract's currency"),
    Column("percentage", "Percentage", "decimal", help="Of the contract value, instead of amount"),
    Column("retention_percent", "Retention percent", "decimal"),
    Column("kpi_name", "KPI name", "text"),
    Column("unit", "Unit", "text"),
    Column("target", "Target", "decimal"),
    Column("direction", "Direction", "choice", help="at_least or at_most"),
    Column("period", "Period", "choice", help="day, week, month or quarter"),
    Column("measurement_start", "Measurement start", "date"),
    Column("required_parties", "Required parties", "list", help='Organisation names, ";"'),
    Column("status", "Status", "choice", "export"),
    Column("progress", "Progress", "int", "export"),
    Column("baseline_due_date", "Baseline due date", "date", "export"),
    Column("forecast_date", "Forecast date", "date", "export"),
    Column("met_on", "Met on", "date", "export"),
)

MILESTONE_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in MILESTONE_COLUMNS)
MILESTONE_COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in MILESTONE_COLUMNS}
MILESTONE_IMPORTED: frozenset[str] = frozenset(
    c.name for c in MILESTONE_COLUMNS if c.use == "import"
)
MILESTONE_READ_ONLY: frozenset[str] = frozenset(
    c.name for c in MILESTONE_COLUMNS if c.use in ("match", "check", "export")
)

LIST_SEPARATOR = ";"

CONTRACT_COLUMNS: tuple[Column, ...] = (
    Column("reference", "Reference", "text", help="Unique within your organisation"),
    Column("title", "Title", "text"),
    Column("value", "Value", "decimal"),
    Column("currency", "Currency", "text", help="Three letters, such as GBP"),
    Column("start_date", "Start date", "date"),
    Column("end_date", "End date", "date"),
    Column("our_role", "Our role", "choice", help="Your organisation's role in the contract"),
)
"""Then one column per other role ("client", "supplier", "consultant", ...) naming the
organisation that plays it."""


def header_key(text: object) -> str:
    """Normalise a header cell: "Due date", " due_date " and "DUE-DATE" all give "due_date"."""
    return "_".join(str(text or "").strip().lower().replace("-", " ").replace("_", " ").split())
