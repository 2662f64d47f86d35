"""OCDS import: a preview stored with the file, then one contract created from it.

What the importer decides, rather than guesses:

- The user picks one contract of the file (a process without a contract offers its tender) and
  the organisation they manage that becomes its owner, in the role they choose.
- Each party in the file is mapped to an organisation the user already works with (the preview
  suggests an exact name match) or left out; nothing creates organisations, so a file never
  reaches a tenant the user cannot see. A party's role follows its OCDS roles: buyer,
  procuring entity or payer → client; supplier or payee → supplier; any other → observer.
  When the file names no party in the other role, the user names the counterparty.
- Any of reference, title, value, currency, start and end date the file lacks must be given;
  a missing one is refused by its field, never filled in.
- Every milestone with a due date becomes a deliverable of the owner's party (owned by the
  importer, accepted by the counterparty), its reference the OCDS milestone id; milestones without
  a due date, or due outside the contract's term, are left out and the preview says so. Their OCDS status is shown but not replayed:
  the contract starts as a draft.
"""

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db import transaction

from milepost.accounts.models import Organisation, User
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import organisations_known_to
from milepost.contracts.services import contract_create, party_add
from milepost.core.errors import DomainError
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.planning import check_milestone_date
from milepost.schedule.services import milestone_create

from ..batches import batch_mark_applied, batch_store, batch_upload
from ..choices import ImportKind
from ..models import ImportBatch
from ..uploads import Upload
from .reader import OcdsContract, ocds_read

REFERENCE_MAX = 64
CLIENT_ROLES = {"buyer", "procuringEntity", "payer"}
SUPPLIER_ROLES = {"supplier", "payee"}


def party_role_for(roles: list[str]) -> str:
    """The Milepost role of a party from its OCDS roles."""
    if CLIENT_ROLES & set(roles):
        return PartyRole.CLIENT
    if SUPPLIER_ROLES & set(roles):
        return PartyRole.SUPPLIER
    return PartyRole.OBSERVER


def _jsonable(c: OcdsContract) -> dict[str, Any]:
    row = asdict(c)
    row["value"] = None if c.value is None else str(c.value)
    for key in ("start", "end"):
        row[key] = None if row[key] is None else row[key].isoformat()
    for m in row["milestones"]:
        for key in ("due", "met"):
            m[key] = None if m[key] is None else m[key].isoformat()
    return row


def ocds_preview(*, upload: Upload, actor: User) -> ImportBatch:
    """Read an OCDS file and keep it with its preview; a refused file stores nothing."""
    contracts = ocds_read(upload.data)
    preview = {"contracts": [_jsonable(c) for c in contracts]}
    return batch_store(
        kind=ImportKind.OCDS,
        upload=upload,
        actor=actor,
        preview=preview,
        error_count=0,
        file_format="json",
    )


def suggested_organisations(*, batch: ImportBatch, user: User) -> dict[str, int]:
    """OCDS party id → an organisation the user knows with exactly that name."""
    known = {o.name.casefold(): o.pk for o in organisations_known_to(user=user)}
    out = {}
    for c in batch.preview.get("contracts", []):
        for p in c["parties"]:
            if p["name"] and p["name"].casefold() in known:
                out[p["id"]] = known[p["name"].casefold()]
    return out


def _choose(batch: ImportBatch, key: str) -> OcdsContract:
    for c in ocds_read(batch_upload(batch).data):
        if c.key == key:
            return c
    raise DomainError("unknown_contract", "Choose one of the file's contracts.", field="contract")


def _in_term(due: dt.date | None, contract: Contract) -> bool:
    """Whether a milestone's due date can be kept: given, and within the contract's term."""
    if due is None or due < contract.start_date:
        return False
    try:
        check_milestone_date(due, contract)
    except DomainError:
        return False
    return True


