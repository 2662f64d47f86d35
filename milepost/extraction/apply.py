"""Creating the accepted proposals of a document: one import, whole or not at all.

The accepted proposals become rows of an in-memory milestone sheet, which goes through the
milestone sheet import's own checks and writes (``rows_plan``/``rows_write``), so a proposal is
held to every rule a typed-in or imported milestone is; errors name the proposal, not a row.
A recurring proposal becomes one milestone per occurrence within the contract's dates. Each
milestone created keeps a ``Citation`` of the words it came from; accepted delay damages are
set on the milestone their reviewer chose. One ``import.applied`` event, the usual events of
what was made, and one ``proposal.applied`` per proposal.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from milepost.accounts.models import User
from milepost.audit.services import event_record_many
from milepost.contracts.models import Contract, ContractDocument
from milepost.contracts.selectors import contract_calendar
from milepost.core.errors import DomainError
from milepost.finance.damages.services import damages_terms_set
from milepost.finance.retention.services import add_months
from milepost.interchange.batches import batch_mark_applied, batch_store
from milepost.interchange.choices import ImportKind
from milepost.interchange.columns import MILESTONE_COLUMN_NAMES
from milepost.interchange.sheets.milestones import rows_plan, rows_write
from milepost.interchange.sheets.reader import Cell, Sheet
from milepost.interchange.uploads import Upload
from milepost.schedule.models import Citation, Milestone

from .choices import ProposalKind, ProposalStatus
from .events import ExtractionEvent
from .models import Proposal
from .review import proposal_review_refusal, snapshot
from .values import FIELD_LABELS, Setting, lag_of

MAX_OCCURRENCES = 60
HEADER = [c for c in MILESTONE_COLUMN_NAMES if c not in ("id", "status", "progress")]
ROW = re.compile(r"\brow (\d+)\b")
STEPS = {"daily": 0, "weekly": 0, "monthly": 1, "quarterly": 3, "yearly": 12}


def _next(period: dt.date, recurring: str) -> dt.date:
    if recurring == "daily":
        return period + dt.timedelta(days=1)
    if recurring == "weekly":
        return period + dt.timedelta(weeks=1)
    return add_months(period, STEPS[recurring])


class ProposalsRefused(DomainError):
    """The accepted set has errors; nothing was created. ``errors`` lists them all."""

    def __init__(self, errors: list[str]) -> None:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        first = errors[0].rstrip(".")
        super().__init__(
            "proposals_have_errors", f"{first}{more}. Nothing was created.", field="proposals"
        )
        self.errors = errors


class AlreadyCreated(DomainError):
    """Everything accepted was created by an earlier apply: a conflict, not a mistake."""

    status = 409

    def __init__(self) -> None:
        super().__init__(
            "already_applied",
            "Everything accepted has been created already; accept more proposals to create more.",
            field="proposals",
        )


def proposals_apply_refusal(*, document: ContractDocument, user: User) -> DomainError | None:
    """Return why ``user`` may not create the accepted proposals of ``document`` now, or None."""
    refusal = proposal_review_refusal(document=document, user=user)
    if refusal is not None:
        return refusal
    statuses = set(document.proposals.values_list("status", flat=True))
    if ProposalStatus.ACCEPTED not in statuses and ProposalStatus.APPLIED in statuses:
        return AlreadyCreated()
    if ProposalStatus.ACCEPTED not in statuses:
        return DomainError(
            "nothing_accepted",
            "Accept at least one proposal first: nothing is created that nobody accepted.",
            field="proposals",
        )
    return None


def label(proposal: Proposal) -> str:
    """How an error names a proposal."""
    if proposal.kind == ProposalKind.DAMAGES:
        return "the delay damages"
    return f"“{proposal.values.get('title') or proposal.proposed.get('title') or ''}”"


@dataclass
class _Occurrence:
    proposal: Proposal
    reference: str
    title: str
    due: dt.date | None
    number: int = 0
    milestone: Milestone | None = None


@dataclass
class ApplySet:
    document: ContractDocument
    contract: Contract
    setting: Setting
    accepted: list[Proposal]
    by_key: dict[str, Proposal]
    occurrences: dict[int, list[_Occurrence]] = field(default_factory=dict)
    existing: dict[int, Milestone] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def err(self, proposal: Proposal, name: str, message: str) -> None:
        self.errors.append(f"{label(proposal)}, {FIELD_LABELS.get(name, name).lower()}: {message}")


def _reference(document: ContractDocument, proposal: Proposal, n: int | None = None) -> str:
    base = f"DOC{document.pk}-{proposal.position}"
    return base if n is None else f"{base}-{n}"


def _occurrences(s: ApplySet, proposal: Proposal) -> list[_Occurrence]:
    values, contract = proposal.values, s.contract
    title = str(values.get("title") or "")
    due = dt.date.fromisoformat(values["due_date"]) if values.get("due_date") else None
    recurring = values.get("recurring") if proposal.kind != ProposalKind.PERFORMANCE else None
    if not recurring or recurring not in STEPS:
        return [_Occurrence(proposal, _reference(s.document, proposal), title, due)]
    if due is not None:
        # The reviewer gave (or the contract states) the first one: the rest follow from it.
        return _series_from(s, proposal, title, due, recurring)
    relative = proposal.proposed.get("relative") or {}
    calendar = contract_calendar(contract=contract)
    start = contract.start_date
    if recurring in ("monthly", "quarterly"):
        start = start.replace(day=1)
    elif recurring == "yearly":
        start = start.replace(month=1, day=1)
    found: list[_Occurrence] = []
    period = start
    n = 0
    while period <= contract.end_date:
        following = _next(period, recurring)
        if relative.get("unit") == "working" and relative.get("offset"):
            day = calendar.shift(
                period - dt.timedelta(days=1), int(relative["offset"]), working=True
            )
        elif relative.get("unit") == "calendar" and relative.get("offset"):
            day = period + dt.timedelta(days=int(relative["offset"]) - 1)
        else:
            day = following - dt.timedelta(days=1)
        if contract.start_date <= day <= contract.end_date:
            n += 1
            if n > MAX_OCCURRENCES:
                s.err(
                    proposal,
                    "recurring",
                    f"it recurs more than {MAX_OCCURRENCES} times over the contract; create "
                    "it by hand, or reject it",
                )
                return []
            when = {
                "daily": f"{day:%-d %b %Y}",
                "weekly": f"week of {period:%-d %b %Y}",
                "monthly": f"{period:%B %Y}",
                "quarterly": f"quarter from {period:%B %Y}",
                "yearly": f"{period:%Y}",
            }[recurring]
            found.append(
                _Occurrence(
                    proposal,
                    _reference(s.document, proposal, n),
                    f"{title[: 200 - len(when) - 3]} — {when}",
                    day,
                )
            )
        period = following
    if not found:
        s.err(proposal, "recurring", "it falls due on no day within the contract's dates")
    return found


def _when(recurring: str, period: dt.date, day: dt.date) -> str:
    return {
        "daily": f"{day:%-d %b %Y}",
        "weekly": f"week of {period:%-d %b %Y}",
        "monthly": f"{period:%B %Y}",
        "quarterly": f"quarter from {period:%B %Y}",
        "yearly": f"{period:%Y}",
    }[recurring]


def _series_from(
    s: ApplySet, proposal: Proposal, title: str, first: dt.date, recurring: str
) -> list[_Occurrence]:
    """Occurrences on ``first`` and every period after it up to the contract's end."""
    found: list[_Occurrence] = []
    day = first
    while day <= s.contract.end_date:
        if len(found) == MAX_OCCURRENCES:
            s.err(
                proposal,
                "recurring",
                f"it recurs more than {MAX_OCCURRENCES} times over the contract; create "
                "it by hand, or reject it",
            )
            return []
        when = _when(recurring, day, day)
        found.append(
            _Occurrence(
                proposal,
                _reference(s.document, proposal, len(found) + 1),
                f"{title[: 200 - len(when) - 3]} — {when}",
                day,
            )
        )
        day = _next(day, recurring)
    return found


