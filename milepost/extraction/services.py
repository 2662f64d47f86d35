"""Writes of the extraction app: read an uploaded contract document into proposals, and a
person's review of each (accept, edit, reject, reopen). Applying the accepted set is in
``apply.py`` and exported here.

Nothing becomes a milestone until a person has accepted it and applied the accepted set; every
decision is an event quoting the contract's words.
"""

from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from milepost.accounts.models import User
from milepost.audit.sentences import NOT_SET, as_date, as_money, as_number
from milepost.audit.services import event_record, event_record_many
from milepost.contracts.models import Contract, ContractDocument
from milepost.contracts.services import contract_document_add, contract_document_add_refusal
from milepost.core.errors import DomainError, TooLarge
from milepost.interchange.uploads import Upload, upload_name, upload_read
from milepost.schedule.models import Citation, Milestone

from .apply import (
    ApplySet,
    citation_for,
    damages_set_on,
    proposals_apply,
    proposals_apply_refusal,
)
from .choices import ProposalKind, ProposalStatus
from .documents import CONTENT_TYPES, read_document
from .events import ExtractionEvent
from .models import Proposal, Reading
from .review import proposal_review_refusal, snapshot
from .values import PARTY_FIELDS, PROPOSAL_FIELDS, Setting, check, defaults, due_dates

if TYPE_CHECKING:
    from .kernel.model import Extraction

__all__ = [
    "PROPOSAL_FIELDS",
    "document_upload_and_read",
    "proposal_decide",
    "proposal_edit",
    "proposal_match",
    "proposal_review_refusal",
    "proposals_apply",
    "proposals_apply_refusal",
]

Extract = Callable[..., "Extraction"]
DECISIONS = ("accept", "reject", "reopen")


def _kernel_extract(text: str, *, pages: list[int] | None = None) -> "Extraction":
    from . import kernel

    return kernel.extract(text, pages=pages)


def _kernel_version() -> str:
    from . import kernel

    return str(getattr(kernel, "EXTRACTOR_VERSION", "0"))[:16]


def document_upload_and_read(
    *,
    contract: Contract,
    upload: Any,
    title: str,
    actor: User,
    extract: Extract | None = None,
) -> ContractDocument:
    """Keep ``upload`` as a document of ``contract``, read its text and propose what the text
    says: milestones, payments, targets, gates and delay damages, each waiting for review.

    ``upload`` is a Django uploaded file or an ``Upload``; a file that cannot be read is refused
    naming "file", before anything is stored.
    """
    refusal = contract_document_add_refusal(contract=contract, user=actor)
    if refusal is not None:
        raise refusal
    limit = int(settings.MILEPOST_EXTRACTION_MAX_BYTES)
    too_large = DomainError(
        "file_too_large",
        f"The file is larger than {filesizeformat(limit)}, the most a contract document may be.",
        field="file",
    )
    if isinstance(upload, Upload):
        if upload.size > limit:
            raise too_large
        data, name = upload.data, upload_name(upload.name)
    else:
        try:
            read_upload = upload_read(upload, field="file", max_bytes=limit)
        except TooLarge as exc:
            raise too_large from exc
        data, name = read_upload.data, read_upload.name
    name = _short_name(name)
    text = read_document(data, name)
    title = " ".join((title or "").split()) or PurePath(name).stem[:200]
    extraction = (extract or _kernel_extract)(text.text, pages=text.pages or None)
    # The file is read and the text extracted before any write: one short transaction stores
    # the document, its reading and its proposals, or nothing (and no file). A file written
    # in a transaction that then fails to commit is removed too; inside a caller's larger
    # transaction that later rolls back, the file stays (no row lists it: backups skip it).
    written: list[ContractDocument] = []
    try:
        with transaction.atomic():
            document = _store(contract, name, data, title, text, extraction, actor, written)
    except BaseException:
        for stored in written:
            stored.file.delete(save=False)
        raise
    return document


def _short_name(name: str) -> str:
    """A file name of at most 200 characters that keeps its extension."""
    if len(name) <= 200:
        return name
    suffix = PurePath(name).suffix[:16]
    return name[: 200 - len(suffix)] + suffix


def _store(
    contract: Contract,
    name: str,
    data: bytes,
    title: str,
    text: Any,
    extraction: "Extraction",
    actor: User,
    written: list[ContractDocument],
) -> ContractDocument:
    document = contract_document_add(
        contract=contract,
        name=name,
        data=data,
        title=title,
        text=text.text,
        text_sha256=text.sha256,
        pages=text.pages,
        format=text.format,
        content_type=CONTENT_TYPES[text.format],
        actor=actor,
    )
    written.append(document)
    _store_reading(document, extraction, actor)
    return document


