"""Writes for contracts and their parties."""

import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import ProtectedError

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Membership, Organisation, User
from milepost.audit.services import event_record
from milepost.core.dates import (
    validate_date_in_range,
    validate_holiday_calendar,
    validate_time_zone,
)
from milepost.core.errors import DomainError, Forbidden
from milepost.core.models import apply_changes, validate_lengths
from milepost.core.money import parse_money, quantize, validate_currency

from .choices import CONTRACT_TRANSITIONS, ContractStatus, NamedRole, PartyRole
from .events import ContractEvent
from .models import Contract, ContractDocument, NonWorkingDay, Party
from .selectors import contract_access

EDITABLE_FIELDS = (
    "reference",
    "title",
    "description",
    "start_date",
    "end_date",
    "time_zone",
    "holiday_country",
    "holiday_region",
    "at_risk_threshold",
    "self_reschedule",
    "stale_update_days",
)


def _snapshot(contract: Contract, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: getattr(contract, name) for name in fields}


def contract_require_open(contract: Contract, *, frozen: str | None = None) -> None:
    """Refuse a change to a completed or terminated contract, or (naming them) to its parts."""
    if contract.is_closed:
        tail = f"{frozen} are frozen" if frozen else "it no longer changes"
        raise DomainError(
            "contract_closed", f"The contract is {contract.status}; {tail}.", field="contract"
        )


def _validate(contract: Contract) -> None:
    """Check one contract's own fields; raise DomainError naming the first bad field."""
    validate_lengths(contract)
    if not contract.reference.strip():
        raise DomainError("required", "A contract needs a reference.", field="reference")
    if not contract.title.strip():
        raise DomainError("required", "A contract needs a title.", field="title")
    validate_date_in_range(contract.start_date, field="start_date")
    validate_date_in_range(contract.end_date, field="end_date")
    if contract.end_date < contract.start_date:
        raise DomainError(
            "end_before_start", "The end date must not be before the start date.", field="end_date"
        )
    validate_time_zone(contract.time_zone)
    validate_holiday_calendar(contract.holiday_country, contract.holiday_region)
    _validate_schedule_settings(contract)
    clash = Contract.objects.filter(owner=contract.owner, reference=contract.reference)
    if clash.exclude(pk=contract.pk).exists():
        raise DomainError(
            "duplicate_reference",
            f"{contract.owner} already has a contract with reference '{contract.reference}'.",
            field="reference",
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_schedule_settings(contract: Contract) -> None:
    """Check the settings that drive forecasts, leading signals and self-rescheduling."""
    threshold = contract.at_risk_threshold
    if not _is_int(threshold) or not 1 <= threshold <= 99:
        raise DomainError(
            "invalid_threshold",
            "The at-risk threshold is a whole percentage from 1 to 99.",
            field="at_risk_threshold",
        )
    if not isinstance(contract.self_reschedule, bool):
        raise DomainError(
            "invalid_flag", "Self-rescheduling is either on or off.", field="self_reschedule"
        )
    stale = contract.stale_update_days
    if not _is_int(stale) or not 1 <= stale <= 365:
        raise DomainError(
            "invalid_stale_update_days",
            "Updates go stale after a whole number of days from 1 to 365.",
            field="stale_update_days",
        )


@transaction.atomic
def contract_create(
    *,
    organisation: Organisation,
    party_role: str,
    reference: str,
    title: str,
    value: Decimal | str,
    currency: str,
    start_date: dt.date,
    end_date: dt.date,
    description: str = "",
    time_zone: str = "Europe/London",
    holiday_country: str = "GB",
    holiday_region: str = "",
    at_risk_threshold: int = 70,
    self_reschedule: bool = True,
    stale_update_days: int = 14,
    actor: User,
) -> Contract:
    """Create a draft contract with ``organisation`` as its first party."""
    membership = Membership.objects.filter(user=actor, organisation=organisation).first()
    if membership is None or not at_least(membership.role, Role.MANAGER):
        raise Forbidden(f"Only a manager or admin of {organisation} may create its contracts.")
    if party_role not in PartyRole.values or party_role == PartyRole.OBSERVER:
        raise DomainError(
            "invalid_party_role",
            "Create a contract as client, supplier, subcontractor or consultant.",
            field="party_role",
        )
    currency = validate_currency(currency.upper())
    contract = Contract(
        owner=organisation,
        reference=reference.strip(),
        title=title.strip(),
        description=description,
        value=quantize(parse_money(value, field="value"), currency),
        currency=currency,
        start_date=start_date,
        end_date=end_date,
        time_zone=time_zone,
        holiday_country=holiday_country,
        holiday_region=holiday_region,
        at_risk_threshold=at_risk_threshold,
        self_reschedule=self_reschedule,
        stale_update_days=stale_update_days,
    )
    _validate(contract)
    contract.save()
    event_record(
        actor=actor,
        action=ContractEvent.CONTRACT_CREATED,
        obj=contract,
        after={
            **_snapshot(contract, EDITABLE_FIELDS),
            "value": contract.value,
            "currency": currency,
        },
    )
    party_add(
        contract=contract, organisation=organisation, role=party_role, actor=actor, _creating=True
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, actor: User, **changes: Any) -> Contract:
    """Change a contract's descriptive fields and dates; value and currency have their own rules."""
    contract_access(user=actor, contract=contract).require_administrator()
    contract_require_open(contract)
    changed, before = apply_changes(contract, changes, editable=EDITABLE_FIELDS, snapshot=_snapshot)
    if not changed:
        return contract
    _validate(contract)
    contract.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action=ContractEvent.CONTRACT_UPDATED,
        obj=contract,
        before=before,
        after=_snapshot(contract, changed),
    )
    return contract


