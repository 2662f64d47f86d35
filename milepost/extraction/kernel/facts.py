"""What a contract says about itself: its parties and their roles, its date, its term and the
calendar its governing law implies.

- Parties from the preamble: "between X Ltd (the "Employer") and Y plc (the "Contractor")",
  "by and between …", a role before the name ("(Client) Pelican Delivers Inc."), and quoted
  names with roles anywhere ('"Dan" (the Seller)').
- The contract date: "made on 04/02/2018", "entered into as of March 20, 2020", "Dated 1 May
  2027", "the Contract Date is …".
- The term: "continue for four (4) years" → {"text": …, "months": 48}.
- The calendar: "laws of England and Wales" → "england-and-wales", Scotland → "scotland",
  "State of Minnesota" → "us-MN".
"""

import re

from .dates import find_dates
from .model import Clause, Context, Fact, PartyFact, Span
from .numbers import NUMBER, parse_number
from .places import US_STATES as _US_STATES

_STATE_ALT = "|".join(sorted((re.escape(s) for s in _US_STATES), key=len, reverse=True))
_STATE_CODES = frozenset(_US_STATES.values())

_GOVERNING_RE = re.compile(r"\bgovern(?:ed|ing|s)?\b|\bconstrued\b|\bproper\s+law\b", re.IGNORECASE)
_CALENDAR_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bNorthern\s+Ireland\b", re.IGNORECASE), "northern-ireland"),
    (re.compile(r"\bScot(?:land|s|tish)\b", re.IGNORECASE), "scotland"),
    (re.compile(r"\bEngland\b|\bEnglish\s+law\b|\bWales\b", re.IGNORECASE), "england-and-wales"),
)
_STATE_RE = re.compile(
    rf"\b(?:State|Commonwealth)\s+of\s+(?P<name>{_STATE_ALT}|[A-Z]{{2}}\b)|\blaws?\s+of\s+(?P<name2>{_STATE_ALT})\b"
    rf"|\b(?P<name3>{_STATE_ALT})\s+law\b",
    re.IGNORECASE,
)

_BETWEEN_RE = re.compile(r"\b(?:by\s+and\s+)?between\b\s*:?\s*", re.IGNORECASE)
_ROLE_RE = re.compile(
    r"\(\s*(?:hereinafter\s+)?(?:(?:referred\s+to\s+)?(?:as\s+)?|called\s+)?(?:the\s+)?[\"“'\u2018]?"
    r"(?P<role>[A-Z][A-Za-z&.\- ]{0,40}?)\s*[\"”'\u2019]?\s*\)"
)
_NAME_END_RE = re.compile(
    r",(?!\s*(?:LLC|L\.L\.C\.|Inc\b|Incorporated|Ltd|Limited|plc|LLP|L\.P\.|LP\b|S\.A|N\.V|B\.V|GmbH|AG\b|Corp|Co\.))"
    r"|\s*\((?!the\b)[a-z]|\s+(?:for|with|having|located|whose|of\s+\d|acting|through|by\s+its|registered|incorporated\s+in|a\s+company|an?\s+\w+\s+(?:corporation|company))\b",
)
_BETWEEN_ALONE_RE = re.compile(r"\bbetween\s*+(?::\s*+)?$", re.IGNORECASE)
_PARTIES_END_RE = re.compile(
    r"\W*(?:RECITALS|WHEREAS|BACKGROUND|IT\s+IS\s+AGREED|NOW\s+IT\s+IS|NOW,?\s+THEREFORE|AGREED\s+TERMS"
    r"|OPERATIVE|ARTICLES|[A-Z]\.\s)",
)
_QUOTED_ROLE_RE = re.compile(
    r"[\"“](?P<name>[^\"”\n]{1,60})[\"”]\s*\(\s*(?:the\s+)?[\"“]?(?P<role>[A-Z][A-Za-z ]{1,30}?)[\"”]?\s*\)"
)
_ROLE_WORDS = frozenset(
    [
        "seller",
        "buyer",
        "supplier",
        "purchaser",
        "customer",
        "employer",
        "contractor",
        "client",
        "developer",
        "consultant",
        "licensor",
        "licensee",
        "lender",
        "borrower",
        "landlord",
        "tenant",
        "vendor",
        "provider",
        "company",
        "agent",
        "owner",
        "engineer",
        "funder",
        "manufacturer",
        "distributor",
        "subcontractor",
        "consumer",
        "recipient",
        "contractee",
        "authority",
        "principal",
    ]
)
_NOT_ROLES = frozenset(
    {"party", "parties", "agreement", "contract", "effective date", "effectivedate"}
)