def _given(value: Any, from_file: Any, field: str, label: str) -> Any:
    chosen = value if value not in (None, "") else from_file
    if chosen in (None, ""):
        raise DomainError("required", f"The file gives no {label}; enter it.", field=field)
    return chosen


@transaction.atomic
def ocds_import_apply(
    *,
    batch: ImportBatch,
    actor: User,
    contract_key: str,
    organisation: Organisation,
    party_role: str,
    party_map: dict[str, int] | None = None,
    counterparty: Organisation | None = None,
    reference: str = "",
    title: str = "",
    value: Decimal | str | None = None,
    currency: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Contract:
    """Create the chosen contract of an OCDS file with its parties and milestones, or nothing."""
    chosen = _choose(batch, contract_key)
    ref = _given(reference.strip(), chosen.id, "reference", "reference")
    if len(ref) > REFERENCE_MAX:
        raise DomainError(
            "reference_too_long",
            f"The file's contract id has more than {REFERENCE_MAX} characters; enter a shorter reference.",
            field="reference",
        )
    known = {o.pk: o for o in organisations_known_to(user=actor)}
    mapped: list[tuple[Organisation, str]] = []
    for party_id, org_id in (party_map or {}).items():
        party = next((p for p in chosen.parties if p.id == party_id), None)
        if party is None or org_id not in known:
            raise DomainError(
                "unknown_party",
                "Map the file's parties to organisations you work with.",
                field=f"party_{party_id}",
            )
        mapped.append((known[org_id], party_role_for(party.roles)))
    contract = contract_create(
        organisation=organisation,
        party_role=party_role,
        reference=ref,
        title=_given(title.strip(), chosen.title, "title", "title"),
        description=chosen.description,
        value=_given(value, chosen.value, "value", "value"),
        currency=_given(currency.strip(), chosen.currency, "currency", "currency"),
        start_date=_given(start_date, chosen.start, "start_date", "start date"),
        end_date=_given(end_date, chosen.end, "end_date", "end date"),
        actor=actor,
    )
    ours = contract.parties.get()
    other_role = PartyRole.SUPPLIER if party_role == PartyRole.CLIENT else PartyRole.CLIENT
    if counterparty is not None:
        if counterparty.pk not in known:
            raise DomainError(
                "unknown_party", "Choose an organisation you work with.", field="counterparty"
            )
        mapped.append((counterparty, other_role))
    parties: list[Party] = [ours]
    for org, role in mapped:
        if any(p.organisation_id == org.pk for p in parties):
            continue
        parties.append(party_add(contract=contract, organisation=org, role=role, actor=actor))
    accepting = next((p for p in parties if p.role == other_role), None)
    imported = [m for m in chosen.milestones if _in_term(m.due, contract)]
    if imported and accepting is None:
        raise DomainError(
            "counterparty_required",
            f"Milestones are accepted by the {other_role}: map a party of the file to it or name the counterparty.",
            field="counterparty",
        )
    seen: set[str] = set()
    created = 0
    for m in imported:
        ref_m = m.id[:REFERENCE_MAX]
        if ref_m in seen:
            continue
        seen.add(ref_m)
        assert m.due is not None and accepting is not None
        try:
            milestone_create(
                contract=contract,
                kind=MilestoneKind.DELIVERABLE,
                title=(m.title or m.id)[:200],
                description=m.description,
                owner=actor,
                responsible_party=ours,
                accepting_party=accepting,
                due_date=m.due,
                acceptance_criteria=f"As published in the OCDS file for {chosen.ocid}.",
                reference=ref_m,
                actor=actor,
            )
        except DomainError as exc:
            raise DomainError(
                exc.code, f"Milestone '{m.title or m.id}': {exc.message}", field="milestones"
            ) from exc
        created += 1
    batch_mark_applied(
        batch=batch,
        actor=actor,
        contract=contract,
        counts={
            "contracts": 1,
            "parties": len(parties),
            "milestones_created": created,
            "milestones_left_out": len(chosen.milestones) - created,
        },
    )
    return contract
