"""When a sentence says a thing is due: a date, a date relative to an event, a recurrence.

Shared by the deliverable and gate finders; the first date or relative date at or after
``after`` in the words wins (the words following the obligation name its time).
"""

import datetime as dt
import re
from dataclasses import dataclass

from .dates import DateHit, RelativeHit, find_dates, find_recurrence, find_relatives
from .model import Recurrence, Relative

# Words around a time that make it the deadline ("by", "no later than", "within").
DEADLINE_CUE = (
    r"(?:by|before|on\s+or\s+before|no\s+later\s+than|not\s+later\s+than|within|on|prior\s+to"
    r"|at\s+the\s+latest\s+by|at\s+least|until|from|after|following)"
)


@dataclass(frozen=True)
class When:
    due: dt.date | None = None
    ambiguous: bool = False
    relative: Relative | None = None
    recurring: Recurrence | None = None
    # Offsets (in the words read) of the time phrase, or -1 when there is none.
    start: int = -1
    end: int = -1

    @property
    def stated(self) -> bool:
        return self.due is not None or self.relative is not None or self.recurring is not None


_RECURRING: dict[str, Recurrence] = {
    "daily": "daily",
    "weekly": "weekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
    "yearly": "yearly",
}
# "a period of 12 months" and "for 3 years" are durations, not deadlines.
_DURATION_BEFORE_RE = re.compile(
    r"(?:period\s+of|for|term\s+of|duration\s+of|up\s+to|lasting|least|maximum\s+of|minimum\s+of"
    r"|exceed(?:ing)?|more\s+than|less\s+than|over)\s*(?:a\s+|an\s+)?$",
    re.IGNORECASE,
)

_EACH_TERM_RE = re.compile(r"\b(?:each|every)\s+(?P<term>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})")
_PERIOD_RE = re.compile(
    r"^\W*(?:a|an|one|each|the)?\s*(?:calendar\s+)?(day|week|month|quarter|year)\b", re.IGNORECASE
)
_PERIODS: dict[str, Recurrence] = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}
# A time with no event named ("within 10 Business Days", "will have 10 days to") must follow a
# word that makes it a deadline: "tests at 7 and 28 days" is not one.
_ANCHORLESS_CUE_RE = re.compile(
    r"\b(?:within|in|by|before|after|than|have|has|of|on\s+or\s+before)\s*(?:the\s+|a\s+)?$",
    re.IGNORECASE,
)


def _shift_date(hit: DateHit, by: int) -> DateHit:
    return DateHit(hit.start + by, hit.end + by, hit.value, hit.ambiguous)


def _shift_relative(hit: RelativeHit, by: int) -> RelativeHit:
    return RelativeHit(hit.start + by, hit.end + by, hit.relative)


def _defined_recurrence(words: str, defined: dict[str, str]) -> Recurrence | None:
    """ "each Service Period" where the contract defines a Service Period as a calendar month."""
    for match in _EACH_TERM_RE.finditer(words):
        meaning = defined.get(match.group("term"))
        period = _PERIOD_RE.search(meaning or "")
        if period:
            return _PERIODS[period.group(1).lower()]
    return None


_LEADING_RECURRENCE_RE = re.compile(
    r"\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:(?:in\s+)?(?:each|every)\s+(?:calendar\s+)?"
    r"(?:month|week|quarter|year)|monthly|weekly|quarterly|annually)\b",
    re.IGNORECASE,
)


def read_when(
    words: str,
    order: str,
    after: int = 0,
    before: int | None = None,
    defined: dict[str, str] | None = None,
) -> When:
    """The first date or relative date between ``after`` and ``before`` in ``words``, with how
    often it recurs (through the contract's ``defined`` terms where it says "each <Term>")."""
    until = len(words) if before is None else before
    recurrence = find_recurrence(words[after:until])
    if recurrence is None and after:
        # "Each month the Contractor shall submit …": a recurrence that opens the sentence
        # governs the obligation that follows it.
        leading = _LEADING_RECURRENCE_RE.match(words[:after])
        recurrence = find_recurrence(leading.group(0)) if leading else None
    recurring = _RECURRING.get(recurrence) if recurrence else None
    if recurring is None and defined:
        recurring = _defined_recurrence(words[after:until], defined)
    # Read only the words asked about (a long sentence with many obligations stays linear);
    # the words just before a time still decide whether it is a deadline.
    window = words[after:until]
    dates = [_shift_date(hit, after) for hit in find_dates(window, order)]
    relatives = [
        hit
        for hit in (_shift_relative(hit, after) for hit in find_relatives(window))
        if after <= hit.start < until
        and (
            hit.relative.offset < 0
            or not _DURATION_BEFORE_RE.search(words[max(0, hit.start - 30) : hit.start])
        )
        and (
            hit.relative.anchor
            or _ANCHORLESS_CUE_RE.search(words[max(0, hit.start - 30) : hit.start])
        )
    ]
    if dates and (not relatives or dates[0].start <= relatives[0].start):
        hit = dates[0]
        return When(hit.value, hit.ambiguous, None, recurring, hit.start, hit.end)
    if relatives:
        first = relatives[0]
        return When(None, False, first.relative, recurring, first.start, first.end)
    return When(recurring=recurring)
