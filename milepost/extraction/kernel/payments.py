"""Payment stages: a percentage or an amount, when it falls due, and who pays whom.

"thirty per cent (30%) of the Contract Sum within 14 days of the Engineer certifying completion
of the foundations", "20% ($55,800.00) to be paid upon completion of Milestone #1", "500.00 EUR
is to be paid at closing", "500.00 EUR or more per month on the first day of each and every
month", "the balance on completion". A sentence may hold several stages; each runs from its
percentage or amount to the next one. The contract sum, retention, interest, damages and
service credits are read elsewhere and are not stages.
"""

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from . import tables
from .dates import find_dates, find_recurrence, find_relatives
from .model import Clause, Context, Proposal, Recurrence, Relative, RelativeUnit, Span
from .money import find_money, find_percents, money_text
from .payment_tables import payment_rows
from .payment_words import description, payer_and_payee, when_phrase

_PAYMENT_CUE_RE = re.compile(
    r"\b(?:pa(?:y|ys|id|yable|yment|yments)|instal+ments?|deposit|invoice[ds]?|fees?|remit\w*"
    r"|retention)\b",
    re.I,
)
# Sentences about these are another finder's (damages, credits) or not stages at all.
_SENTENCE_EXCLUDE_RE = re.compile(
    r"\b(?:liquidated|damages|penalt(?:y|ies)|service\s+credits?|indemnif\w*|insurance"
    r"|limitation\s+of\s+liability|aggregate\s+liability|delay\s+payments?|credit\s+the|falls?\s+below|of\s+delay"
    r"|days?\s+late|delivers?\s+late|late\s+delivery|availab\w*|uptime"
    r"|(?:for\s+(?:each|every)|per)\s+(?:\w+\s+){0,2}(?:days?|weeks?)\s+(?:late|thereafter))\b",
    re.I,
)
# A percentage or amount next to these words is not a stage ("interest at 1.5%", "retention of
# 5%", "VAT at 20%", "25% commission").
_HEAD_EXCLUDE_RE = re.compile(
    r"\b(?:interest|retention|retain(?!er)\w*|vat|tax\w*|commission|discount|fee\s+will\s+go"
    r"|late\s+payment|markup|mark-up|overhead|exceed\w*|up\s+to|at\s+least|minimum|maximum"
    r"|instead\s+of|around|approximately|about|average|worth\s+of|rate\s+of|credit|will\s+go\s+to"
    r"|deduct\w*|of\s+the\s+(?:\w+\s+)?(?:quantity|goods|products|units|volume)|currently|prevailing"
    r"|per\s+annum|above\s+(?:the\s+)?base)\b",
    re.I,
)
# A price per thing is a rate, not a stage: "$800 per day", "$500 a month subscription per store".
_RATE_AFTER_RE = re.compile(
    r"^\s*\)?\s*(?:fee\b|worth\b|[^.;$£€\d]{0,30}?\bper\s+(?:the|store|hour|day|man-day|unit|item|batch"
    r"|fte|person|head|tonne|metre|mile|user|seat|licen[cs]e|order|transaction|device)\b)",
    re.I,
)
# The whole price, not a stage: "the Contract Sum of £1,250,000", "The Fees ... shall be $279,000".
_TOTAL_BEFORE_RE = re.compile(
    r"(?:\b(?:total|contract\s+(?:sum|price)|aggregate|fees?\s+for|price\s+of|cost\s+of"
    r"|value\s+of|remaining\s+balance|balance\s+of|amount\s+of\s+the\s+other|equals?|equal\s+to"
    r"|totals?)\b[^.;:%$£€]{0,40}"
    r"|(?:%|per\s?cent|percent)\)?\s+of)\s*$",
    re.I,
)
_AS_FOLLOWS_RE = re.compile(
    r"[\s.\-\u2013:]*[^.;]{0,60}?\b(?:as\s+follows|in\s+the\s+manner\s+following|according\s+to\s+the\s+following"
    r"|in\s+(?:\w+\s+){0,2}instal+ments)",
    re.I,
)
_BALANCE_RE = re.compile(
    r"\b(?:the\s+)?(?:remaining\s+|final\s+|outstanding\s+)?(?:balance|remainder)\b"
    r"(?!\s+(?:of|due)\s+[£$€\d])(?=[^.;]{0,80}\b(?:on|upon|at|following|after|within|paid|payable|due)\b)",
    re.I,
)
# Where a new stage may start: the sentence's start, after a comma, "and", a list mark.
_STAGE_START_RE = re.compile(
    r"(?:^|[,;:•●]|\band|\bthen|\(\w{1,3}\)|\bpay\s+(?:to\s+)?(?:the\s+)?[A-Z][\w-]*)\s*$", re.I
)
# "the balance of the Final Account": what the balance is of.
_BALANCE_OF_RE = re.compile(r"\s+of\s+the\s+(?P<of>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})")
_PAY_WORD_RE = re.compile(
    r"\b(?:pa(?:y|ys|id|yable|yment|yments)|instal+ments?|deposit|invoiced?|retainer|due|fees?"
    r"|charges?)\b",
    re.I,
)
# "Upon Final Acceptance, the Customer shall pay ...": the trigger opens the sentence.
_OPENING_RE = re.compile(
    r"^\s*(?P<prep>upon|on|following|after|at)\s+(?P<trigger>[^,;.]{3,100}?)"
    r"(?:,|\s+(?=(?:the\s+)?[A-Z][\w-]*\s+(?:shall|will|must)\b))",
    re.I,
)
_ANNIVERSARY_RE = re.compile(r"\b(?:each|every)\s+anniversary\b", re.I)
_DELIVER_RE = re.compile(r"\bdeliver\w*", re.I)
_PAID_RE = re.compile(r"\b(?:pa(?:y|ys|id|yable|yment|yments)|invoice[ds]?)\b", re.I)
_RETENTION_RE = re.compile(r"\bretention\b", re.I)
_RELEASE_RE = re.compile(r"\breleas\w*|\brepa\w*", re.I)
# "the first business day of each month": a day of a period, not a count of days.
_ORDINAL_DAY_RE = re.compile(
    r"^(?:the\s+)?(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|last|\w+th)\s+", re.I
)
_RELEASED_RE = re.compile(r"\breleas\w*\s*$", re.I)
_RETAINED_RE = re.compile(r"\bretention\b|\bretain\w*", re.I)
_RETENTION_HEAD_RE = re.compile(
    r"\b(?:(?:one|the\s+(?:first|other|second|remaining))\s+half|half|the\s+(?:balance|remainder))"
    r"(?:\s+of\s+the\s+retention(?:\s+money)?)?(?=[^.;]{0,60}?\b(?:releas\w*|on|upon|at)\b)",
    re.I,
)
_SUM_HEAD_RE = re.compile(
    r"\b(?:each|every|any)\s+(?:sum|amount)s?\s+(?:so\s+)?(?:certified|due|invoiced)\b"
    r"|\bthe\s+(?:sum|amount)s?\s+(?:so\s+)?certified\b",
    re.I,
)
_TRIGGER_RE = re.compile(
    r"\b(?P<prep>upon|on|at|following|after|when|once|prior\s+to|before|against)\s+"
    r"(?!(?:or\s+before|the\s+rate|an?\s+(?:monthly|annual)|demand\b|(?:the\s+)?(?:following|schedule"
    r"|terms|manner)\b))"
    r"(?P<trigger>[^.;:,()\n]{3,140})",
    re.I,
)
_TRIGGER_STOP_RE = re.compile(
    r"\s+(?:and\s+(?:shall|will|the|in|continuing)|provided|subject\s+to|which|whichever|in\s+"
    r"accordance|pursuant|unless|if\b|where\b|to\s+be\s+paid|shall\b|will\b|as\s+set\s+out"
    r"|\d+%|[£$€])",
    re.I,
)
_WEEK_RE = re.compile(r"\(?\b(?P<ref>(?P<unit>week|month|day)\s+(?P<num>\d+))\b", re.I)
_LABEL_RE = re.compile(r"(?P<label>(?:Milestone|Stage|Phase)\s+#?\w+(?::\s*[^:\n]{2,60}?)?)\s{2,}")


