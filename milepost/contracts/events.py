"""The events the contracts app records; see ``milepost.audit.events``."""

from typing import Any

from milepost.audit.events import EventType
from milepost.audit.sentences import ContractName, Told, names_source, sentence

from .choices import NamedRole


class ContractEvent(EventType):
    """What happens to contracts, their parties and their non-working days."""

    CONTRACT_CREATED = "contract.created"
    CONTRACT_UPDATED = "contract.updated"
    CONTRACT_REVALUED = "contract.revalued"
    CONTRACT_STATUS_CHANGED = "contract.status_changed"
    PARTY_ADDED = "party.added"
    PARTY_REMOVED = "party.removed"
    PARTY_NAMED = "party.named"
    NON_WORKING_DAY_ADDED = "non_working_day.added"
    NON_WORKING_DAY_REMOVED = "non_working_day.removed"
    DOCUMENT_ADDED = "document.added"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------


@names_source("contract")
def _contracts(keys: set[Any]) -> dict[Any, ContractName]:
    from .models import Contract

    rows = Contract.objects.filter(pk__in={k for k in keys if isinstance(k, int)})
    return {
        pk: ContractName(reference=reference, title=title, currency=currency)
        for pk, reference, title, currency in rows.values_list(
            "pk", "reference", "title", "currency"
        )
    }


def _contract_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "reference": ("reference", e.quoted),
        "title": ("title", e.quoted),
        "description": ("description", e.quoted),
        "start_date": ("start date", e.date),
        "end_date": ("end date", e.date),
        "time_zone": ("time zone", e.words),
        "holiday_country": ("holiday country", e.words),
        "holiday_region": ("holiday region", lambda v: e.words(v, "none")),
        "at_risk_threshold": ("at-risk threshold", lambda v: f"{e.number(v)}%"),
        "self_reschedule": ("self-rescheduling", e.on_off),
        "stale_update_days": ("days before an update is stale", e.number),
        "value": ("value", e.money),
        "currency": ("currency", e.words),
    }


@sentence(ContractEvent.CONTRACT_CREATED)
def _created(e: Told) -> str:
    reference = e.after("reference") or e.contract
    value = e.money(e.after("value"), str(e.after("currency") or ""))
    return (
        f"{e.actor} created the contract {reference} “{e.after('title') or reference}”, "
        f"worth {value}, from {e.date(e.after('start_date'))} to {e.date(e.after('end_date'))}."
    )


@sentence(ContractEvent.CONTRACT_UPDATED)
def _updated(e: Told) -> str:
    return f"{e.actor} changed {e.contract}: {e.changes(_contract_labels(e))}."


@sentence(ContractEvent.CONTRACT_REVALUED)
def _revalued(e: Told) -> str:
    return (
        f"{e.actor} changed the value of {e.contract} from {e.money(e.before('value'))} "
        f"to {e.money(e.after('value'))}."
    )


@sentence(ContractEvent.CONTRACT_STATUS_CHANGED)
def _status_changed(e: Told) -> str:
    return (
        f"{e.actor} moved {e.contract} from {e.status(e.before('status'))} "
        f"to {e.status(e.after('status'))}."
    )


@sentence(ContractEvent.PARTY_ADDED)
def _party_added(e: Told) -> str:
    role = e.words(e.after("role"), "party")
    return f"{e.actor} added {e.organisation(e.after('organisation'))} to {e.contract} as {role}."


def _named_role(value: Any) -> str:
    return f"the {NamedRole(value).label}" if value in NamedRole.values and value else ""


@sentence(
    ContractEvent.PARTY_NAMED,
    example={
        "before": {"organisation": "Arden Project Management", "named_role": ""},
        "after": {"organisation": "Arden Project Management", "named_role": "project_manager"},
    },
)
def _party_named(e: Told) -> str:
    who = e.organisation(e.after("organisation"))
    role, was = _named_role(e.after("named_role")), _named_role(e.before("named_role"))
    if not role:
        return f"{e.actor} stopped naming {who} {was or 'in a role'} of {e.contract}."
    moved = e.before("previous_holder")
    instead = f", instead of {e.organisation(moved)}" if moved else ""
    return f"{e.actor} named {who} {role} of {e.contract}{instead}."


@sentence(ContractEvent.PARTY_REMOVED)
def _party_removed(e: Told) -> str:
    role = e.words(e.before("role"), "party")
    return (
        f"{e.actor} removed {e.organisation(e.before('organisation'))} ({role}) from {e.contract}."
    )


@sentence(ContractEvent.NON_WORKING_DAY_ADDED)
def _day_added(e: Told) -> str:
    return f"{e.actor} made {e.date(e.after('day'))} a non-working day on {e.contract}{e.note('reason')}."


@sentence(ContractEvent.NON_WORKING_DAY_REMOVED)
def _day_removed(e: Told) -> str:
    return f"{e.actor} made {e.date(e.before('day'))} a working day again on {e.contract}."


_FORMATS = {"pdf": "PDF", "docx": "Word document", "txt": "text file", "md": "Markdown file"}


@sentence(
    ContractEvent.DOCUMENT_ADDED,
    example={
        "object_type": "contracts.contractdocument",
        "after": {"title": "Signed agreement", "format": "pdf", "pages": 12, "size": 48213},
    },
)
def _document_added(e: Told) -> str:
    what = _FORMATS.get(str(e.after("format") or ""), "file")
    pages = e.after("pages")
    if isinstance(pages, int) and pages:
        what = f"{what}, {pages} page{'s' if pages != 1 else ''}"
    return f"{e.actor} added the contract document {e.quoted(e.after('title'))} ({what}) to {e.contract}."