@transaction.atomic
def contract_set_value(*, contract: Contract, value: Decimal, actor: User | None) -> Contract:
    """Set a contract's value; ``payments.services.contract_revalue`` guards the payment rules."""
    value = quantize(parse_money(value, field="value"), contract.currency)
    before = {"value": contract.value}
    contract.value = value
    contract.save(update_fields=["value", "updated_at"])
    event_record(
        actor=actor,
        action=ContractEvent.CONTRACT_REVALUED,
        obj=contract,
        before=before,
        after={"value": value},
    )
    return contract


@transaction.atomic
def contract_set_status(*, contract: Contract, status: str, actor: User) -> Contract:
    """Move a contract through its transition table."""
    contract_access(user=actor, contract=contract).require_administrator()
    if status not in ContractStatus.values:
        raise DomainError("invalid_status", f"'{status}' is not a contract status.", field="status")
    if status not in CONTRACT_TRANSITIONS[contract.status]:
        raise DomainError(
            "invalid_transition",
            f"A {contract.get_status_display().lower()} contract cannot become {status}.",
            field="status",
        )
    if status == ContractStatus.ACTIVE:
        roles = set(contract.parties.values_list("role", flat=True))
        if not {PartyRole.CLIENT, PartyRole.SUPPLIER} <= roles:
            raise DomainError(
                "parties_incomplete",
                "A contract needs a client and a supplier party before it becomes active.",
                field="status",
            )
    before = {"status": contract.status}
    contract.status = status
    contract.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        action=ContractEvent.CONTRACT_STATUS_CHANGED,
        obj=contract,
        before=before,
        after={"status": status},
    )
    return contract


