"""What the document pages show: the text with its citations marked, each proposal in words,
and what the contract says beside what Milepost holds. Reads only; every list in one query."""

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from milepost.contracts.models import Contract, ContractDocument, Party
from milepost.contracts.selectors import (
    contract_calendar,
    parties_for_contract,
    people_for_contract,
)
from milepost.core.money import format_money
from milepost.core.workdays import Calendar
from milepost.finance.cycles.selectors import money_terms_for
from milepost.finance.retention.services import add_months
from milepost.schedule.models import Milestone

from .choices import ProposalKind, ProposalStatus
from .models import Proposal, Reading

# The kinds in the order the review page lists them, with each group's heading.
GROUPS: tuple[tuple[str, str], ...] = (
    (ProposalKind.DELIVERABLE, "Deliverables"),
    (ProposalKind.PAYMENT, "Payments"),
    (ProposalKind.PERFORMANCE, "Performance targets"),
    (ProposalKind.GATE, "Gates"),
    (ProposalKind.DAMAGES, "Delay damages"),
)
UNIT_WORDS = {
    "calendar": ("day", "days"),
    "working": ("working day", "working days"),
    "weeks": ("week", "weeks"),
    "months": ("month", "months"),
}
EVERY = {
    "daily": "Every day",
    "weekly": "Every week",
    "monthly": "Every month",
    "quarterly": "Every quarter",
    "yearly": "Every year",
}
PERIOD_WORDS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}
FIELD_WORDS = {
    "due": "date",
    "due_date": "date",
    "amount": "amount",
    "percent": "percentage",
    "percentage": "percentage",
    "target": "target",
    "rate": "rate",
    "currency": "currency",
    "parties": "parties",
    "relative": "date it counts from",
}
CALENDARS = {
    "england-and-wales": ("GB", ("ENG", "WLS", ""), "England and Wales"),
    "scotland": ("GB", ("SCT",), "Scotland"),
    "northern-ireland": ("GB", ("NIR",), "Northern Ireland"),
}
LEGAL_FORMS = frozenset(
    {"the", "ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "corp", "co", "gmbh"}
)
# At or above this the reading is plain; below it the page asks the reviewer to check.
CONFIDENT = 0.8
# How creating counts a recurring proposal's occurrences (as extraction.apply does).
STEPS = {"daily": 0, "weekly": 0, "monthly": 1, "quarterly": 3, "yearly": 12}
MAX_OCCURRENCES = 60


def short_date(value: dt.date | str | None) -> str:
    """A date as "6 Dec 2026"; "" for none or an unreadable one."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, dt.date):
        return ""
    return f"{value.day} {value:%b %Y}"


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _number(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return ""
    text = format(amount.normalize(), "f") if amount == amount.to_integral() else str(amount)
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_words(amount: Any, currency: str | None) -> str:
    value = _decimal(amount)
    if value is None:
        return ""
    return format_money(value, currency or "") if currency else f"{value:,.2f}"


def relative_words(relative: Mapping[str, Any] | None) -> str:
    """ "within 14 days of the Contract Date" from the kernel's relative date."""
    if not relative:
        return ""
    anchor = str(relative.get("anchor") or "the event it names")
    try:
        offset = int(relative.get("offset") or 0)
    except (TypeError, ValueError):
        offset = 0
    one, many = UNIT_WORDS.get(str(relative.get("unit")), ("day", "days"))
    span = f"{abs(offset)} {one if abs(offset) == 1 else many}"
    if offset == 0:
        return f"on {anchor}"
    if offset < 0:
        return f"{span} before {anchor}"
    return f"within {span} of {anchor}"


def confidence_words(confidence: Any) -> tuple[str, bool]:
    """How sure the reading is, in words, and whether the reviewer should check it."""
    try:
        value = float(confidence)
    except (TypeError, ValueError):
        return "Check this: Milepost is not sure of this reading", True
    if value >= CONFIDENT:
        return "Read with confidence", False
    if value >= 0.5:
        return "Check this: parts of it were read from the context", True
    return "Check this carefully: Milepost is unsure of this reading", True


def _join(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class Shown:
    """One proposal as the review page shows it."""

    proposal: Proposal
    key: str
    title: str
    lines: list[str]
    confidence: str
    check: bool
    doubts: list[str]
    quote: str
    clause: str
    page: int | None
    start: int | None
    status: str
    status_label: str
    may_accept: bool = False
    may_reject: bool = False
    may_reopen: bool = False
    may_edit: bool = False
    # What must be settled before it can be created (for an accepted proposal), in words.
    needs: list[str] = field(default_factory=list)


@dataclass
class Names:
    """The contract's parties and people by id, to name them in sentences."""

    parties: dict[int, str] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)

    def party(self, value: Any) -> str:
        try:
            return self.parties.get(int(value), "")
        except (TypeError, ValueError):
            return str(value or "")

    def person(self, value: Any) -> str:
        try:
            return self.people.get(int(value), "")
        except (TypeError, ValueError):
            return ""


def _key(proposal: Proposal, damages_number: int) -> str:
    if proposal.kind == ProposalKind.DAMAGES:
        # Damages have no key from the extractor: they are named apart ("d1", "d2" in the
        # document's order), so they never take a proposal's key.
        key = str(proposal.proposed.get("key") or "")
        return key if key.startswith("d") else f"d{damages_number}"
    return str(proposal.proposed.get("key") or f"x{proposal.position}")


def proposal_keys(proposals: Iterable[Proposal]) -> dict[int, str]:
    """Each proposal's name on the page by id: the extractor's key ("p3") for a proposal,
    "d1", "d2"… for delay damages; a mark's id is ``cite-<key>``, a card's ``proposal-<key>``."""
    keys: dict[int, str] = {}
    damages = 0
    for proposal in sorted(proposals, key=lambda p: p.position):
        if proposal.kind == ProposalKind.DAMAGES:
            damages += 1
        keys[proposal.pk] = _key(proposal, damages)
    return keys


def proposal_key(proposal: Proposal) -> str:
    """One proposal's name on the page (damages are counted among the document's damages)."""
    if proposal.kind != ProposalKind.DAMAGES:
        return _key(proposal, 0)
    before = Proposal.objects.filter(
        document_id=proposal.document_id,
        kind=ProposalKind.DAMAGES,
        position__lte=proposal.position,
    ).count()
    return _key(proposal, before)


def _lines(proposal: Proposal, names: Names, currency: str, titles: dict[str, str]) -> list[str]:
    """The proposal's values as sentences: the reviewer's where set, else what was read."""
    read = proposal.proposed or {}
    values = proposal.values or {}
    lines: list[str] = []

    def pick(value_key: str, read_key: str | None = None) -> Any:
        # The reviewer's values decide once they hold the field, even cleared: they are what
        # will be created (they start from what was read).
        if value_key in values:
            return values[value_key]
        return read.get(read_key or value_key)

    kind = proposal.kind
    cur = str(read.get("currency") or values.get("currency") or currency or "")
    if kind == ProposalKind.DAMAGES:
        rate = pick("rate")
        # Never "per day" unless the text or the reviewer says so.
        per = str(pick("per") or "") or "(not stated)"
        if rate not in (None, ""):
            lines.append(f"{money_words(rate, cur)} per {per} of delay")
        elif read.get("rate_percent") is not None:
            every = read.get("per_days")
            tail = f" for every {every} days" if every else f" per {per}"
            lines.append(f"{_number(read['rate_percent'])}% of the value{tail} of delay")
        elif read.get("blank"):
            lines.append("The rate is left blank in the contract: fill it in before creating.")
        else:
            lines.append("The contract states no rate.")
        cap = pick("cap_amount", "cap")
        cap_percent = pick("cap_percent")
        if cap not in (None, ""):
            lines.append(f"Capped at {money_words(cap, cur)}")
        elif cap_percent not in (None, ""):
            lines.append(f"Capped at {_number(cap_percent)}% of the contract sum")
        if read.get("runs_from"):
            lines.append(f"Running from {read['runs_from']}")
        milestone = values.get("milestone")
        if milestone not in (None, ""):
            lines.append(f"On “{titles.get(str(milestone), str(milestone))}”")
        payer, payee = names.party(values.get("payer")), names.party(values.get("payee"))
        if payer and payee:
            lines.append(f"Paid by {payer} to {payee}")
        return lines

    due = pick("due_date", "due")
    relative = relative_words(read.get("relative"))
    if due:
        when = f"Due {short_date(due)}"
        lines.append(f"{when} ({relative})" if relative else when)
    elif relative:
        lines.append(f"Due {relative}")
    elif not _recurring(proposal):
        lines.append("The contract gives no date.")
    # The reviewer's choice wins over what was read (they may have cleared it).
    recurring = _recurring(proposal)
    if recurring:
        lines.append(EVERY.get(recurring, recurring.capitalize()))
    if kind == ProposalKind.PAYMENT:
        amount = pick("amount")
        percent = pick("percentage", "percent")
        if percent not in (None, ""):
            lines.append(f"{_number(percent)}% of the contract sum")
            if amount in (None, "") and read.get("amount") not in (None, ""):
                said = money_words(read["amount"], str(read.get("currency") or cur))
                lines.append(f"The text also states {said}; the percentage is what is created.")
        elif amount not in (None, ""):
            lines.append(f"Amount: {money_words(amount, cur)}")
        payer, payee = names.party(values.get("payer")), names.party(values.get("payee"))
        if payer and payee:
            lines.append(f"Paid by {payer} to {payee}")
        trigger = values.get("trigger")
        if trigger not in (None, ""):
            lines.append(f"When “{titles.get(str(trigger), str(trigger))}” is met")
        elif read.get("trigger"):
            lines.append(f"When: {read['trigger']}")
    elif kind == ProposalKind.PERFORMANCE:
        name = values.get("kpi_name") or "The target"
        direction = pick("direction")
        target = pick("target")
        unit = str(pick("unit") or "")
        if target not in (None, ""):
            way = {"at_least": "at least", "at_most": "at most"}.get(str(direction), "")
            sep = "" if unit == "%" else " "
            period = PERIOD_WORDS.get(str(pick("period") or ""), "")
            each = f" each {period}" if period else ""
            lines.append(f"{name}: {way} {_number(target)}{sep}{unit}{each}".replace("  ", " "))
        credit = read.get("amount")
        if credit not in (None, ""):
            lines.append(f"Service credit: {money_words(credit, cur)}")
    elif kind == ProposalKind.GATE:
        required = values.get("required_parties")
        if required:
            approvers = [names.party(pk) for pk in required]
        else:
            approvers = [str(p) for p in read.get("parties") or []]
        if approvers:
            lines.append(f"Approved by {_join(approvers)}")
    elif kind == ProposalKind.DELIVERABLE:
        accepting = names.party(values.get("accepting_party"))
        if accepting:
            lines.append(f"Accepted by {accepting}")
    # The reviewer's values decide once set (a payment's trigger replaces its link).
    depends = values["depends_on"] if "depends_on" in values else read.get("depends_on")
    if depends:
        lines.append(f"After “{titles.get(str(depends), str(depends))}”")
    owner = names.person(values.get("owner"))
    party = names.party(values.get("responsible_party"))
    if owner and party:
        lines.append(f"Owner: {owner}, for {party}")
    elif owner:
        lines.append(f"Owner: {owner}")
    elif party:
        lines.append(f"Responsible: {party}")
    if values.get("criticality") == "critical":
        lines.append("Critical")
    return lines


def _doubts(proposal: Proposal) -> list[str]:
    out = []
    for name in proposal.proposed.get("ambiguous") or []:
        what = FIELD_WORDS.get(str(name), str(name).replace("_", " "))
        if name in ("due", "due_date"):
            out.append("The date can be read two ways (day and month): check it.")
        else:
            out.append(f"The {what} is open to doubt: check it.")
    return out


def show_proposals(
    proposals: Iterable[Proposal],
    *,
    names: Names,
    currency: str,
    may_review: bool,
    keys: Mapping[int, str] | None = None,
) -> list[Shown]:
    """Each proposal in words, with the buttons its status allows when the person may review.

    ``keys`` names each proposal by id (``proposal_keys`` of the whole document by default)."""
    rows = list(proposals)
    keys = keys if keys is not None else proposal_keys(rows)
    titles = {keys[p.pk]: _title(p) for p in rows}
    shown = []
    for proposal in rows:
        citation = proposal.proposed.get("citation") or {}
        confidence, check = confidence_words(proposal.proposed.get("confidence"))
        status = proposal.status
        open_ = status in (ProposalStatus.PENDING, ProposalStatus.ACCEPTED)
        shown.append(
            Shown(
                proposal=proposal,
                key=keys[proposal.pk],
                title=titles[keys[proposal.pk]],
                lines=_lines(proposal, names, currency, titles),
                confidence=confidence,
                check=check,
                doubts=_doubts(proposal),
                quote=str(citation.get("quote") or ""),
                clause=str(citation.get("clause") or ""),
                page=citation.get("page"),
                start=citation.get("start"),
                status=status,
                status_label=proposal.get_status_display(),
                may_accept=may_review and status == ProposalStatus.PENDING,
                may_reject=may_review and open_,
                may_reopen=may_review
                and status in (ProposalStatus.ACCEPTED, ProposalStatus.REJECTED),
                may_edit=may_review and open_,
            )
        )
    return shown


def _recurring(proposal: Proposal) -> str:
    """How the proposal repeats ("monthly"), "" for once: the reviewer's value once set."""
    if proposal.kind == ProposalKind.PERFORMANCE:
        return ""
    values = proposal.values or {}
    value = values["recurring"] if "recurring" in values else proposal.proposed.get("recurring")
    return str(value or "")


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _next(period: dt.date, recurring: str) -> dt.date:
    if recurring == "daily":
        return period + dt.timedelta(days=1)
    if recurring == "weekly":
        return period + dt.timedelta(weeks=1)
    return add_months(period, STEPS[recurring])


def occurrences(contract: Contract, proposal: Proposal, calendar: Callable[[], Calendar]) -> int:
    """How many milestones creating ``proposal`` makes: one, or one for each time it recurs
    within the contract's dates (as creating them counts; ``calendar`` is asked for only when
    a working-day offset needs it)."""
    recurring = _recurring(proposal)
    if recurring not in STEPS:
        return 1
    first = _iso_date((proposal.values or {}).get("due_date"))
    if first is not None:
        # The first one is on its due date; the rest follow every period until the end.
        count, day = 0, first
        while day <= contract.end_date and count <= MAX_OCCURRENCES:
            count += 1
            day = _next(day, recurring)
        return count
    relative = proposal.proposed.get("relative") or {}
    try:
        offset = int(relative.get("offset") or 0)
    except (TypeError, ValueError):
        offset = 0
    start = contract.start_date
    if recurring in ("monthly", "quarterly"):
        start = start.replace(day=1)
    elif recurring == "yearly":
        start = start.replace(month=1, day=1)
    count, period = 0, start
    while period <= contract.end_date and count <= MAX_OCCURRENCES:
        following = _next(period, recurring)
        if relative.get("unit") == "working" and offset:
            day = calendar().shift(period - dt.timedelta(days=1), offset, working=True)
        elif relative.get("unit") == "calendar" and offset:
            day = period + dt.timedelta(days=offset - 1)
        else:
            day = following - dt.timedelta(days=1)
        if contract.start_date <= day <= contract.end_date:
            count += 1
        period = following
    return count


def _needs(row: Shown, by_key: Mapping[str, Shown], names: Names, count: int) -> list[str]:
    """What an accepted proposal still lacks before it can be created, read from its values
    alone (the checks creating it makes again, whole, when the button is pressed)."""
    proposal = row.proposal
    values = proposal.values or {}
    kind = proposal.kind
    needs: list[str] = []

    def missing(name: str) -> bool:
        return values.get(name) in (None, "", [])

    def link(name: str, what: str) -> None:
        key = str(values.get(name) or "")
        other = by_key.get(key)
        if other is not None and other.status not in (
            ProposalStatus.ACCEPTED,
            ProposalStatus.APPLIED,
        ):
            needs.append(f"accept “{other.title}” too, or choose another {what}")

    if kind == ProposalKind.DAMAGES:
        if missing("milestone"):
            needs.append("choose the milestone they run on")
        link("milestone", "milestone")
        if missing("rate"):
            if proposal.proposed.get("rate_percent") is not None:
                needs.append("give the rate as an amount (the contract gives a percentage)")
            else:
                needs.append("give the rate")
        if missing("per"):
            needs.append("say whether the rate is per day or per week")
        if missing("payer") or names.party(values.get("payer")) == "":
            needs.append("choose who pays them")
        if missing("payee") or names.party(values.get("payee")) == "":
            needs.append("choose who they are paid to")
        return needs
    if missing("title"):
        needs.append("give it a title")
    if count == 0:
        needs.append("it falls due on no day within the contract's dates")
    elif count > MAX_OCCURRENCES:
        needs.append(f"it recurs more than {MAX_OCCURRENCES} times; create it by hand")
    if not _recurring(proposal) and missing("due_date"):
        needs.append("choose a due date")
    if missing("owner") or not names.person(values.get("owner")):
        needs.append("choose an owner")
    link("depends_on", "date it follows")
    if kind == ProposalKind.PAYMENT:
        if missing("payer"):
            needs.append("choose who pays")
        if missing("payee"):
            needs.append("choose who is paid")
        if missing("amount") and missing("percentage"):
            needs.append("give an amount or a percentage")
        if missing("trigger"):
            needs.append("choose the milestone whose completion it pays for")
        link("trigger", "milestone to pay for")
        return needs
    if missing("responsible_party"):
        needs.append("choose the responsible party")
    if kind == ProposalKind.PERFORMANCE:
        for name, words in (
            ("kpi_name", "say what is measured"),
            ("target", "give the target"),
            ("unit", "give the unit"),
            ("direction", "choose at least or at most"),
            ("period", "choose how often it is measured"),
            ("measurement_start", "give the date measuring starts"),
        ):
            if missing(name):
                needs.append(words)
    if kind == ProposalKind.GATE and missing("required_parties"):
        needs.append("choose the parties whose approval it needs")
    return needs


def _title(proposal: Proposal) -> str:
    title = (proposal.values or {}).get("title") or proposal.proposed.get("title")
    if title:
        return str(title)
    if proposal.kind == ProposalKind.DAMAGES:
        return "Delay damages"
    return proposal.get_kind_display()


def grouped(shown: list[Shown]) -> list[tuple[str, str, list[Shown]]]:
    """The proposals by kind, in the page's order, leaving out kinds with none."""
    return [
        (kind, heading, rows)
        for kind, heading in GROUPS
        if (rows := [s for s in shown if s.proposal.kind == kind])
    ]


@dataclass(frozen=True)
class Segment:
    """A run of the document's text; ``key`` names the proposal whose citation it is."""

    text: str
    key: str = ""
    anchors: tuple[str, ...] = ()
    status: str = ""


def segments(text: str, shown: list[Shown]) -> list[Segment]:
    """The text cut at each citation, so the template marks them; overlaps go to the first.

    Each citation's start also carries an anchor ``cite-at-<offset>``, which a milestone's
    page links to (it knows the citation's offsets, not the proposal that made it).
    """
    spans = []
    for row in shown:
        citation = row.proposal.proposed.get("citation") or {}
        try:
            start, end = int(citation["start"]), int(citation["end"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(0, start), min(len(text), end)
        if end > start:
            spans.append((start, end, row.key, row.status))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[Segment] = []
    cursor = 0
    seen: set[int] = set()
    for start, end, key, status in spans:
        anchors: tuple[str, ...] = ()
        if start not in seen:
            seen.add(start)
            anchors = (f"cite-at-{start}",)
        begin = max(start, cursor)
        if begin > cursor:
            out.append(Segment(text[cursor:begin]))
        if end <= begin:
            # Inside an earlier citation: keep its anchors on an empty mark at that point.
            out.append(Segment("", key=key, anchors=anchors, status=status))
            continue
        out.append(Segment(text[begin:end], key=key, anchors=anchors, status=status))
        cursor = end
    if cursor < len(text):
        out.append(Segment(text[cursor:]))
    return out


@dataclass(frozen=True)
class FactRow:
    """One thing the contract says about itself, and what Milepost holds if that differs."""

    label: str
    says: str
    quote: str
    clause: str
    holds: str = ""


def _fact(facts: Mapping[str, Any], name: str) -> tuple[Any, str, str]:
    entry = facts.get(name)
    if not isinstance(entry, Mapping):
        return None, "", ""
    citation = entry.get("citation") or {}
    return entry.get("value"), str(citation.get("quote") or ""), str(citation.get("clause") or "")


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def fact_rows(
    facts: Mapping[str, Any], contract: Contract, parties: list[Party], terms: Any
) -> list[FactRow]:
    """What the contract says (parties, date, term, calendar, sum, retention, payment terms),
    each with what the contract's record holds where the two differ."""
    rows: list[FactRow] = []
    read_parties = facts.get("parties") or []
    if read_parties:
        names = []
        for entry in read_parties:
            if not isinstance(entry, Mapping):
                continue
            role = entry.get("role")
            names.append(f"{entry.get('name')}{f' ({role})' if role else ''}")
        known = [_plain_name(p.organisation.name) for p in parties]
        missing = [
            str(e.get("name"))
            for e in read_parties
            if isinstance(e, Mapping) and not _known(_plain_name(str(e.get("name") or "")), known)
        ]
        first = read_parties[0] if isinstance(read_parties[0], Mapping) else {}
        quote = str((first.get("citation") or {}).get("quote") or "")
        holds = ""
        if missing:
            holds = "Milepost's parties: " + _join([p.organisation.name for p in parties])
        rows.append(FactRow("Parties", "; ".join(names), quote, "", holds))
    value, quote, clause = _fact(facts, "contract_date")
    if value:
        holds = ""
        if str(value) != contract.start_date.isoformat():
            holds = f"Milepost has the contract starting {short_date(contract.start_date)}"
        rows.append(FactRow("Contract date", short_date(value) or str(value), quote, clause, holds))
    value, quote, clause = _fact(facts, "term")
    if value:
        text = value.get("text") if isinstance(value, Mapping) else str(value)
        months = value.get("months") if isinstance(value, Mapping) else None
        holds = ""
        have = _months(contract.start_date, contract.end_date)
        if months and abs(int(months) - have) > 0:
            holds = (
                f"Milepost has {short_date(contract.start_date)} to "
                f"{short_date(contract.end_date)}, about {have} months"
            )
        rows.append(FactRow("Term", str(text or ""), quote, clause, holds))
    value, quote, clause = _fact(facts, "calendar")
    if value:
        value = str(value)
        holds = ""
        if value in CALENDARS:
            country, regions, says = CALENDARS[value]
            if contract.holiday_country != country or contract.holiday_region not in regions:
                holds = _calendar_holds(contract)
        elif value.startswith("us-"):
            says = f"the US state {value[3:].upper()}"
            if contract.holiday_country != "US" or contract.holiday_region != value[3:].upper():
                holds = _calendar_holds(contract)
        else:
            says = value
        rows.append(FactRow("Calendar", says, quote, clause, holds))
    value, quote, clause = _fact(facts, "contract_sum")
    currency, _q, _c = _fact(facts, "currency")
    if value:
        said = money_words(value, str(currency or contract.currency))
        holds = ""
        if _decimal(value) != contract.value or (currency and currency != contract.currency):
            holds = f"Milepost has {format_money(contract.value, contract.currency)}"
        rows.append(FactRow("Contract sum", said, quote, clause, holds))
    value, quote, clause = _fact(facts, "retention_percent")
    release, release_quote, _c = _fact(facts, "retention_release")
    if value is not None or release:
        said = f"{_number(value)}% held back" if value is not None else "Retention is held"
        if release:
            said += f"; released {release}" if not str(release)[:1].isupper() else f". {release}"
        holds = ""
        if terms is not None and value is not None and _decimal(value) != terms.retention_percent:
            holds = f"Milepost's payment terms hold back {_number(terms.retention_percent)}%"
        rows.append(FactRow("Retention", said, quote or release_quote, clause, holds))
    value, quote, clause = _fact(facts, "payment_days")
    if value is not None:
        said = f"Payment within {_number(value)} days of a valid invoice"
        holds = ""
        if terms is not None and _decimal(value) != Decimal(terms.final_days):
            holds = f"Milepost's payment terms give {terms.final_days} days to the final date"
        rows.append(FactRow("Payment terms", said, quote, clause, holds))
    return rows


def _plain_name(name: str) -> str:
    """A company's name without its legal form or punctuation, to compare two spellings."""
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    return " ".join(w for w in words if w not in LEGAL_FORMS)


def _known(name: str, known: list[str]) -> bool:
    return bool(name) and any(name == k or name in k or k in name for k in known if k)


def _calendar_holds(contract: Contract) -> str:
    region = f"-{contract.holiday_region}" if contract.holiday_region else ""
    return f"Milepost uses the {contract.holiday_country}{region} holidays"


def _names(contract: Contract) -> tuple[list[Party], Names]:
    parties = list(parties_for_contract(contract=contract))
    people = {p.pk: str(p) for p in people_for_contract(contract=contract)}
    return parties, Names(parties={p.pk: p.organisation.name for p in parties}, people=people)


def review_context(
    *, document: ContractDocument, proposals: Iterable[Proposal], may_review: bool
) -> dict[str, Any]:
    """Everything the review page draws, in a fixed number of queries whatever its length."""
    contract = document.contract
    parties, names = _names(contract)
    # The document selector joins its reading in; an unread document has none.
    reading: Reading | None = getattr(document, "reading", None)
    shown = show_proposals(
        proposals, names=names, currency=contract.currency, may_review=may_review
    )
    accepted = [s for s in shown if s.status == ProposalStatus.ACCEPTED]
    to_create = [s for s in accepted if s.proposal.kind != ProposalKind.DAMAGES]
    # The calendar is read once, and only when a recurring one counts working days.
    loaded: list[Calendar] = []

    def calendar() -> Calendar:
        if not loaded:
            loaded.append(contract_calendar(contract=contract))
        return loaded[0]

    by_key = {s.key: s for s in shown}
    milestones = 0
    for row in accepted:
        count = 0
        if row.proposal.kind != ProposalKind.DAMAGES:
            count = occurrences(contract, row.proposal, calendar)
            milestones += min(count, MAX_OCCURRENCES)
        row.needs = _needs(row, by_key, names, count)
    facts = reading.facts if reading is not None else {}
    by_status = dict.fromkeys(ProposalStatus.values, 0)
    for row in shown:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    return {
        "document": document,
        "contract": contract,
        "segments": segments(document.text, shown),
        "groups": grouped(shown),
        "shown": shown,
        "facts": fact_rows(facts, contract, parties, money_terms_for(contract=contract)),
        "warnings": list(reading.warnings) if reading is not None else [],
        "reading": reading,
        "to_create": len(to_create),
        "milestones_to_create": milestones,
        "recurring": any(_recurring(s.proposal) for s in to_create),
        "damages_accepted": len(accepted) - len(to_create),
        "not_ready": [s for s in accepted if s.needs],
        "waiting": by_status[ProposalStatus.PENDING],
        "rejected": by_status[ProposalStatus.REJECTED],
        "created": [s for s in shown if s.status == ProposalStatus.APPLIED],
        "page_count": len(document.pages or []),
    }


def show_one(proposal: Proposal, key: str) -> Shown:
    """One proposal in words, for its edit page (its contract's names looked up once)."""
    _parties, names = _names(proposal.document.contract)
    return show_proposals(
        [proposal],
        names=names,
        currency=proposal.document.contract.currency,
        may_review=False,
        keys={proposal.pk: key},
    )[0]


def edit_initial(proposal: Proposal) -> dict[str, Any]:
    """The values the edit form starts from: the reviewer's values, which start from what was
    read. A field they hold, even cleared, is never filled back from the reading (an amount
    beside a percentage would make the untouched form refuse to save)."""
    read = proposal.proposed or {}
    values = dict(proposal.values or {})
    fallbacks = {
        "title": read.get("title"),
        "due_date": read.get("due"),
        "amount": None if values.get("percentage") not in (None, "") else read.get("amount"),
        "percentage": None if values.get("amount") not in (None, "") else read.get("percent"),
        "target": read.get("target"),
        "unit": read.get("unit"),
        "direction": read.get("direction"),
        "period": read.get("period"),
        "rate": read.get("rate"),
        "per": read.get("per"),
        "cap_amount": read.get("cap"),
        "cap_percent": read.get("cap_percent"),
        "acceptance_criteria": (read.get("citation") or {}).get("quote"),
    }
    for name, value in fallbacks.items():
        if name not in values and value not in (None, ""):
            values[name] = value
    if proposal.kind != ProposalKind.DAMAGES:
        values.setdefault(
            "criticality",
            "critical"
            if proposal.kind in (ProposalKind.PAYMENT, ProposalKind.GATE)
            else "standard",
        )
    return values


def edit_help(proposal: Proposal, currency: str) -> dict[str, str]:
    """Notes beside the edit form's fields: what the text says where the form shows another
    value (an amount read beside the percentage that will be created)."""
    read = proposal.proposed or {}
    values = proposal.values or {}
    notes: dict[str, str] = {}
    if (
        proposal.kind == ProposalKind.PAYMENT
        and read.get("amount") not in (None, "")
        and values.get("amount") in (None, "")
        and values.get("percentage") not in (None, "")
    ):
        said = money_words(read["amount"], str(read.get("currency") or currency))
        notes["amount"] = (
            f"Read as {said} in the text. The percentage is what will be created; to create "
            "the amount instead, clear the percentage and give the amount."
        )
    return notes


def edit_choices(
    *, document: ContractDocument, proposal: Proposal
) -> dict[str, list[tuple[str, str]]]:
    """The choices of the edit form's lists: the contract's parties and people, and what a
    date may follow (the document's other proposals, the contract's milestones)."""
    parties, names = _names(document.contract)
    others = Proposal.objects.filter(document=document).exclude(pk=proposal.pk)
    others = others.exclude(kind=ProposalKind.DAMAGES).exclude(status=ProposalStatus.REJECTED)
    targets = [(_key(p, 0), f"{_title(p)} (read from this document)") for p in others]
    milestones = Milestone.objects.filter(contract=document.contract).order_by("due_date", "pk")
    targets += [
        (str(m.pk), f"{m.title} ({m.reference})" if m.reference else m.title)
        for m in milestones.only("pk", "title", "reference")
    ]
    return {
        "parties": [(str(p.pk), names.parties[p.pk]) for p in parties],
        "owners": [(str(pk), name) for pk, name in names.people.items()],
        "targets": targets,
    }
