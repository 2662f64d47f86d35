"""Import a contract's milestones from a sheet: preview, then apply whole or not at all.

Rows are matched to the contract's milestones by ``id`` (when given) or ``reference``: an
unmatched row is created, a matched one is updated through the same services a person uses (a
new title, owner or criticality; a new due date as a reschedule with the file as the reason; a
payment's amount and retention), and a row that matches exactly changes nothing, so importing
the same file again changes nothing. Every rule is the services' own: the preview runs the whole
import in a transaction it rolls back, so what would be refused is named by row and column
("row 14, due_date: 2026-02-30 is not a date") before anything is written.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.db import transaction

from milepost.accounts.models import User
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contract_access, parties_for_contract, people_for_contract
from milepost.core.errors import DomainError
from milepost.payments.choices import PaymentBasis
from milepost.payments.models import PaymentTerms
from milepost.payments.services import payment_terms_change
from milepost.schedule.choices import Criticality, MilestoneKind
from milepost.schedule.dependencies import dependency_update
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.planning import require_editable
from milepost.schedule.services import milestone_reschedule, milestone_update

from ..batches import batch_mark_applied, batch_store, batch_upload
from ..choices import ImportKind, ImportStatus
from ..columns import MILESTONE_COLUMN_NAMES
from ..models import ImportBatch
from ..uploads import Upload
from . import bulk, values
from .reader import Cell, Sheet, sheet_read

T = TypeVar("T")
DEPENDENCY = re.compile(r"^(?P<ref>.+?)\s*(?P<lag>[+-]\s*\d+)?$")
PREVIEW_ERRORS_MAX = 500
EDITABLE = ("title", "description", "owner", "criticality", "acceptance_criteria")
TERMS = ("amount", "percentage", "retention_percent")


class RowError(DomainError):
    """A service refused one row; the message names the row and the column."""

    def __init__(self, row: int, column: str, message: str, code: str = "row_error") -> None:
        super().__init__(code, f"row {row}, {column}: {message}", field="file")


class ImportRefused(DomainError):
    """The file has errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: list[str]) -> None:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        first = errors[0].rstrip(".")
        super().__init__("import_has_errors", f"{first}{more}. Nothing was imported.")
        self.field = "file"
        self.errors = errors


class _Rollback(Exception):
    pass


