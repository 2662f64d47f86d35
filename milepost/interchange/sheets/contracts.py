"""Create contracts with their parties from a sheet, in one organisation: preview, then apply.

One row per contract: reference, title, value, currency, start_date, end_date, our_role (the
importing organisation's role), then one column per other role ("client", "supplier",
"subcontractor", "consultant", "observer") naming the organisation that plays it. Organisations
are found by name (or slug) among those the importer already works with, never created and
never looked up across the server. A row whose reference is already one of the organisation's
contracts with the same terms changes nothing, so importing the same file again changes
nothing; one with other terms is an error (change the contract on its page). New contracts are
drafts, created through ``contract_create`` and ``party_add``.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, Organisation, User
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract
from milepost.contracts.selectors import organisations_known_to
from milepost.contracts.services import contract_create, party_add
from milepost.core.errors import DomainError, Forbidden

from ..batches import batch_mark_applied, batch_store, batch_upload
from ..choices import ImportKind, ImportStatus
from ..columns import CONTRACT_COLUMNS
from ..models import ImportBatch
from ..uploads import Upload
from . import values
from .milestones import ImportRefused, RowError
from .reader import Sheet, sheet_read

ROLE_COLUMNS = tuple(PartyRole.values)
PREVIEW_ERRORS_MAX = 500


class _Rollback(Exception):
    pass


@dataclass
class ContractRow:
    number: int
    reference: str
    data: dict[str, Any] = field(default_factory=dict)
    parties: list[tuple[Organisation, str]] = field(default_factory=list)
    existing: Contract | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        return "create" if self.existing is None else "unchanged"


def require_contract_importer(organisation: Organisation, actor: User) -> None:
    membership = Membership.objects.filter(user=actor, organisation=organisation).first()
    if membership is None:
        raise Forbidden(f"Only a manager or admin of {organisation} may import its contracts.")
    if membership.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden(f"Only a manager or admin of {organisation} may import its contracts.")


def _read(organisation: Organisation, actor: User, sheet: Sheet) -> list[ContractRow]:
    missing = [c.name for c in CONTRACT_COLUMNS if c.name not in sheet.header]
    if missing:
        raise DomainError(
            "missing_columns",
            f"The header row has no {', '.join(missing)} column; start from the template file.",
            field="file",
        )
    known: dict[str, Organisation] = {}
    ambiguous: set[str] = set()  # a name two organisations share: give the slug instead
    orgs = list(organisations_known_to(user=actor))
    for org in orgs:
        name = org.name.strip().lower()
        if name in known and known[name] != org:
            ambiguous.add(name)
        known.setdefault(name, org)
    for org in orgs:
        known[org.slug.lower()] = org
    existing = {
        c.reference: c
        for c in Contract.objects.filter(owner=organisation).prefetch_related(
            "parties__organisation"
        )
    }
    rows: list[ContractRow] = []
    seen: dict[str, int] = {}
    for number, record in sheet.records():
        where = f"row {number}"
        row = ContractRow(number=number, reference=values.text(record.get("reference")))
        err = row.errors.append
        d = row.data
        d["title"] = values.text(record.get("title"))
        d["currency"] = values.text(record.get("currency")).upper()
        for name in ("value",):
            try:
                d[name] = values.decimal(record.get(name), comma=sheet.decimal_comma)
            except values.CellError as exc:
                err(f"{where}, {name}: {exc.message}")
                d[name] = None
        for name in ("start_date", "end_date"):
            try:
                d[name] = values.date(record.get(name))
            except values.CellError as exc:
                err(f"{where}, {name}: {exc.message}")
                d[name] = None
        for name, label in (
            ("reference", "give the contract's reference"),
            ("title", "give the contract a title"),
            ("value", "give the contract's value"),
            ("currency", "give the currency, such as GBP"),
            ("start_date", "give the date it starts"),
            ("end_date", "give the date it ends"),
        ):
            if (row.reference if name == "reference" else d[name]) in ("", None) and not any(
                e.startswith(f"{where}, {name}:") for e in row.errors
            ):
                err(f"{where}, {name}: {label}")
        our_role = values.text(record.get("our_role")).lower()
        if our_role not in PartyRole.values or our_role == PartyRole.OBSERVER:
            err(f"{where}, our_role: say whether you are client, supplier, subcontractor or "
                "consultant")  # fmt: skip
        d["our_role"] = our_role
        for role in ROLE_COLUMNS:
            for name in values.items(record.get(role)):
                found = known.get(name.lower())
                if name.lower() in ambiguous and found is not None and found.slug != name.lower():
                    err(f"{where}, {role}: two organisations you work with are called {name}; "
                        "name it by its identifier (slug)")  # fmt: skip
                elif found is None:
                    err(f"{where}, {role}: {name} is not an organisation you work with; "
                        "add it as a party on a contract page first, by its identifier")  # fmt: skip
                elif found == organisation:
                    err(f"{where}, {role}: {name} is you; give your role in our_role")
                else:
                    row.parties.append((found, role))
        if row.reference and row.reference in seen:
            err(f"{where}, reference: {row.reference} is on row {seen[row.reference]} too")
        seen.setdefault(row.reference, number)
        row.existing = existing.get(row.reference)
        if row.existing is not None and not row.errors:
            _compare(row, organisation)
        rows.append(row)
    return rows


def _compare(row: ContractRow, organisation: Organisation) -> None:
    c, d = row.existing, row.data
    assert c is not None
    same = (
        c.title == d["title"]
        and c.value == d["value"]
        and c.currency == d["currency"]
        and c.start_date == d["start_date"]
        and c.end_date == d["end_date"]
        and {(p.organisation_id, p.role) for p in c.parties.all()}
        == {(o.pk, r) for o, r in row.parties} | {(organisation.pk, d["our_role"])}
    )
    if not same:
        row.errors.append(
            f"row {row.number}, reference: {organisation} already has a contract "
            f"{row.reference} with other terms; change it on its page"
        )


def _write(rows: list[ContractRow], organisation: Organisation, actor: User) -> dict[str, int]:
    counts = {"contracts": 0, "parties": 0, "contracts_unchanged": 0}
    for row in rows:
        if row.existing is not None:
            counts["contracts_unchanged"] += 1
            continue
        d = row.data
        try:
            contract = contract_create(
                organisation=organisation,
                party_role=d["our_role"],
                reference=row.reference,
                title=d["title"],
                value=d["value"],
                currency=d["currency"],
                start_date=d["start_date"],
                end_date=d["end_date"],
                actor=actor,
            )
            for org, role in row.parties:
                party_add(contract=contract, organisation=org, role=role, actor=actor)
                counts["parties"] += 1
        except DomainError as exc:
            raise RowError(row.number, exc.field or "reference", exc.message, exc.code) from exc
        counts["contracts"] += 1
    return counts


def _preview(rows: list[ContractRow], errors: list[str]) -> dict[str, Any]:
    return {
        "counts": {
            "contracts": sum(r.action == "create" for r in rows),
            "contracts_unchanged": sum(r.action == "unchanged" for r in rows),
            "parties": sum(len(r.parties) for r in rows if r.action == "create"),
        },
        "errors": errors[:PREVIEW_ERRORS_MAX],
        "error_total": len(errors),
        "rows": [
            {
                "row": r.number,
                "action": r.action,
                "reference": r.reference,
                "title": r.data.get("title", ""),
                "parties": [f"{org.name} ({role})" for org, role in r.parties],
                "errors": r.errors,
            }
            for r in rows
        ],
    }


def contract_sheet_preview(
    *, organisation: Organisation, upload: Upload, actor: User
) -> ImportBatch:
    """Read a contract sheet for ``organisation``; only its managers and admins may."""
    require_contract_importer(organisation, actor)
    sheet = sheet_read(upload)
    rows = _read(organisation, actor, sheet)
    errors = [e for r in rows for e in r.errors]
    if not errors:
        try:
            with transaction.atomic():
                _write(rows, organisation, actor)
                raise _Rollback
        except _Rollback:
            pass
        except DomainError as exc:
            errors.append(exc.message)
    return batch_store(
        kind=ImportKind.CONTRACT_SHEET,
        upload=upload,
        actor=actor,
        preview=_preview(rows, errors),
        error_count=len(errors),
        file_format=sheet.format,
        organisation=organisation,
    )


@transaction.atomic
def contract_sheet_apply(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Create every contract of the stored file with its parties, or none."""
    organisation = batch.organisation
    if batch.kind != ImportKind.CONTRACT_SHEET or organisation is None:
        raise DomainError("wrong_import", "This is not a contract import.")
    if batch.status != ImportStatus.PREVIEWED:
        batch_mark_applied(batch=batch, actor=actor, counts={})  # raises 409
    require_contract_importer(organisation, actor)
    rows = _read(organisation, actor, sheet_read(batch_upload(batch)))
    errors = [e for r in rows for e in r.errors]
    if errors:
        raise ImportRefused(errors)
    try:
        counts = _write(rows, organisation, actor)
    except DomainError as exc:
        raise ImportRefused([exc.message]) from exc
    return batch_mark_applied(batch=batch, actor=actor, counts=counts)