def _store_reading(document: ContractDocument, extraction: "Extraction", actor: User) -> None:
    whole = extraction.to_json()
    Reading.objects.create(
        document=document,
        text_sha256=document.text_sha256,
        extractor_version=_kernel_version(),
        facts={**whole["facts"], "parties": whole["parties"], "date_order": whole["date_order"]},
        warnings=whole["warnings"],
    )
    items: list[tuple[str, dict[str, Any]]] = [(p["kind"], p) for p in whole["proposals"]] + [
        (ProposalKind.DAMAGES, d) for d in whole["damages"]
    ]
    items.sort(key=lambda item: (item[1]["citation"]["start"], item[0] == ProposalKind.DAMAGES))
    setting = Setting.load(document.contract, actor)
    others = [p for _, p in items if p.get("key")]
    dates = due_dates(setting, others)
    Proposal.objects.bulk_create(
        Proposal(
            document=document,
            position=position,
            kind=kind,
            proposed=proposed,
            values=defaults(setting, proposed, kind, dates, others),
        )
        for position, (kind, proposed) in enumerate(items, 1)
    )


def _lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("document__contract")
        .get(pk=proposal.pk)
    )


def _keys(document: ContractDocument) -> dict[str, str]:
    return {
        str(key): kind
        for key, kind in document.proposals.values_list("proposed__key", "kind")
        if key
    }


@transaction.atomic
def proposal_edit(*, proposal: Proposal, values: dict[str, Any], actor: User) -> Proposal:
    """Change some of a pending or accepted proposal's values, each checked and named; what
    the extractor read (``proposed``) stays as it was."""
    proposal = _lock(proposal)
    document = proposal.document
    refusal = proposal_review_refusal(document=document, user=actor)
    if refusal is not None:
        raise refusal
    if proposal.status not in (ProposalStatus.PENDING, ProposalStatus.ACCEPTED):
        raise DomainError(
            "proposal_closed",
            f"This proposal is {proposal.get_status_display().lower()}; reopen it to change it."
            if proposal.status == ProposalStatus.REJECTED
            else "This proposal has been created; change the milestone instead.",
            field="status",
        )
    if not isinstance(values, dict) or not values:
        raise DomainError("nothing_to_change", "Give the values to change.", field="values")
    setting = Setting.load(document.contract, actor)
    checked = check(
        setting,
        proposal.kind,
        values,
        keys=_keys(document),
        own_key=str(proposal.proposed.get("key") or ""),
    )
    merged = {**proposal.values, **checked}
    if merged.get("amount") is not None and merged.get("percentage") is not None:
        # One replaces the other: the one given now wins.
        other = "percentage" if "amount" in checked else "amount"
        merged[other] = None
    changes = {k: v for k, v in merged.items() if proposal.values.get(k) != v}
    if not changes:
        return proposal
    before = {k: proposal.values.get(k) for k in changes}
    proposal.values = merged
    proposal.edited = True
    proposal.save(update_fields=["values", "edited", "updated_at"])
    titles = {
        str(p.proposed.get("key")): str(p.values.get("title") or p.proposed.get("title") or "")
        for p in document.proposals.all()
        if p.proposed.get("key")
    }
    shown = {
        name: [
            _shown(setting, titles, name, before[name]),
            _shown(setting, titles, name, changes[name]),
        ]
        for name in changes
    }
    event_record(
        actor=actor,
        action=ExtractionEvent.PROPOSAL_EDITED,
        obj=proposal,
        before=before,
        after={**snapshot(proposal), "changes": changes, "shown": shown},
        contract_id=document.contract_id,
    )
    return proposal


@transaction.atomic
def proposal_decide(
    *,
    proposal: Proposal,
    decision: str,
    actor: User,
    values: dict[str, Any] | None = None,
) -> Proposal:
    """Accept (with ``values`` edited first, if given), reject or reopen one proposal."""
    if decision not in DECISIONS:
        raise DomainError(
            "invalid_decision", "Accept, reject or reopen the proposal.", field="decision"
        )
    if values:
        proposal_edit(proposal=proposal, values=values, actor=actor)
    proposal = _lock(proposal)
    document = proposal.document
    refusal = proposal_review_refusal(document=document, user=actor)
    if refusal is not None:
        raise refusal
    allowed = {
        "accept": (ProposalStatus.PENDING,),
        "reject": (ProposalStatus.PENDING, ProposalStatus.ACCEPTED),
        "reopen": (ProposalStatus.ACCEPTED, ProposalStatus.REJECTED),
    }[decision]
    if proposal.status not in allowed:
        status = proposal.get_status_display().lower()
        raise DomainError(
            "invalid_transition",
            f"This proposal is {status}; it cannot be {decision}ed now."
            if proposal.status != ProposalStatus.APPLIED
            else "This proposal has been created; change the milestone instead.",
            field="status",
        )
    before = {"status": proposal.status}
    proposal.status = {
        "accept": ProposalStatus.ACCEPTED,
        "reject": ProposalStatus.REJECTED,
        "reopen": ProposalStatus.PENDING,
    }[decision]
    proposal.decided_by = actor if decision != "reopen" else None
    proposal.decided_at = timezone.now() if decision != "reopen" else None
    proposal.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    event_record(
        actor=actor,
        action={
            "accept": ExtractionEvent.PROPOSAL_ACCEPTED,
            "reject": ExtractionEvent.PROPOSAL_REJECTED,
            "reopen": ExtractionEvent.PROPOSAL_REOPENED,
        }[decision],
        obj=proposal,
        before=before,
        after={**snapshot(proposal), "status": proposal.status},
        contract_id=document.contract_id,
    )
    return proposal