@transaction.atomic
def party_add(
    *,
    contract: Contract,
    organisation: Organisation,
    role: str,
    actor: User,
    _creating: bool = False,
) -> Party:
    """Make ``organisation`` a party to ``contract`` in ``role``."""
    if not _creating:
        contract_access(user=actor, contract=contract).require_administrator()
        contract_require_open(contract)
    if role not in PartyRole.values:
        raise DomainError("invalid_party_role", f"'{role}' is not a party role.", field="role")
    if contract.parties.filter(organisation=organisation).exists():
        raise DomainError(
            "duplicate_party",
            f"{organisation} is already a party to this contract.",
            field="organisation",
        )
    party = Party.objects.create(contract=contract, organisation=organisation, role=role)
    event_record(
        actor=actor,
        action=ContractEvent.PARTY_ADDED,
        obj=party,
        after={"organisation": organisation.name, "role": role},
    )
    return party


@transaction.atomic
def party_name_role(*, party: Party, named_role: str, actor: User) -> Party:
    """Name ``party`` in a role the contract's form names (the Project Manager), or in none.

    One party holds each named role; naming another moves the role to it. Observers hold none.
    """
    contract = party.contract
    contract_access(user=actor, contract=contract).require_administrator()
    contract_require_open(contract)
    if named_role not in NamedRole.values:
        raise DomainError(
            "invalid_named_role", f"'{named_role}' is not a role a form names.", field="named_role"
        )
    if named_role and party.role == PartyRole.OBSERVER:
        raise DomainError(
            "observer_cannot_act",
            f"{party.organisation} observes the contract and cannot hold a role in it.",
            field="named_role",
        )
    if party.named_role == named_role:
        return party
    before = {"organisation": party.organisation.name, "named_role": party.named_role}
    if named_role:
        # The role moves: whoever held it holds it no more (one event, naming both).
        holder = contract.parties.filter(named_role=named_role).exclude(pk=party.pk).first()
        if holder is not None:
            before["previous_holder"] = holder.organisation.name
            holder.named_role = NamedRole.NONE
            holder.save(update_fields=["named_role", "updated_at"])
    party.named_role = named_role
    party.save(update_fields=["named_role", "updated_at"])
    event_record(
        actor=actor,
        action=ContractEvent.PARTY_NAMED,
        obj=party,
        before=before,
        after={"organisation": party.organisation.name, "named_role": named_role},
        contract_id=contract.pk,
    )
    return party


@transaction.atomic
def party_remove(*, party: Party, actor: User) -> None:
    """Remove a party that nothing on the contract refers to."""
    contract = party.contract
    access = contract_access(user=actor, contract=contract)
    access.require_administrator()
    contract_require_open(contract)
    if contract.parties.count() == 1:
        raise DomainError("last_party", "A contract keeps at least one party.", field="party")
    if party.organisation_id == contract.owner_id:
        raise DomainError(
            "owner_party",
            f"{party.organisation} owns this contract and stays a party to it.",
            field="party",
        )
    snapshot = {"organisation": party.organisation.name, "role": party.role}
    party_id = party.pk
    try:
        with transaction.atomic():
            party.delete()
    except ProtectedError as exc:
        raise DomainError(
            "party_in_use",
            f"{snapshot['organisation']} is still named on milestones or communications of this "
            "contract; reassign the milestones first (communications stay as they were sent).",
            field="party",
        ) from exc
    party.pk = party_id
    event_record(
        actor=actor,
        action=ContractEvent.PARTY_REMOVED,
        obj=party,
        before=snapshot,
        contract_id=contract.pk,
    )


@transaction.atomic
def non_working_day_add(
    *, contract: Contract, day: dt.date, reason: str, actor: User
) -> NonWorkingDay:
    """Make a weekday within the contract's term a day the contract does not work."""
    contract_access(user=actor, contract=contract).require_administrator()
    contract_require_open(contract)
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "required", "Say why the contract does not work that day.", field="reason"
        )
    if day.weekday() >= 5:
        raise DomainError(
            "not_a_weekday",
            f"{day:%A} {day.day} {day:%B %Y} is a weekend day, which is never worked anyway.",
            field="day",
        )
    if not contract.start_date <= day <= contract.end_date:
        raise DomainError(
            "outside_contract",
            f"The day must fall within the contract, {contract.start_date} to {contract.end_date}.",
            field="day",
        )
    if contract.non_working_days.filter(day=day).exists():
        raise DomainError(
            "duplicate_non_working_day",
            f"{day} is already one of this contract's non-working days.",
            field="day",
        )
    day_off = NonWorkingDay(contract=contract, day=day, reason=reason)
    validate_lengths(day_off)
    day_off.save()
    event_record(
        actor=actor,
        action=ContractEvent.NON_WORKING_DAY_ADDED,
        obj=day_off,
        after={"day": day, "reason": reason},
        contract_id=contract.pk,
    )
    return day_off