def _existing(s: ApplySet, value: str) -> Milestone | None:
    """A milestone of the contract named by id (loaded once for the whole set)."""
    return s.existing.get(int(value)) if value.isdigit() else None


def _link(s: ApplySet, proposal: Proposal, name: str) -> str:
    """A depends_on or trigger value as the sheet names it: a reference or a milestone id."""
    value = str(proposal.values.get(name) or "")
    if not value:
        return ""
    other = s.by_key.get(value)
    if other is not None:
        if other.status == ProposalStatus.APPLIED:
            if other.milestone is not None:
                return other.milestone.reference or str(other.milestone.pk)
            s.err(
                proposal,
                name,
                f"the milestone created from {label(other)} no longer exists; choose another",
            )
            return ""
        if other.status != ProposalStatus.ACCEPTED:
            s.err(
                proposal,
                name,
                f"{label(other)} is not accepted; accept it too, or choose another",
            )
            return ""
        made = s.occurrences.get(other.pk) or []
        return made[-1].reference if made else ""
    milestone = _existing(s, value)
    if milestone is None:
        s.err(proposal, name, "choose another proposal or a milestone of this contract")
        return ""
    return milestone.reference or str(milestone.pk)


def _party_slug(s: ApplySet, pk: Any) -> str:
    party = s.setting.party(pk)
    return party.organisation.slug if party is not None else ""


