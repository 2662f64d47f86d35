"""Service levels: a target, its unit, direction and period, and the credit a miss earns.

"Available at least 99.9% of the time in each calendar month" (99.9, "%", at least, month);
"respond to Priority 1 incidents within 1 hour" (1, "hours", at most); tables of service levels
("| Priority 1 | 99.8% | 2.0 GBP": the credit goes in ``amount``); "a Service Credit of 5% of
the monthly charges" (a credit stated as a share goes in ``percent``).
"""

import re
from decimal import Decimal

from . import tables
from .model import Clause, Context, Direction, Proposal, Span
from .money import find_money, find_percents, money_text
from .numbers import NUMBER, parse_number

_KPIS: tuple[tuple[str, str], ...] = (
    (r"\bavailab\w*", "Availability"),
    (r"\bup-?time\b", "Uptime"),
    (r"\bon[- ]time\b", "On-time delivery"),
    (r"\bfirst[- ]time\s+fix", "First-time fix rate"),
    (r"\baccura\w*", "Accuracy"),
    (r"\bsatisfaction\b", "Customer satisfaction"),
    (r"\bsuccess\s+rate\b", "Success rate"),
    (r"\bservice\s+levels?\b", "Service level"),
)
_KPI_RES = tuple((re.compile(pattern, re.I), name) for pattern, name in _KPIS)
_AT_LEAST_RE = re.compile(
    r"\b(?:at\s+least|not\s+less\s+than|no\s+less\s+than|not\s+(?:be\s+|fall\s+|drop\s+)?below|minimum(?:\s+of)?|a\s+minimum\s+of"
    r"|meet\s+or\s+exceed|(?<!not\s)(?<!no\s)(?:exceed|greater\s+than|more\s+than|above))\b|≥",
    re.I,
)
_AT_LEAST_AFTER_RE = re.compile(r"^\s*(?:or\s+(?:more|higher|greater|above|better))\b", re.I)
_AT_MOST_RE = re.compile(
    r"\b(?:at\s+most|not\s+more\s+than|no\s+more\s+than|maximum(?:\s+of)?|not\s+exceed\w*"
    r"|(?<!not\s)(?<!no\s)(?:less\s+than|below|under|fewer\s+than))\b|≤",
    re.I,
)
# Percentages that are not a target: caps on credits, shares of charges, the credit itself.
_NOT_TARGET_BEFORE_RE = re.compile(
    r"\b(?:each|every|exceed:?|cap\w*|credit\w*(?:\s+of)?|deduct\w*|equal\s+to|(?:%|per\s?cent)\s+of)\s*$",
    re.I,
)
_NOT_TARGET_AFTER_RE = re.compile(
    r"\s*of\s+(?:the\s+)?(?:\w+\s+){0,3}(?:charges?|fees?|invoice\w*|price|sum|value)\b", re.I
)
_PERIOD_RE = re.compile(
    r"\b(?:(?:each|every|per|any|in\s+a|a|the)\s+(?:calendar\s+)?(?P<unit>month|quarter|week|day"
    r"|year)\b|(?P<adverb>monthly|quarterly|weekly|daily|annually|yearly)\b)",
    re.I,
)
_ADVERB_PERIODS = {
    "monthly": "month",
    "quarterly": "quarter",
    "weekly": "week",
    "daily": "day",
    "annually": "year",
    "yearly": "year",
}
_VERB_RE = re.compile(
    r"\b(?:respond\w*|response|acknowledg\w*|resol\w*|fix(?:ed|es)?|restor\w*|repair\w*"
    r"|workaround|attend\w*|arrive\s+on\s+site|on[- ]site)\b",
    re.I,
)
_DURATION_RE = re.compile(
    rf"\b(?:within|in|no\s+later\s+than|not\s+later\s+than|not\s+more\s+than|no\s+more\s+than"
    rf"|maximum\s+of|under|of\s+no\s+more\s+than|within\s+(?:a|an|the)\s+[\w\s-]{{3,40}}?\s+of|(?:shall|will|must|may)\s+not\s+exceed)\s+(?P<num>{NUMBER})\s*(?P<unit>(?:business\s+|working\s+|clock\s+)?"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?))\b",
    re.I,
)
_PRIORITY_RE = re.compile(
    r"\b(?:(?:Priority|Severity|Sev|Level|Category|P)\s*-?\s*(?:\d|one|two|three|four|[A-D]\b)"
    r"|(?:Critical|High|Medium|Low|Urgent|Major|Minor)(?=\s+(?:priority|severity|incidents?"
    r"|faults?|issues?|defects?)))",
)
# "The mean time to repair shall not exceed 4 hours": the measure is the subject.
_EXCEED_RE = re.compile(
    r"(?:^|\bthe\s+)(?P<subj>[A-Za-z][\w\s-]{2,60}?)\s+(?:shall|will|must|may)\s+not\s+exceed\s+"
    rf"(?={NUMBER})",
    re.I,
)
# What response and resolution times are about: without one of these, "respond within 10 days"
# is an ordinary obligation (read as a deliverable elsewhere).
_SERVICE_NOUN_RE = re.compile(
    r"\b(?:incidents?|faults?|calls?|call-outs?|tickets?|requests?\s+for\s+support|support\s+requests?"
    r"|defects?|outages?|problems?|service\s+desk|help\s?desk|emergenc\w+|priority|severity"
    r"|service\s+levels?|response\s+times?|resolution\s+times?|breakdowns?|repairs?|page|recovery"
    r"|restor\w*|RTO|RPO)\b",
    re.I,
)
_SERVICE_TABLE_RE = re.compile(
    r"\b(?:service\s+levels?|availab\w*|up-?time|target|response|resolution|KPIs?|key\s+performance"
    r"|service\s+credits?)\b",
    re.I,
)
# "Severity 1 Defects: response within 15 minutes, workaround within 4 hours": the label
# names every time in the sentence.
_LABEL_RE = re.compile(
    r"^\s*(?P<label>(?:Priority|Severity|Sev|Level|Category|P)\s*-?\s*\w+(?:\s+\w+){0,3}?)\s*:"
)
_MODAL_RE = re.compile(r"\b(?:shall|will|must|should)\s+(?:be\s+)?", re.I)
_PRONOUN_RE = re.compile(r"\b(?:them|it|they|each\s+of\s+them)\b")
_SUBJECT_RE = re.compile(
    r"\b(?:Priority|Severity|Sev|Level|Category|P)\s*-?\s*\w+\s+(?i:incidents?|faults?|issues?"
    r"|calls?|defects?|tickets?|requests?)\b"
)
_CREDIT_RE = re.compile(
    r"\b(?:service\s+credits?\s*(?::|of|equal\s+to|amounting\s+to|equivalent\s+to|shall\s+be)"
    r"|credit\s+(?:the\s+)?(?:Customer|Client|Buyer|Purchaser|Authority)(?:\s+with)?)\s+",
    re.I,
)
_TARGET_OF_RE = re.compile(r"\b(?:target|threshold)\s+(?:of\s+|is\s+|:\s*)?$", re.I)
# A failure written against the target: "falls below 99.5%" means at least 99.5%.
_FALLS_RE = re.compile(
    r"\b(?:falls?|drops?|is|are)\s+(?:below|under|short\s+of|less\s+than)\s*$", re.I
)
# "answer at least 90% of calls within 60 seconds": a share of things done in time.
_SHARE_RE = re.compile(
    r"\b(?:shall|will|must)\s+(?P<phrase>\w+\s+(?:(?:at\s+least|not\s+less\s+than|a\s+minimum\s+of"
    r"|no\s+fewer\s+than)\s+)?[\d.]+\s?%\s+of\s+(?:all\s+)?[^,.;]{2,100}?)"
    r"(?=[,.;]|\s+(?:measured|in\s+each|in\s+any|each|per|every)\b|$)",
    re.I,
)
_DURATION_CELL_RE = re.compile(
    rf"^(?:(?:within|in|no\s+more\s+than|not\s+more\s+than|at\s+most|under|<|≤)\s*)?(?P<num>{NUMBER})\s*(?P<unit>(?:business\s+|working\s+|clock\s+)?"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?))$",
    re.I,
)