@transaction.atomic
def non_working_day_remove(*, day_off: NonWorkingDay, actor: User) -> None:
    """Make one of the contract's own non-working days a working day again."""
    contract = day_off.contract
    contract_access(user=actor, contract=contract).require_administrator()
    contract_require_open(contract)
    snapshot = {"day": day_off.day, "reason": day_off.reason}
    day_id = day_off.pk
    day_off.delete()
    # The event names the row that was removed.
    day_off.pk = day_id
    event_record(
        actor=actor,
        action=ContractEvent.NON_WORKING_DAY_REMOVED,
        obj=day_off,
        before=snapshot,
        contract_id=contract.pk,
    )


# --- the contract's own documents ----------------------------------------------------------------

DOCUMENT_FORMATS = ("pdf", "docx", "txt", "md")


def contract_document_add_refusal(*, contract: Contract, user: User) -> DomainError | None:
    """Return why ``user`` may not add a document to ``contract`` now, or ``None``.

    A manager or admin of a party to the contract (not an observer) adds documents while the
    contract is open.
    """
    access = contract_access(user=user, contract=contract)
    if not access.can_view:
        return Forbidden("Only the parties to this contract may add its documents.")
    if not access.can_manage:
        return Forbidden(
            "Only a manager or admin of a party to this contract may add its documents."
        )
    try:
        contract_require_open(contract, frozen="its documents")
    except DomainError as refusal:
        return refusal
    return None


@transaction.atomic
def contract_document_add(
    *,
    contract: Contract,
    name: str,
    data: bytes,
    title: str,
    text: str,
    text_sha256: str,
    pages: list[int],
    format: str,
    content_type: str,
    actor: User,
) -> ContractDocument:
    """Keep a document of the contract (its file under the evidence directory) and the text
    read from it, which citations point into; record ``document.added``."""
    refusal = contract_document_add_refusal(contract=contract, user=actor)
    if refusal is not None:
        raise refusal
    title = " ".join(title.split())
    if not title:
        raise DomainError("required", "Give the document a title.", field="title")
    if len(title) > 200:
        raise DomainError("too_long", "A title has at most 200 characters.", field="title")
    if format not in DOCUMENT_FORMATS:
        raise DomainError("unsupported_format", "This type of file is not read.", field="file")
    if not data:
        raise DomainError("file_empty", "The file is empty.", field="file")
    document = ContractDocument(
        contract=contract,
        title=title,
        original_name=name[:200],
        content_type=content_type[:100],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        format=format,
        text=text,
        text_sha256=text_sha256,
        pages=list(pages),
        uploaded_by=actor,
    )
    document.file.save(
        f"contract_{contract.pk}/documents/{uuid.uuid4().hex}.{format}",
        ContentFile(data),
        save=False,
    )
    try:
        document.save()
        event_record(
            actor=actor,
            action=ContractEvent.DOCUMENT_ADDED,
            obj=document,
            after={
                "title": title,
                "name": document.original_name,
                "format": format,
                "pages": len(pages),
                "size": document.size,
                "sha256": document.sha256,
            },
        )
    except Exception:
        # Nothing refers to the file once the row is gone: do not leave it behind.
        document.file.delete(save=False)
        raise
    return document