def _row(s: ApplySet, occurrence: _Occurrence) -> dict[str, Cell]:
    proposal = occurrence.proposal
    v = proposal.values
    kind = proposal.kind
    owner = s.setting.people.get(v.get("owner") or 0)
    cells: dict[str, Cell] = {
        "reference": occurrence.reference,
        "kind": kind,
        "title": occurrence.title,
        "description": f"From {_where(proposal)} of {s.document.title}.",
        "owner": owner.username if owner else "",
        "due_date": occurrence.due,
        "criticality": v.get("criticality") or "",
        "acceptance_criteria": v.get("acceptance_criteria") or "",
    }
    depends = _link(s, proposal, "depends_on")
    if depends:
        lag = (
            lag_of(proposal.proposed)
            if v.get("depends_on") == proposal.proposed.get("depends_on")
            else 0
        )
        cells["depends_on"] = f"{depends}{lag:+d}" if lag else depends
    if kind == ProposalKind.PAYMENT:
        trigger = _link(s, proposal, "trigger")
        if not trigger and not v.get("trigger"):
            s.err(proposal, "trigger", "choose the milestone whose completion it pays for")
        cells.update(
            payer=_party_slug(s, v.get("payer")),
            payee=_party_slug(s, v.get("payee")),
            trigger=trigger,
            amount=Decimal(v["amount"]) if v.get("amount") is not None else None,
            percentage=Decimal(v["percentage"]) if v.get("percentage") is not None else None,
        )
        currency = proposal.proposed.get("currency")
        if currency and v.get("amount") == proposal.proposed.get("amount"):
            cells["currency"] = currency
    else:
        cells["responsible_party"] = _party_slug(s, v.get("responsible_party"))
    if kind == ProposalKind.DELIVERABLE:
        cells["accepting_party"] = _party_slug(s, v.get("accepting_party"))
    if kind == ProposalKind.PERFORMANCE:
        cells.update(
            kpi_name=v.get("kpi_name") or "",
            unit=v.get("unit") or "",
            target=Decimal(v["target"]) if v.get("target") is not None else None,
            direction=v.get("direction") or "",
            period=v.get("period") or "",
            measurement_start=(
                dt.date.fromisoformat(v["measurement_start"])
                if v.get("measurement_start")
                else None
            ),
        )
    if kind == ProposalKind.GATE:
        slugs = [_party_slug(s, pk) for pk in v.get("required_parties") or []]
        cells["required_parties"] = ";".join(slug for slug in slugs if slug)
    return cells


def _where(proposal: Proposal) -> str:
    clause = (proposal.proposed.get("citation") or {}).get("clause")
    return f"clause {clause}" if clause else "the text"


# The sheet import's advice, which speaks of columns and typing, as the review page says it.
_SHEET_ADVICE = {
    "name the owner by username or email address": "choose the owner",
    "give the date it is due": "give the date it is due on the review page",
}
_COLUMN = re.compile(r"^(“[^”]*”|row \d+), ([a-z_]+): ")
_QUOTED = re.compile(r"'([^']*)'")


def _named(errors: list[str], labels: dict[int, str]) -> list[str]:
    """The sheet's "row N, column: …" errors, naming the proposal instead of the row and the
    review page's field instead of the column; no column names, quotes or typing advice."""
    named = []
    for message in errors:
        message = ROW.sub(lambda m: labels.get(int(m.group(1)), m.group(0)), message)
        message = _COLUMN.sub(
            lambda m: (
                f"{m.group(1)}, {FIELD_LABELS.get(m.group(2), m.group(2).replace('_', ' ')).lower()}: "
            ),
            message,
        )
        for advice, said in _SHEET_ADVICE.items():
            message = message.replace(advice, said)
        message = _QUOTED.sub(r"\1", message)
        named.append(message[:1].upper() + message[1:])
    return named


