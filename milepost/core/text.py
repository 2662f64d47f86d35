"""How long free text may be, and what it may not hold: one table for the API, forms and services.

A text column (``TextField``) has no limit of its own, so these limits are enforced in code: the
API schema (``max_length``, shown in the OpenAPI document), the web form (``max_length``) and the
service (``DomainError("too_long")``), which is the one that counts. A name stored in a
``CharField`` is limited by its column.
"""

import re
from typing import Any

from .errors import DomainError

# A name or heading: milestone, contract and early-warning titles, a day off's reason.
TITLE_MAX = 200
# A reason or note on one decision: a reschedule, a status change, a gate decision, a release,
# a change request's decision, closing an early warning, a measurement's note.
NOTE_MAX = 2_000
# A body of text: descriptions, acceptance criteria, status updates, comments, change-request
# reasons, mitigations, a recovery action's cause and plan.
TEXT_MAX = 10_000

# The limits of the text columns (a ``CharField``'s is its ``max_length``), by model label and
# field name. ``validate_lengths`` applies them with the columns' own; docs/api.md lists them.
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "contracts.Contract": {"description": TEXT_MAX},
    "schedule.Milestone": {"description": TEXT_MAX, "acceptance_criteria": TEXT_MAX},
    "schedule.StatusUpdate": {"text": TEXT_MAX},
    "schedule.Comment": {"text": TEXT_MAX},
    "schedule.ChangeRequest": {"reason": TEXT_MAX, "decision_note": NOTE_MAX},
    "schedule.EarlyWarning": {
        "description": TEXT_MAX,
        "mitigation": TEXT_MAX,
        "closing_note": NOTE_MAX,
    },
    "schedule.RecoveryAction": {"cause": TEXT_MAX, "plan": TEXT_MAX},
    "approvals.GateDecision": {"comment": NOTE_MAX},
    "performance.Measurement": {"note": NOTE_MAX},
    "communications.Communication": {"text": TEXT_MAX},
}

# A lone UTF-16 surrogate (JSON may spell one as "\ud800") is no character at all: no database
# column, UTF-8 page or hash can hold one.
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = "Text may not hold a lone surrogate (\\ud800 to \\udfff); send valid Unicode."


def has_surrogate(value: str) -> bool:
    """Say whether ``value`` holds a lone surrogate code point."""
    return _SURROGATE.search(value) is not None


def surrogate_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Return where in ``value`` (a string, or JSON made of dicts and lists) a lone surrogate is.

    A key with one counts too: the path then ends at that key.
    """
    if isinstance(value, str):
        return path if has_surrogate(value) else None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    for key, item in items:
        where = (*path, str(key))
        if isinstance(key, str) and has_surrogate(key):
            return where
        found = surrogate_path(item, where)
        if found is not None:
            return found
    return None


def text_check(value: str, *, field: str, limit: int, label: str) -> str:
    """Return ``value``, or refuse it naming ``field`` when it is longer than ``limit``.

    ``label`` names the field for people, as in "The comment".
    """
    if len(value) > limit:
        raise DomainError(
            "too_long",
            f"{label} has at most {limit:,} characters, not {len(value):,}.",
            field=field,
        )
    return value