def proposal_accept(*, proposal: Proposal, actor: User) -> Proposal:
    return proposal_decide(proposal=proposal, decision="accept", actor=actor)


_RECURRING = {
    "daily": "every day",
    "weekly": "every week",
    "monthly": "every month",
    "quarterly": "every quarter",
    "yearly": "every year",
}
_PERCENT_FIELDS = ("percentage", "cap_percent")
_MONEY_FIELDS = ("amount", "cap_amount", "rate")


def _shown(setting: Setting, titles: dict[str, str], name: str, value: Any) -> str:
    """A value of a proposal as its history says it: "31 Mar 2027", "Sam Patel", "£2,500.00"."""
    if value is None or value == "" or value == []:
        return "nobody" if name == "owner" else NOT_SET
    if name in ("due_date", "measurement_start"):
        return as_date(value)
    if name == "owner":
        person = setting.people.get(value)
        return str(person) if person is not None else "nobody"
    if name in PARTY_FIELDS:
        party = setting.party(value)
        return party.organisation.name if party is not None else NOT_SET
    if name == "required_parties":
        names = [_shown(setting, titles, "payer", pk) for pk in value]
        return " and ".join(names)
    if name in _MONEY_FIELDS:
        return as_money(value, setting.contract.currency)
    if name in _PERCENT_FIELDS:
        return f"{as_number(value)}%"
    if name in ("depends_on", "trigger", "milestone"):
        if str(value) in titles:
            return f"“{titles[str(value)]}”"
        milestone = Milestone.objects.filter(contract=setting.contract, pk=value).first()
        return f"“{milestone.title}”" if milestone is not None else NOT_SET
    if name == "recurring":
        return _RECURRING.get(str(value), str(value))
    if isinstance(value, str):
        return f"“{value}”" if name in ("title", "acceptance_criteria", "kpi_name") else value
    return str(value)


def proposal_reject(*, proposal: Proposal, actor: User) -> Proposal:
    return proposal_decide(proposal=proposal, decision="reject", actor=actor)


def proposal_reopen(*, proposal: Proposal, actor: User) -> Proposal:
    return proposal_decide(proposal=proposal, decision="reopen", actor=actor)


@transaction.atomic
def proposal_match(*, proposal: Proposal, milestone: Milestone, actor: User) -> Proposal:
    """Record that an existing milestone is what ``proposal`` describes: the milestone keeps
    the proposal's citation (delay damages are set on it instead), and the proposal is created.
    A pending proposal is accepted first."""
    contract = Contract.objects.select_for_update().get(pk=proposal.document.contract_id)
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("document")
        .get(pk=proposal.pk)
    )
    document = proposal.document
    document.contract = contract
    refusal = proposal_review_refusal(document=document, user=actor)
    if refusal is not None:
        raise refusal
    if milestone.contract_id != document.contract_id:
        raise DomainError(
            "not_on_contract", "That milestone is not on this contract.", field="milestone"
        )
    if proposal.status == ProposalStatus.PENDING:
        proposal = proposal_decide(proposal=proposal, decision="accept", actor=actor)
    if proposal.status != ProposalStatus.ACCEPTED:
        raise DomainError(
            "invalid_transition",
            f"This proposal is {proposal.get_status_display().lower()}; only an accepted one "
            "is linked to a milestone.",
            field="status",
        )
    if proposal.kind == ProposalKind.DAMAGES:
        s = ApplySet(
            document=document,
            contract=document.contract,
            setting=Setting.load(document.contract, actor),
            accepted=[proposal],
            by_key={},
        )
        damages_set_on(s, proposal, milestone, actor)
    else:
        if Citation.objects.filter(milestone=milestone).exists():
            raise DomainError(
                "already_cited",
                f"“{milestone.title}” already cites the contract.",
                field="milestone",
            )
        citation_for(document, proposal, milestone).save()
    proposal.status = ProposalStatus.APPLIED
    proposal.milestone = milestone
    proposal.save(update_fields=["status", "milestone", "updated_at"])
    event_record_many(
        actor=actor,
        events=[
            (
                ExtractionEvent.PROPOSAL_APPLIED,
                proposal,
                {"status": ProposalStatus.ACCEPTED},
                {**snapshot(proposal), "milestone": milestone.title, "matched": True},
                document.contract_id,
                milestone.pk,
            )
        ],
    )
    return proposal