@dataclass
class Row:
    number: int
    reference: str
    kind: str
    title: str
    existing: Milestone | None = None
    data: dict[str, Any] = field(default_factory=dict)
    links: list[tuple[str, int]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class Plan:
    contract: Contract
    rows: list[Row]
    errors: list[str]
    file_name: str
    links_new: int = 0
    ignored: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        actions = [r.action for r in self.rows]
        return {
            "milestones_created": actions.count("create"),
            "milestones_updated": actions.count("update"),
            "milestones_unchanged": actions.count("unchanged"),
            "dependencies": self.links_new,
        }

    def preview(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "errors": self.errors[:PREVIEW_ERRORS_MAX],
            "error_total": len(self.errors),
            "ignored_columns": self.ignored,
            "rows": [
                {
                    "row": r.number,
                    "action": r.action,
                    "reference": r.reference,
                    "kind": r.kind,
                    "title": r.title,
                    "due_date": r.data["due_date"].isoformat() if r.data.get("due_date") else "",
                    "changes": r.changes,
                    "errors": r.errors,
                }
                for r in self.rows
            ],
        }


def _require_importer(contract: Contract, actor: User) -> None:
    contract_access(user=actor, contract=contract).require_manager()
    require_editable(contract)


# -- reading the rows ---------------------------------------------------------------------------


class _Context:
    """What rows are checked against, each loaded once: people, parties, milestones, links."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.people: dict[str, User] = {}
        for user in people_for_contract(contract=contract):
            self.people[user.username.lower()] = user
            if user.email:
                self.people.setdefault(user.email.lower(), user)
        # A party by its organisation's name or slug; a name two organisations share is
        # ambiguous and must be given by slug.
        self.parties: dict[str, Party] = {}
        self.ambiguous: set[str] = set()
        parties = list(parties_for_contract(contract=contract))
        for p in parties:
            name = str(p.organisation.name).strip().lower()
            if name in self.parties and self.parties[name] != p:
                self.ambiguous.add(name)
            self.parties.setdefault(name, p)
        for p in parties:
            self.parties[p.organisation.slug.lower()] = p
        milestones = list(
            Milestone.objects.filter(contract=contract).select_related(
                "owner",
                "responsible_party__organisation",
                "accepting_party__organisation",
                "payment__payer__organisation",
                "payment__payee__organisation",
                "payment__trigger",
            )
        )
        self.by_id = {m.pk: m for m in milestones}
        self.by_reference = {m.reference: m for m in milestones if m.reference}
        self.links: dict[tuple[int, int], Dependency] = {
            (d.predecessor_id, d.successor_id): d
            for d in Dependency.objects.filter(successor__contract=contract)
        }

    def existing_for(self, ref: str) -> Milestone | None:
        """The contract's milestone with this reference, or this id (an export writes a
        milestone without a reference by its id)."""
        found = self.by_reference.get(ref)
        if found is None and ref.isdigit():
            found = self.by_id.get(int(ref))
        return found


def _cell(record: dict[str, Cell], row: Row, column: str, read: Callable[[Cell], T]) -> T | None:
    try:
        return read(record.get(column))
    except values.CellError as exc:
        row.errors.append(f"row {row.number}, {column}: {exc.message}")
        return None


def _party(ctx: _Context, row: Row, column: str, name: str) -> Party | None:
    if not name:
        return None
    if name.lower() in ctx.ambiguous:
        row.errors.append(
            f"row {row.number}, {column}: two parties are called {name}; name it by its "
            "organisation's identifier (slug)"
        )
        return None
    party = ctx.parties.get(name.lower())
    if party is None:
        row.errors.append(f"row {row.number}, {column}: {name} is not a party to this contract")
    return party


def _as_cells(existing: Milestone) -> dict[str, Cell]:
    """An existing milestone's columns as an export writes them: what a column left out of
    the file keeps (a file without a description column changes no description)."""
    cells: dict[str, Cell] = {
        "kind": existing.kind,
        "title": existing.title,
        "description": existing.description,
        "owner": existing.owner.username,
        "criticality": existing.criticality,
        "acceptance_criteria": existing.acceptance_criteria,
        "due_date": existing.due_date,
        "responsible_party": existing.responsible_party.organisation.slug,
        "accepting_party": (
            existing.accepting_party.organisation.slug if existing.accepting_party else ""
        ),
    }
    if existing.kind == MilestoneKind.PAYMENT:
        terms: PaymentTerms = existing.payment
        cells.update(
            responsible_party="",
            payer=terms.payer.organisation.slug,
            payee=terms.payee.organisation.slug,
            trigger=terms.trigger.reference or str(terms.trigger_id),
            amount=terms.amount if terms.basis == PaymentBasis.AMOUNT else None,
            percentage=terms.percentage if terms.basis == PaymentBasis.PERCENTAGE else None,
            retention_percent=terms.retention_percent,
        )
    return cells


def _read_row(
    ctx: _Context,
    number: int,
    record: dict[str, Cell],
    file_refs: set[str] | None = None,
    fmt: str = "csv",
    comma: bool = False,
) -> Row:
    text = values.text
    number_of = partial(values.decimal, comma=comma)
    file_refs = file_refs or set()
    reference = text(record.get("reference"))
    row = Row(number=number, reference=reference, kind="", title=text(record.get("title")))
    err = row.errors.append
    where = f"row {number}"
    milestone_id = _cell(record, row, "id", values.integer)
    if milestone_id is not None:
        row.existing = ctx.by_id.get(milestone_id)
        if row.existing is None:
            err(f"{where}, id: no milestone {milestone_id} in this contract")
        elif reference and row.existing.reference and reference != row.existing.reference:
            err(
                f"{where}, reference: milestone {milestone_id} has the reference "
                f"{row.existing.reference}, not {reference}"
            )
        elif reference and not row.existing.reference:
            err(
                f"{where}, reference: milestone {milestone_id} has no reference and an import "
                "cannot give it one; leave the reference blank and name it by its id"
            )
    elif reference:
        row.existing = ctx.by_reference.get(reference)
    else:
        err(
            f"{where}, reference: give each milestone a reference (or its id), so that importing "
            "the file again updates it rather than adding it twice"
        )
    if row.existing is not None:
        # A column left out of the file changes nothing.
        record = {**_as_cells(row.existing), **record}
    if len(reference) > 64:
        err(f"{where}, reference: a reference has at most 64 characters")
    existing = row.existing
    kind = text(record.get("kind")).lower()
    if not kind and existing is not None:
        kind = existing.kind
    if not kind:
        err(f"{where}, kind: say which kind: deliverable, payment, performance or gate")
    elif kind not in MilestoneKind.values:
        err(f"{where}, kind: {kind} is not a kind; use deliverable, payment, performance or gate")
    elif existing is not None and kind != existing.kind:
        err(
            f"{where}, kind: a {existing.get_kind_display().lower()} cannot become a {kind}; "
            "cancel it and add a new row without its id and reference"
        )
    row.kind = kind
    if not row.title:
        err(f"{where}, title: give the milestone a title")
    data = row.data
    data["title"] = row.title
    data["description"] = text(record.get("description"))
    owner_name = text(record.get("owner"))
    data["owner"] = ctx.people.get(owner_name.lower()) if owner_name else None
    if owner_name and data["owner"] is None:
        err(f"{where}, owner: {owner_name} is not a member of a party to this contract")
    elif not owner_name:
        err(f"{where}, owner: name the owner by username or email address")
    data["due_date"] = _cell(record, row, "due_date", values.date)
    if data["due_date"] is None and f"{where}, due_date:" not in " ".join(row.errors):
        err(f"{where}, due_date: give the date it is due")
    criticality = text(record.get("criticality")).lower()
    if criticality and criticality not in Criticality.values:
        err(f"{where}, criticality: {criticality} is not critical or standard")
    data["criticality"] = criticality or (
        existing.criticality
        if existing is not None
        else Criticality.CRITICAL
        if kind == MilestoneKind.GATE
        else Criticality.STANDARD
    )
    data["acceptance_criteria"] = text(record.get("acceptance_criteria"))
    currency = text(record.get("currency")).upper()
    if currency and currency != ctx.contract.currency:
        err(f"{where}, currency: the contract is in {ctx.contract.currency}, not {currency}")
    for item in values.items(record.get("depends_on")):
        match = DEPENDENCY.match(item)
        whole = item in file_refs or ctx.existing_for(item) is not None
        if whole or match is None or not match["lag"]:
            row.links.append((item, 0))
        else:
            row.links.append((match["ref"], int(match["lag"].replace(" ", ""))))
    responsible = _party(ctx, row, "responsible_party", text(record.get("responsible_party")))
    accepting = _party(ctx, row, "accepting_party", text(record.get("accepting_party")))
    if kind == MilestoneKind.PAYMENT:
        data["payer"] = _party(ctx, row, "payer", text(record.get("payer")))
        data["payee"] = _party(ctx, row, "payee", text(record.get("payee")))
        for column in ("payer", "payee"):
            if not text(record.get(column)):
                err(f"{where}, {column}: name the {column}'s organisation")
        if responsible is not None and data["payer"] is not None and responsible != data["payer"]:
            err(f"{where}, responsible_party: a payment is the payer's; leave it blank")
        data["trigger"] = text(record.get("trigger"))
        # A payment follows its trigger already: that link is made with it.
        row.links = [(ref, lag) for ref, lag in row.links if ref != data["trigger"]]
        if not data["trigger"]:
            err(f"{where}, trigger: give the reference of the milestone that triggers it")
        data["amount"] = _cell(record, row, "amount", number_of)
        data["percentage"] = _cell(record, row, "percentage", number_of)
        data["retention_percent"] = _cell(record, row, "retention_percent", number_of)
        for column in ("percentage", "retention_percent"):
            cell = record.get(column)
            if fmt == "xlsx" and isinstance(cell, float) and 0 < cell < 1:
                err(
                    f"{where}, {column}: {cell:g} is a fraction; a cell formatted as a "
                    "percentage holds 30% as 0.3: type 30 in a plain number cell"
                )
        if data["percentage"] is not None:
            # An export writes the amount a percentage comes to as well: the percentage wins.
            data["amount"] = None
    else:
        data["responsible_party"] = responsible
        data["accepting_party"] = accepting
        if responsible is None and not text(record.get("responsible_party")):
            err(f"{where}, responsible_party: name the organisation responsible for it")
    if kind == MilestoneKind.PERFORMANCE:
        for column in ("kpi_name", "unit", "direction", "period"):
            data[column] = text(record.get(column))
            if not data[column] and existing is None:
                err(f"{where}, {column}: a performance milestone needs it")
        data["direction"] = data["direction"].lower().replace(" ", "_")
        data["period"] = data["period"].lower()
        data["target"] = _cell(record, row, "target", number_of)
        data["measurement_start"] = _cell(record, row, "measurement_start", values.date)
        for column in ("target", "measurement_start"):
            missing = data[column] is None and existing is None
            if missing and f"{where}, {column}:" not in " ".join(row.errors):
                err(f"{where}, {column}: a performance milestone needs it")
    if kind == MilestoneKind.GATE:
        names = values.items(record.get("required_parties"))
        data["required_parties"] = [
            p for p in (_party(ctx, row, "required_parties", n) for n in names) if p is not None
        ]
        if not names and existing is None:
            err(f"{where}, required_parties: name the parties whose approval the gate needs")
    if existing is not None and not row.errors:
        _compare(row, existing)
    return row


def _compare(row: Row, existing: Milestone) -> None:
    """Fill ``row.changes`` with what differs; refuse what an import cannot change."""
    data, where = row.data, f"row {row.number}"
    wanted = {
        "title": row.title,
        "description": data["description"],
        "owner": data["owner"],
        "criticality": data["criticality"],
        "acceptance_criteria": data["acceptance_criteria"] or existing.acceptance_criteria,
    }
    row.changes = [name for name, value in wanted.items() if getattr(existing, name) != value]
    if data["due_date"] != existing.due_date:
        row.changes.append("due_date")
    if existing.kind == MilestoneKind.PAYMENT:
        terms: PaymentTerms = existing.payment
        for name in ("payer", "payee"):
            if getattr(terms, name) != data[name]:
                row.errors.append(f"{where}, {name}: a payment's {name} cannot change")
        if data["trigger"] not in (terms.trigger.reference, str(terms.trigger_id)):
            row.errors.append(f"{where}, trigger: a payment's trigger cannot change")
        now = {
            "amount": terms.amount if terms.basis == PaymentBasis.AMOUNT else None,
            "percentage": terms.percentage if terms.basis == PaymentBasis.PERCENTAGE else None,
            "retention_percent": terms.retention_percent,
        }
        if data["retention_percent"] is None:
            data["retention_percent"] = terms.retention_percent
        if any(now[k] != data[k] for k in TERMS):
            row.changes.append("amount")
    else:
        for name in ("responsible_party", "accepting_party"):
            if getattr(existing, name) != data[name]:
                row.errors.append(
                    f"{where}, {name}: the {name.replace('_', ' ')} is fixed once a milestone "
                    "exists; cancel it and add a new one"
                )


def rows_plan(contract: Contract, sheet: Sheet, file_name: str, actor: User) -> Plan:
    """Read and check every row of ``sheet`` against ``contract``; nothing is written. Also the
    path of imports that build their sheet in memory (proposals read from a contract document)."""
    known = set(sheet.header) & set(MILESTONE_COLUMN_NAMES)
    missing = [c for c in ("title", "due_date") if c not in known]
    if missing:
        raise DomainError(
            "missing_columns",
            f"The header row has no {' or '.join(missing)} column; start from the template "
            "file, whose first row names every column.",
            field="file",
        )
    unknown = [h for h in sheet.header if h and h not in MILESTONE_COLUMN_NAMES]
    ctx = _Context(contract)
    records = list(sheet.records())
    file_refs = {values.text(record.get("reference")) for _, record in records} - {""}
    rows = [
        _read_row(ctx, number, record, file_refs, sheet.format, sheet.decimal_comma)
        for number, record in records
    ]
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.reference:
            if row.reference in seen:
                row.errors.append(
                    f"row {row.number}, reference: {row.reference} is on row "
                    f"{seen[row.reference]} too"
                )
            seen.setdefault(row.reference, row.number)
    plan = Plan(contract=contract, rows=rows, errors=errors, file_name=file_name)
    plan.ignored = unknown
    # References reach milestones in the file or already in the contract.
    in_file = set(seen)
    for row in rows:
        refs = [(ref, "depends_on") for ref, _ in row.links]
        if row.kind == MilestoneKind.PAYMENT and row.data.get("trigger"):
            refs.append((row.data["trigger"], "trigger"))
        for ref, column in refs:
            if ref not in in_file and ctx.existing_for(ref) is None:
                row.errors.append(
                    f"row {row.number}, {column}: no milestone has the reference {ref}"
                )
    kinds = {row.reference: row.kind for row in rows if row.reference}
    if not any(row.errors for row in rows):
        checker = bulk.Checker(ctx, contract_access(user=actor, contract=contract))
        for row in rows:
            if row.existing is None:
                checker.check(row, kinds)
        try:
            bulk.check_links(rows, ctx, kinds)
        except DomainError as exc:
            errors.append(exc.message)
    _count_links(plan, ctx)
    for row in rows:
        plan.errors.extend(row.errors)
    plan._ctx = ctx  # type: ignore[attr-defined]
    return plan


def _count_links(plan: Plan, ctx: _Context) -> None:
    for row in plan.rows:
        for ref, lag in row.links:
            pred = ctx.existing_for(ref)
            link = (
                ctx.links.get((pred.pk, row.existing.pk))
                if pred is not None and row.existing is not None
                else None
            )
            if link is None:
                plan.links_new += 1
                if row.existing is not None and "depends_on" not in row.changes:
                    row.changes.append("depends_on")
            elif link.lag != lag and "depends_on" not in row.changes:
                row.changes.append("depends_on")


# -- writing ------------------------------------------------------------------------------------


def _attributed(row: Row, write: Callable[[], T], default_column: str = "title") -> T:
    try:
        return write()
    except DomainError as exc:
        raise RowError(row.number, exc.field or default_column, exc.message, exc.code) from exc


def _update(row: Row, actor: User, file_name: str) -> None:
    milestone, d = row.existing, row.data
    assert milestone is not None
    changed = {k: d[k] for k in EDITABLE if k in row.changes}
    if changed:
        if "acceptance_criteria" in changed and not changed["acceptance_criteria"]:
            changed.pop("acceptance_criteria")
        _attributed(row, lambda: milestone_update(milestone=milestone, actor=actor, **changed))
    if "due_date" in row.changes:
        _attributed(
            row,
            lambda: milestone_reschedule(
                milestone=milestone,
                due_date=d["due_date"],
                reason=f"Imported from {file_name}",
                actor=actor,
            ),
            "due_date",
        )
    if "amount" in row.changes:
        _attributed(
            row,
            lambda: payment_terms_change(
                milestone=milestone,
                amount=d["amount"],
                percentage=d["percentage"],
                retention_percent=d["retention_percent"],
                actor=actor,
            ),
            "amount",
        )


def rows_write(plan: Plan, actor: User) -> dict[str, int]:
    """Create (in bulk, payments after what triggers them), then update through the services,
    then link; each step's events in order."""
    contract = plan.contract
    ctx: _Context = plan._ctx  # type: ignore[attr-defined]
    counts = plan.counts()
    refs: dict[str, Milestone] = dict(ctx.by_reference)
    new = [r for r in plan.rows if r.existing is None]
    bulk.record(actor, bulk.create_rows(new, ctx, actor, refs))
    for row in plan.rows:
        if row.action == "update":
            _update(row, actor, plan.file_name)
    pairs: list[tuple[Milestone, Milestone, int]] = []
    for row in plan.rows:
        successor = row.existing
        assert successor is not None
        for ref, lag in row.links:
            predecessor = refs.get(ref) or ctx.existing_for(ref)
            assert predecessor is not None
            link = ctx.links.get((predecessor.pk, successor.pk))
            if link is None:
                pairs.append((predecessor, successor, lag))
            elif link.lag != lag:
                _attributed(
                    row,
                    partial(dependency_update, dependency=link, lag=lag, actor=actor),
                    "depends_on",
                )
    bulk.record(actor, bulk.link_rows(pairs, contract))
    counts["dependencies"] = len(pairs)
    return counts