def _csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.header)
    for _, cells in sheet.rows:
        writer.writerow(["" if c is None else str(c) for c in cells])
    return out.getvalue().encode("utf-8")


def citation_for(document: ContractDocument, proposal: Proposal, milestone: Milestone) -> Citation:
    cited = proposal.proposed.get("citation") or {}
    start, end = int(cited.get("start") or 0), int(cited.get("end") or 0)
    return Citation(
        milestone=milestone,
        document=document,
        clause=str(cited.get("clause") or "")[:40],
        start=start,
        end=max(start, end),
        page=cited.get("page") or document.page_of(start),
        quote=str(cited.get("quote") or document.text[start:end]),
    )


def _damages_target(s: ApplySet, proposal: Proposal) -> Milestone | None:
    """The milestone the damages run on (after the writes), or None with an error added."""
    value = str(proposal.values.get("milestone") or "")
    if not value:
        s.err(proposal, "milestone", "choose the milestone the delay damages run on")
        return None
    other = s.by_key.get(value)
    if other is not None:
        if other.status == ProposalStatus.APPLIED:
            if other.milestone is None:
                s.err(
                    proposal,
                    "milestone",
                    f"the milestone created from {label(other)} no longer exists; choose another",
                )
            return other.milestone
        made = s.occurrences.get(other.pk) or []
        if other.status != ProposalStatus.ACCEPTED or not made:
            s.err(proposal, "milestone", f"{label(other)} is not accepted; accept it too")
            return None
        return made[-1].milestone
    milestone = _existing(s, value)
    if milestone is None:
        s.err(proposal, "milestone", "that milestone no longer exists; choose another")
    return milestone


def _damages_check(s: ApplySet, proposal: Proposal) -> None:
    """Every error a damages item can have, found before anything is written."""
    v = proposal.values
    for name in ("rate", "per", "payer", "payee"):
        if v.get(name) in (None, ""):
            percent = proposal.proposed.get("rate_percent")
            what = {
                "rate": (
                    f"the contract gives the rate as {percent}% of the value; give it as an "
                    "amount per day or week"
                    if percent not in (None, "")
                    else "the contract leaves the rate blank; give the rate"
                ),
                "per": "say whether the rate is per day or per week",
                "payer": "choose the party that pays them",
                "payee": "choose the party they are paid to",
            }[name]
            s.err(proposal, name, what)
        elif name in ("payer", "payee") and s.setting.party(v[name]) is None:
            s.err(proposal, name, "choose one of the parties to this contract")
    value = str(v.get("milestone") or "")
    other = s.by_key.get(value)
    if other is None or other.status == ProposalStatus.APPLIED or not s.occurrences.get(other.pk):
        _damages_target(s, proposal)  # adds the error when the target is missing
    elif other.status != ProposalStatus.ACCEPTED:
        s.err(proposal, "milestone", f"{label(other)} is not accepted; accept it too")


def damages_set_on(s: ApplySet, proposal: Proposal, milestone: Milestone, actor: User) -> None:
    v = proposal.values
    payer, payee = s.setting.party(v["payer"]), s.setting.party(v["payee"])
    if payer is None or payee is None:  # checked before the writes: cannot happen
        raise ProposalsRefused([f"{label(proposal)}: choose the parties"])
    try:
        damages_terms_set(
            milestone=milestone,
            actor=actor,
            rate=v["rate"],
            unit=v["per"],
            payer=payer,
            payee=payee,
            cap_amount=v.get("cap_amount"),
            cap_percent=v.get("cap_percent"),
        )
    except DomainError as exc:
        name = FIELD_LABELS.get(exc.field or "", exc.field or "rate").lower()
        raise ProposalsRefused([f"The delay damages, {name}: {exc.message}"]) from exc