@dataclass
class _Head:
    """A stage's percentage and amount, as written at ``text[start:end]`` of the sentence."""

    start: int
    end: int
    percent: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    blank: bool = False
    balance: bool = False
    # The words naming what is paid when it is neither a share nor an amount ("half the
    # retention", "each sum certified").
    what: str = ""
    # Written as the whole price: a stage only if the sentence says when it is paid.
    total: bool = False


def _heads(text: str, currency: str | None, carried: bool) -> list[_Head]:
    heads: list[_Head] = []
    releases = bool(_RETENTION_RE.search(text) and _RELEASE_RE.search(text))
    for hit in find_percents(text):
        before = re.split(r"[,;]|\band\b", text[max(0, hit.start - 60) : hit.start])[-1]
        if releases and (_RELEASED_RE.search(before) or not _RETAINED_RE.search(before)):
            # "Retention: 5%, released 50% on Practical Completion and 50% at ...": shares of
            # the retention, not of the price.
            share = f"{hit.value.normalize():f}% of the retention"
            heads.append(_Head(hit.start, hit.end, what=share))
            continue
        heads.append(_Head(hit.start, hit.end, percent=hit.value))
    shares = list(heads)  # in text order
    starts = [h.start for h in shares]
    for money in find_money(text, currency):
        # Only the shares written just before or just after the amount can be its pair.
        near = bisect.bisect_left(starts, money.start)
        pair = next(
            (
                h
                for h in shares[max(0, near - 1) : near + 1]
                if _adjacent(text, h.start, h.end, money.start, money.end)
            ),
            None,
        )
        if pair is not None and pair.amount is None and not pair.blank:
            pair.start, pair.end = min(pair.start, money.start), max(pair.end, money.end)
            pair.amount, pair.currency, pair.blank = money.amount, money.currency, money.blank
            continue
        heads.append(_Head(money.start, money.end, None, money.amount, money.currency, money.blank))
    if _RETENTION_RE.search(text) and _RELEASE_RE.search(text):
        for match in _RETENTION_HEAD_RE.finditer(text):
            heads.append(_Head(match.start(), match.end(), what=_retention_words(match.group(0))))
    for match in _SUM_HEAD_RE.finditer(text):
        heads.append(_Head(match.start(), match.end(), what=" ".join(match.group(0).split())))
    for match in _BALANCE_RE.finditer(text):
        if not _STAGE_START_RE.search(text[max(0, match.start() - 40) : match.start()]):
            continue
        if not any(match.start() - 20 <= h.start <= match.end() + 25 for h in heads):
            of = _BALANCE_OF_RE.match(text, match.end())
            what = f"the balance of the {of.group('of')}" if of else ""
            end = of.end() if of else match.end()
            heads.append(_Head(match.start(), end, balance=True, what=what))
    heads.sort(key=lambda h: h.start)
    stages: list[_Head] = []
    for head in heads:
        if tables.on_row(text, head.start):
            continue  # read by payment_rows
        # A list of amounts goes on from the first one said to be paid.
        if _is_stage(text, head, listed=carried or bool(stages)):
            stages.append(head)
    return stages