# Survival, limitation and record-keeping periods are not the contract's term.
_NOT_TERM_RE = re.compile(
    r"\bsurviv\w*|\bclaims?\b|\brecords?\b|\binsurance\b|\bwarrant\w*|\bafter\s+(?:the\s+)?(?:termination|expiry)",
    re.IGNORECASE,
)
_DATE_CUE_RE = re.compile(
    r"\b(?:made|dated|entered\s+into|executed|signed|effective|commenc\w+|Contract\s+Date|Effective\s+Date"
    r"|Agreement\s+Date|Date\s+of\s+(?:this\s+)?(?:Agreement|Contract))\b",
    re.IGNORECASE,
)
_TERM_RE = re.compile(
    rf"\b(?:continue|remain\s+in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?|term\s+of|period\s+of"
    rf"|for\s+a\s+(?:term|period)\s+of|expire)\b[^.;]{{0,40}}?\b(?:for\s+)?(?:a\s+(?:further\s+)?(?:term|period)\s+of\s+)?"
    rf"(?P<num>{NUMBER})\s+(?P<unit>years?|months?)\b",
    re.IGNORECASE,
)


def _calendar(sentence: Span) -> str | None:
    for pattern, name in _CALENDAR_RES:
        if pattern.search(sentence.text):
            return name
    state = _STATE_RE.search(sentence.text)
    if state:
        name = (state.group("name") or state.group("name2") or state.group("name3")).lower()
        code = _US_STATES.get(re.sub(r"\s+", " ", name), name.upper())
        if code in _STATE_CODES:
            return f"us-{code}"
    return None


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,;:\"“”'\u2018\u2019")
    name = re.sub(
        r"^(?:[;,]?\s*(?:and|between|by|the\s+parties)\b\s*:?\s*)+", "", name, flags=re.IGNORECASE
    )
    name = re.sub(r"^\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})\)\s*", "", name.strip(' ,;"“”'))
    end = _NAME_END_RE.search(name)
    if end:
        name = name[: end.start()]
    # "HARBOUR CITY COUNCIL of Civic Centre, …": a name in capitals ends before its address.
    capitals = re.match(r"((?:[A-Z0-9&'.-]{2,}\s+){0,6}[A-Z0-9&'.-]{2,})\s+of\s+(?![A-Z]{2})", name)
    if capitals:
        name = capitals.group(1)
    return name.strip(" ,;:\"“”'\u2018\u2019")


def _preamble_parties(sentence: Span, ctx: Context, clause: Clause) -> list[PartyFact]:
    between = _BETWEEN_RE.search(sentence.text)
    if not between:
        return []
    words = sentence.text[between.end() :]
    base = sentence.start + between.end()
    parties: list[PartyFact] = []
    cursor = 0
    for match in _ROLE_RE.finditer(words):
        role = match.group("role").strip()
        if role.lower() in _NOT_ROLES:
            cursor = match.end()
            continue
        name = _clean_name(words[cursor : match.start()])
        if not name:
            after = words[match.end() : match.end() + 120]
            name = _clean_name(after)
        if name and len(name) <= 100:
            cite = ctx.cite(base + cursor, base + match.end(), clause)
            parties.append(PartyFact(name=name, role=role, citation=cite))
        cursor = match.end()
    if not parties:
        head = re.split(r"\s+(?:for|to|in|on|whereby|who|which)\b|[.;]", words, maxsplit=1)[0]
        for part in re.split(r"\s+and\s+", head)[:4]:
            name = _clean_name(part)
            # "between Developer and Client" names roles, not parties.
            if 1 < len(name) <= 80 and name.lower() not in _ROLE_WORDS:
                start = base + words.find(part.strip())
                parties.append(
                    PartyFact(name, None, ctx.cite(start, start + len(part.strip()), clause))
                )
    return parties