@transaction.atomic
def proposals_apply(*, document: ContractDocument, actor: User) -> dict[str, int]:
    """Create every accepted proposal of ``document`` in one transaction, or refuse the whole
    set naming each proposal's error."""
    contract = Contract.objects.select_for_update().get(pk=document.contract_id)
    document.contract = contract
    refusal = proposals_apply_refusal(document=document, user=actor)
    if refusal is not None:
        raise refusal
    proposals = list(
        Proposal.objects.select_for_update(of=("self",))
        .filter(document=document)
        .select_related("milestone")
        .order_by("position")
    )
    for proposal in proposals:
        proposal.document = document
    accepted = [p for p in proposals if p.status == ProposalStatus.ACCEPTED]
    s = ApplySet(
        document=document,
        contract=contract,
        setting=Setting.load(contract, actor),
        accepted=accepted,
        by_key={str(p.proposed.get("key")): p for p in proposals if p.proposed.get("key")},
    )
    milestones = [p for p in accepted if p.kind != ProposalKind.DAMAGES]
    for proposal in milestones:
        s.occurrences[proposal.pk] = _occurrences(s, proposal)
    every = [o for p in milestones for o in s.occurrences[p.pk]]
    taken = set(
        Milestone.objects.filter(
            contract=contract, reference__in=[o.reference for o in every]
        ).values_list("reference", flat=True)
    )
    for o in every:
        if o.reference in taken:
            s.err(o.proposal, "title", f"a milestone with the reference {o.reference} exists")
    ids = {
        int(value)
        for p in accepted
        for name in ("depends_on", "trigger", "milestone")
        if str(value := p.values.get(name) or "").isdigit() and value not in s.by_key
    }
    s.existing = Milestone.objects.filter(contract=contract, pk__in=ids).in_bulk()
    damages = [p for p in accepted if p.kind == ProposalKind.DAMAGES]
    labels: dict[int, str] = {}
    rows: list[tuple[int, list[Cell]]] = []
    for number, o in enumerate(every, 1):
        o.number = number
        labels[number] = f"“{o.title}”"
        record = _row(s, o)
        rows.append((number, [record.get(name) for name in HEADER]))
    # Every error is found before anything is written: the proposals' own, else the sheet
    # import's, then the delay damages'.
    errors, s.errors = s.errors, []
    for proposal in damages:
        _damages_check(s, proposal)
    sheet = Sheet(format="extraction", header=list(HEADER), rows=rows)
    plan = rows_plan(contract, sheet, document.title, actor) if rows and not errors else None
    if plan is not None:
        errors = _named(plan.errors, labels)
    if errors or s.errors:
        raise ProposalsRefused(errors + s.errors)
    counts = {"milestones_created": 0, "dependencies": 0}
    if plan is not None:
        try:
            written = rows_write(plan, actor)
        except DomainError as exc:
            raise ProposalsRefused(_named([exc.message], labels)) from exc
        counts = {
            "milestones_created": written["milestones_created"],
            "dependencies": written["dependencies"],
        }
        made = {row.reference: row.existing for row in plan.rows}
        for o in every:
            o.milestone = made.get(o.reference)
        Citation.objects.bulk_create(
            citation_for(document, o.proposal, o.milestone) for o in every if o.milestone
        )
    for proposal in damages:
        target = _damages_target(s, proposal)
        if target is None or s.errors:
            raise ProposalsRefused(s.errors or [f"{label(proposal)}: choose its milestone"])
        damages_set_on(s, proposal, target, actor)
        proposal.milestone = target
    now = timezone.now()
    for proposal in milestones:
        made_list = s.occurrences[proposal.pk]
        # The last occurrence, as links to a recurring proposal created with it name.
        proposal.milestone = made_list[-1].milestone if made_list else None
    for proposal in accepted:
        proposal.status = ProposalStatus.APPLIED
        proposal.updated_at = now
    Proposal.objects.bulk_update(accepted, ["status", "milestone", "updated_at"])
    event_record_many(
        actor=actor,
        events=[
            (
                ExtractionEvent.PROPOSAL_APPLIED,
                p,
                {"status": ProposalStatus.ACCEPTED},
                {
                    **snapshot(p),
                    "milestone": p.milestone.title if p.milestone else "",
                    "occurrences": len(s.occurrences.get(p.pk, [])),
                },
                contract.pk,
                p.milestone_id,
            )
            for p in accepted
        ],
    )
    counts["damages"] = len(damages)
    counts["proposals_applied"] = len(accepted)
    batch = batch_store(
        kind=ImportKind.EXTRACTION,
        upload=Upload(name=f"{document.title[:240]}.csv", data=_csv(sheet)),
        actor=actor,
        preview={"counts": counts, "document": document.pk},
        error_count=0,
        file_format="extraction",
        contract=contract,
    )
    batch_mark_applied(batch=batch, actor=actor, counts=counts, contract=contract)
    return counts