def _trial(plan: Plan, actor: User) -> None:
    """Run the whole import and roll it back: a refused row becomes the plan's error."""
    created = [r for r in plan.rows if r.existing is None]
    try:
        with transaction.atomic():
            rows_write(plan, actor)
            raise _Rollback
    except _Rollback:
        pass
    except DomainError as exc:
        plan.errors.append(exc.message)
    for row in created:
        row.existing = None


# -- the two steps ------------------------------------------------------------------------------


def milestone_sheet_preview(*, contract: Contract, upload: Upload, actor: User) -> ImportBatch:
    """Read a milestone sheet for ``contract`` and keep it with its preview; nothing else is
    written. Only a manager of a party to an open contract may import into it."""
    _require_importer(contract, actor)
    sheet = sheet_read(upload)
    plan = rows_plan(contract, sheet, upload.name, actor)
    if not plan.errors and any(row.action == "update" for row in plan.rows):
        # New rows and links were checked against every rule above; what changes existing
        # milestones goes through their services, whose refusals a rolled-back run finds.
        _trial(plan, actor)
    return batch_store(
        kind=ImportKind.MILESTONE_SHEET,
        upload=upload,
        actor=actor,
        preview=plan.preview(),
        error_count=len(plan.errors),
        file_format=sheet.format,
        contract=contract,
    )