def _unit(word: str) -> str:
    word = word.lower()
    kind = f"{word.split()[0]} " if word.startswith(("business", "working")) else ""
    if "sec" in word:
        return "seconds"
    if "min" in word:
        return "minutes"
    if "h" in word.split()[-1]:
        return f"{kind}hours"
    return f"{kind}days"


def _unit_text(value: Decimal, unit: str) -> str:
    number = f"{value.normalize():f}"
    return f"{number} {unit[:-1]}" if value == 1 else f"{number} {unit}"


def _direction(text: str, start: int, end: int) -> Direction | None:
    before = text[max(0, start - 40) : start]
    if _FALLS_RE.search(before):
        return "at_least"
    if _TARGET_OF_RE.search(before):
        return None  # "below the Availability target of 99.9%": the target, its sense unstated
    most = [m.end() for m in _AT_MOST_RE.finditer(before)]
    least = [m.end() for m in _AT_LEAST_RE.finditer(before)]
    if most or least:
        # The words nearest the number decide ("not less than", "no more than").
        return "at_most" if max(most, default=-1) > max(least, default=-1) else "at_least"
    if _AT_LEAST_AFTER_RE.search(text[end : end + 20]):
        return "at_least"
    return None


def _period(text: str) -> str | None:
    match = _PERIOD_RE.search(text)
    if not match:
        return None
    if match.group("adverb"):
        return _ADVERB_PERIODS[match.group("adverb").lower()]
    return match.group("unit").lower()