def _parties_block(between: Span, clauses: list[Clause], ctx: Context) -> Span:
    """ "BETWEEN:" on its own line, then "(1) … (the "Client"); and (2) …": the words from
    "BETWEEN" to the recitals or the first clause after the parties, as one span."""
    end = between.end
    for clause in clauses:
        for sentence in clause.sentences:
            if sentence.start <= between.start:
                continue
            if _PARTIES_END_RE.match(sentence.text) or sentence.start - end > 400:
                return Span(between.start, end, ctx.text[between.start : end])
            end = sentence.end
    return Span(between.start, end, ctx.text[between.start : end])


def find_parties(clauses: list[Clause], ctx: Context) -> list[PartyFact]:
    """The parties the preamble names, with their roles; then quoted names with roles."""
    parties: list[PartyFact] = []
    for clause in clauses[:4]:
        for sentence in clause.sentences[:12]:
            if _BETWEEN_ALONE_RE.search(sentence.text):
                sentence = _parties_block(sentence, clauses, ctx)
            found = _preamble_parties(sentence, ctx, clause)
            if found:
                parties = found
                break
        if parties:
            break
    names = {p.name.lower() for p in parties}
    head = ctx.text[:20000]
    for match in _QUOTED_ROLE_RE.finditer(head):
        name, role = match.group("name").strip(), match.group("role").strip()
        if (
            name.lower() in names
            or role.split()[-1].lower() not in _ROLE_WORDS
            or len(parties) >= 8
        ):
            continue
        names.add(name.lower())
        parties.append(PartyFact(name, role, ctx.cite(match.start(), match.end())))
    return parties


def find_facts(clauses: list[Clause], ctx: Context) -> dict[str, Fact]:
    """The contract date, the term and the calendar, each with the words it came from."""
    facts: dict[str, Fact] = {}
    for index, clause in enumerate(clauses):
        for sentence in clause.sentences:
            words = sentence.text
            cite = None
            if (
                "contract_date" not in facts
                and (index < 3 or "Date" in words)
                and _DATE_CUE_RE.search(words)
            ):
                cue = _DATE_CUE_RE.search(words)
                dates = [
                    d
                    for d in find_dates(words, ctx.date_order)
                    if cue and d.start >= cue.start() - 60
                ]
                if dates and (
                    index < 3 or re.search(r"\b(?:Contract|Effective|Commencement)\s+Date\b", words)
                ):
                    cite = ctx.cite(sentence.start, sentence.end, clause)
                    facts["contract_date"] = Fact(
                        dates[0].value.isoformat() if dates[0].value else None, cite
                    )
            if "term" not in facts:
                term = _TERM_RE.search(words)
                if term and (
                    re.search(r"\band\b|\bafter\b|\bthereafter\b|\bfollowing\b", term.group(0))
                    or _NOT_TERM_RE.search(words)
                ):
                    term = None
                if term and re.search(
                    r"\bterm\b|\bAgreement\b|\bContract\b|\bcontinue\b", words, re.IGNORECASE
                ):
                    number = parse_number(term.group("num"))
                    if number is not None and number == number.to_integral_value():
                        months = int(number) * (
                            12 if term.group("unit").lower().startswith("year") else 1
                        )
                        phrase = re.sub(r"\s+", " ", term.group(0))
                        facts["term"] = Fact(
                            {"text": phrase, "months": months},
                            ctx.cite(sentence.start, sentence.end, clause),
                        )
            if (
                "calendar" not in facts
                and _GOVERNING_RE.search(words)
                and re.search(r"\blaws?\b", words, re.IGNORECASE)
            ):
                calendar = _calendar(sentence)
                if calendar:
                    facts["calendar"] = Fact(
                        calendar, ctx.cite(sentence.start, sentence.end, clause)
                    )
    return facts