@transaction.atomic
def milestone_sheet_apply(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Read the stored file again and write it all, with one ``import.applied`` event, or
    refuse it whole naming every row's error."""
    if batch.kind != ImportKind.MILESTONE_SHEET or batch.contract is None:
        raise DomainError("wrong_import", "This is not a milestone import.")
    if batch.status != ImportStatus.PREVIEWED:
        batch_mark_applied(batch=batch, actor=actor, counts={})  # raises 409
    contract = Contract.objects.select_for_update().get(pk=batch.contract.pk)
    _require_importer(contract, actor)
    upload = batch_upload(batch)
    plan = rows_plan(contract, sheet_read(upload), upload.name, actor)
    if plan.errors:
        raise ImportRefused(plan.errors)
    try:
        counts = rows_write(plan, actor)
    except DomainError as exc:
        raise ImportRefused([exc.message]) from exc
    return batch_mark_applied(batch=batch, actor=actor, counts=counts, contract=contract)


def milestone_sheet_import(*, contract: Contract, upload: Upload, actor: User) -> ImportBatch:
    """Preview and apply in one go (the CLI's ``--apply``): refused whole on any error."""
    batch = milestone_sheet_preview(contract=contract, upload=upload, actor=actor)
    if batch.error_count:
        raise ImportRefused(batch.preview["errors"])
    return milestone_sheet_apply(batch=batch, actor=actor)