def _kpi(text: str) -> str | None:
    found = [(m.start(), name) for regex, name in _KPI_RES if (m := regex.search(text))]
    return min(found)[1] if found else None


def _credit(text: str, currency: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(percent, amount, currency) of a service credit the text states."""
    match = _CREDIT_RE.search(text)
    if not match:
        return None, None, None
    rest = text[match.end() : match.end() + 60]
    percents = [p for p in find_percents(rest) if p.start < 5]
    if percents:
        return percents[0].value, None, None
    money = [m for m in find_money(rest, currency) if m.start < 5 and not m.blank]
    if money:
        return None, money[0].amount, money[0].currency
    return None, None, None


def _targets(text: str, sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    found: list[Proposal] = []
    kpi = _kpi(text)
    sentence_period = _period(text)
    share = _SHARE_RE.search(text)
    if share and not kpi:
        hit = find_percents(share.group("phrase"))[0]
        phrase = " ".join(share.group("phrase").split())
        period = _period(text)
        found.append(
            Proposal(
                kind="performance",
                title=(phrase[0].upper() + phrase[1:] + (f" each {period}" if period else ""))[
                    :200
                ],
                citation=ctx.cite(sentence.start, sentence.end, clause),
                confidence=0.8,
                target=hit.value,
                unit="%",
                direction="at_least",
                period=period,
            )
        )
        return found
    if kpi:
        for hit in find_percents(text):
            if _NOT_TARGET_BEFORE_RE.search(text[max(0, hit.start - 20) : hit.start]):
                continue
            if tables.on_row(text, hit.start):
                continue
            if _NOT_TARGET_AFTER_RE.match(text, hit.end, hit.end + 80):
                continue
            direction = _direction(text, hit.start, hit.end)
            period = sentence_period
            words = {"at_least": " at least", "at_most": " at most"}.get(direction or "", "")
            each = f" each {period}" if period else ""
            found.append(
                Proposal(
                    kind="performance",
                    title=f"{kpi}{words} {hit.value.normalize():f}%{each}",
                    citation=ctx.cite(sentence.start, sentence.end, clause),
                    confidence=0.9 if direction else 0.7,
                    target=hit.value,
                    unit="%",
                    direction=direction or "at_least",
                    period=period,
                )
            )
    if not _SERVICE_NOUN_RE.search(text) and not _SERVICE_NOUN_RE.search(clause.heading):
        return found  # "respond to any notice within 10 days" is an obligation, not a service level
    for match in _DURATION_RE.finditer(text):
        verbs = list(_VERB_RE.finditer(text, max(0, match.start() - 140), match.start()))
        value = parse_number(match.group("num"))
        if not verbs or value is None or tables.on_row(text, match.start()):
            continue
        verb = verbs[-1]
        priorities = list(_PRIORITY_RE.finditer(text, max(0, match.start() - 300), match.start()))
        unit = _unit(match.group("unit"))
        begin = verb.start()
        gap = text[priorities[-1].end() : verb.start()] if priorities else "x" * 50
        if len(gap) < 40 and not re.search(r"\b(?:within|and|or)\b", gap):
            begin = min(begin, priorities[-1].start())
        phrase = _MODAL_RE.sub("", " ".join(text[begin : match.end()].split()))
        subject = _SUBJECT_RE.search(text, max(0, verb.start() - 300), verb.start())
        if subject:
            phrase = _PRONOUN_RE.sub(subject.group(0), phrase)
        subject = _EXCEED_RE.search(text, max(0, match.start() - 120), match.end())
        if subject and subject.end() >= match.start("num"):
            measure = re.sub(r"^the\s+", "", " ".join(subject.group("subj").split()), flags=re.I)
            phrase = f"{measure} at most {_unit_text(value, unit)}"
        label = _LABEL_RE.match(text)
        if label and label.group("label") not in phrase:
            phrase = f"{label.group('label')}: {phrase[:1].lower()}{phrase[1:]}"
        if len(phrase) > 110 or ";" in phrase:
            what = verb.group(0).capitalize()
            priority = f" {priorities[-1].group(0)}" if priorities else ""
            phrase = f"{what}{priority} within {_unit_text(value, unit)}"
        found.append(
            Proposal(
                kind="performance",
                title=(phrase[0].upper() + phrase[1:])[:200],
                citation=ctx.cite(sentence.start, sentence.end, clause),
                confidence=0.85,
                target=value,
                unit=unit,
                direction="at_most",
                period=sentence_period,
            )
        )
    return found


def _table_rows(clause: Clause, ctx: Context) -> list[Proposal]:
    found: list[Proposal] = []
    for start, end in tables.rows(ctx.text, clause.start, clause.end):
        cells = tables.cells(ctx.text[start:end])
        if not any(re.search(r"\d", cell) for cell in cells):
            continue
        header = tables.header(ctx.text, start)
        context = (
            " ".join(header) + " " + clause.heading + " " + ctx.text[max(0, start - 400) : start]
        )
        if not _SERVICE_TABLE_RE.search(context):
            continue  # a payment schedule or a price list, not service levels
        name = next((c for c in cells if c and not re.fullmatch(r"[\d.,%\s]+", c)), "")
        credit_amount, credit_currency, credit_percent = None, None, None
        targets: list[tuple[str, Decimal, str, Direction]] = []
        for index, cell in enumerate(cells):
            title = header[index].lower() if index < len(header) else ""
            money = find_money(cell, ctx.currency)
            percents = find_percents(cell)
            duration = _DURATION_CELL_RE.match(cell)
            if (money and "credit" in title) or (money and not percents and not duration):
                credit_amount, credit_currency = money[0].amount, money[0].currency
            elif percents and "credit" in title:
                credit_percent = percents[0].value
            elif percents:
                kpi = _kpi(f"{name} {title}") or "Service level"
                direction = _direction(cell, percents[0].start, percents[0].end) or "at_least"
                targets.append((kpi, percents[0].value, "%", direction))
            elif duration and (value := parse_number(duration.group("num"))) is not None:
                targets.append(
                    (title or "response", value, _unit(duration.group("unit")), "at_most")
                )
        period = _period(ctx.text[max(0, start - 400) : start]) if targets else None
        for kpi, value, unit, direction in targets:
            named = bool(_kpi(name) or _VERB_RE.search(name))
            measure = name if named else f"{name} {kpi.lower()}"
            words = "at least" if direction == "at_least" else "at most"
            if unit == "%":
                title = f"{measure} {words} {value.normalize():f}%"
            else:
                title = f"{measure} within {_unit_text(value, unit)}"
            if credit_amount is not None:
                title += f" (credit {money_text(credit_amount, credit_currency)})"
            elif credit_percent is not None:
                title += f" (credit {credit_percent.normalize():f}%)"
            found.append(
                Proposal(
                    kind="performance",
                    title=title.strip()[:200],
                    citation=ctx.cite(start, end, clause),
                    confidence=0.75,
                    target=value,
                    unit=unit,
                    direction=direction,
                    period=period if unit == "%" else None,
                    percent=credit_percent,
                    amount=credit_amount,
                    currency=credit_currency,
                )
            )
    return found


def find_performance(clause: Clause, ctx: Context) -> list[Proposal]:
    """The service levels the clause (or a table in it) states, one proposal each."""
    found = _table_rows(clause, ctx)
    sentences = clause.sentences or (Span(clause.start, clause.end, clause.text),)
    for sentence in sentences:
        if tables.is_row(sentence.text.strip()):
            continue
        targets = _targets(sentence.text, sentence, clause, ctx)
        percent, amount, currency = _credit(sentence.text, ctx.currency)
        if percent is None and amount is None:
            found.extend(targets)
            continue
        named = _kpi(sentence.text)
        earlier = [p for p in found if named and p.title.startswith(named)]
        attach = targets or earlier[-1:] or found[-1:]
        for proposal in attach:
            proposal.percent, proposal.amount, proposal.currency = percent, amount, currency
        found.extend(targets)
    return found