def _retention_words(words: str) -> str:
    lower = " ".join(words.lower().split())
    if any(word in lower for word in ("balance", "remain", "other", "second")):
        return "the balance of the retention"
    return "half the retention"


def _adjacent(text: str, a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """ "20% ($55,800.00)" or "$55,800.00 (20%)": one written in brackets right after the other."""
    if a_start > b_start:
        a_start, a_end, b_start, b_end = b_start, b_end, a_start, a_end
    between = text[a_end:b_start]
    return bool(re.fullmatch(r"\s*(?:deposit\s*)?\(\s*", between, re.I)) or between.strip() == "/"


def _is_stage(text: str, head: _Head, *, listed: bool) -> bool:
    before = text[max(0, head.start - 50) : head.start]
    after = text[head.end : head.end + 40]
    if head.what:
        return True
    if _HEAD_EXCLUDE_RE.search(before[-30:]) or _HEAD_EXCLUDE_RE.search(after[:25]):
        return False
    if _RATE_AFTER_RE.search(after):
        return False
    window = text[max(0, head.start - 150) : head.end + 150]
    if head.percent is None and not listed and not _PAY_WORD_RE.search(window):
        return False
    if head.percent is None and not head.balance and _TOTAL_BEFORE_RE.search(before):
        head.total = True
    if _AS_FOLLOWS_RE.match(text, head.end, head.end + 200):
        return False
    return head.percent is not None or head.amount is not None or head.blank or head.balance


def _trim(words: str) -> str:
    stop = _TRIGGER_STOP_RE.search(words)
    if stop:
        words = words[: stop.start()]
    words = re.sub(r"\s+", " ", words).strip(" -\u2013\u2014,")
    return re.sub(r"\s+(?:and|or|then|with)$", "", words, flags=re.I)


def _when(
    text: str, start: int, end: int, *, relative_only: bool = False
) -> tuple[str | None, str | None, Relative | None]:
    """(words before the trigger, trigger words, relative) of the stage in ``text[start:end]``:
    for a relative time the words before are the count ("within 14 days of")."""
    for hit in find_relatives(text[start:end]):
        anchor = _trim(hit.relative.anchor)
        if re.match(r"\s+(?:shall|will|must|may)\b", text[start + hit.end : start + hit.end + 12]):
            # "Within 14 days after the Certificate the Employer shall pay": the payer is not
            # part of the event.
            anchor = re.sub(r"\s+(?:the\s+)?[A-Z][\w-]*$", "", anchor)
        if anchor:
            relative = Relative(anchor, hit.relative.offset, hit.relative.unit)
            words = " ".join(text[start + hit.start : start + hit.end].split())
            count = words[: max(0, words.find(anchor[:24]))].strip()
            count = count[:1].lower() + count[1:]
            within = re.search(
                r"\b(?:within|no\s+later\s+than|not\s+later\s+than)\s*$",
                text[: start + hit.start],
                re.I,
            )
            if _ORDINAL_DAY_RE.match(count):
                count = "on the " + re.sub(r"^the\s+", "", count, flags=re.I)
            elif within:
                count = " ".join([*within.group(0).lower().split(), count])
            elif not count.lower().startswith(("within", "no later", "not later")):
                count = f"due {count}"
            return count, anchor, relative
    match = None if relative_only else _TRIGGER_RE.search(text, start, end)
    if match:
        trigger = _trim(match.group("trigger"))
        if trigger:
            prep = match.group("prep").lower()
            return ("on" if prep == "upon" else prep), trigger, None
    return None, None, None


def _due(text: str, start: int, end: int, order: str) -> tuple[dt.date | None, bool, str]:
    """The first date written in ``text[start:end]``, whether it is ambiguous, and its words."""
    for hit in find_dates(text[start:end], order):
        if hit.value is not None:
            return hit.value, hit.ambiguous, text[start + hit.start : start + hit.end]
    return None, False, ""


def _title(head: _Head, recurring: str | None, desc: str, when: str) -> str:
    if head.percent is not None:
        what = f"{head.percent.normalize():f}%"
    elif head.amount is not None:
        what = money_text(head.amount, head.currency)
    elif head.blank:
        what = "amount left blank"
    else:
        what = head.what or "the balance"
    prefix = f"{recurring.capitalize()} payment" if recurring else "Payment"
    return f"{prefix}: {what}{desc}{when}"[:200]


def _stage_time(
    text: str, head: _Head, left_start: int, right_end: int
) -> tuple[str | None, str | None, Relative | None]:
    prep, trigger, relative = _when(text, head.end, right_end)
    if trigger and ":" in text[head.end : text.find(trigger, head.end)]:
        prep, trigger, relative = None, None, None
    if not trigger:
        prep, trigger, relative = _when(text, left_start, head.start, relative_only=True)
    opening = _OPENING_RE.match(text) if not trigger and left_start == 0 else None
    if opening:
        prep, trigger = (
            opening.group("prep").lower().replace("upon", "on"),
            opening.group("trigger"),
        )
    return prep, trigger, relative


def find_payments(clause: Clause, ctx: Context) -> list[Proposal]:
    """The payment stages the clause states, one proposal each."""
    found: list[Proposal] = payment_rows(clause, ctx)
    sentences = clause.sentences or (Span(clause.start, clause.end, clause.text),)
    carried = False
    for sentence in sentences:
        text = sentence.text
        if tables.is_row(text.strip()):
            continue  # read by payment_rows
        # A list of stages goes on from the sentence that said they are payments.
        carried_from, carried = carried, False
        cue = carried_from or _PAYMENT_CUE_RE.search(text) or _PAYMENT_CUE_RE.search(clause.heading)
        if not cue:
            continue
        if _DELIVER_RE.search(text) and not _PAID_RE.search(text) and not find_money(text):
            continue  # "deliver the Goods in three instalments: 40% by 1 March"
        if _SENTENCE_EXCLUDE_RE.search(text):
            continue
        heads = _heads(text, ctx.currency, carried=bool(carried_from))
        stated = next((m.currency for m in find_money(text) if m.currency), None)
        parties = payer_and_payee(clause, sentence) if heads else []
        for index, head in enumerate(heads):
            right_end = heads[index + 1].start if index + 1 < len(heads) else len(text)
            left_start = heads[index - 1].end if index else 0
            prep, trigger, relative = _stage_time(text, head, left_start, right_end)
            label = _LABEL_RE.search(text, left_start, head.start)
            recurring = find_recurrence(text[left_start:right_end]) or (
                "yearly" if _ANNIVERSARY_RE.search(text, head.end, right_end) else None
            )
            when = when_phrase(prep, trigger)
            due, ambiguous, date_words = _due(text, head.end, right_end, ctx.date_order)
            if due is None and not trigger:
                due, ambiguous, date_words = _due(text, left_start, head.start, ctx.date_order)
            if due is not None and trigger and trigger in date_words:
                trigger = None  # "on March 1, 2018": the date, not an event
            if head.total and not trigger and due is None:
                continue
            week = _WEEK_RE.search(text, head.end, right_end)
            if due is not None:
                when = f" on {due.day} {due:%B %Y}"
            elif label:
                named = " ".join(label.group("label").split())
                when = f" for {named}{when}" if trigger else f" on {named}"
            elif not trigger and week:
                when = f" in {week.group('ref').capitalize()}"
                count, unit = int(week.group("num")), week.group("unit").lower()
                units = {"week": "weeks", "month": "months"}
                relative = Relative("", count, cast(RelativeUnit, units.get(unit, "calendar")))
            if recurring and trigger and find_recurrence(trigger) and relative is None:
                when = f" on {trigger}"
            multi = len(heads) > 1
            start = sentence.start + (
                min(head.start, label.start()) if (multi and label) else head.start if multi else 0
            )
            end = sentence.start + (right_end if multi else len(text))
            confidence = 0.9 if (trigger or due) else 0.7
            if head.blank or head.balance:
                confidence -= 0.2
            carried = True
            found.append(
                Proposal(
                    kind="payment",
                    title=_title(
                        head, recurring, description(text, head.start, head.end, right_end), when
                    ),
                    citation=ctx.cite(start, end, clause),
                    confidence=round(confidence, 2),
                    relative=relative,
                    due=due,
                    ambiguous=["due"] if ambiguous else [],
                    recurring=cast(Recurrence | None, recurring),
                    percent=head.percent,
                    amount=head.amount,
                    currency=head.currency or (stated if head.percent is not None else None),
                    parties=list(parties),
                    trigger=trigger,
                )
            )
    return found
