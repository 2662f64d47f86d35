"""The events the interchange app records; see ``milepost.audit.events``.

An applied import or an instantiated template is one event naming the file (its sha256) and the
counts; the objects it made record their own usual events beside it.
"""

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, count, listed, sentence


class InterchangeEvent(EventType):
    """Imports applied, and contract templates saved, changed, deleted and used."""

    IMPORT_APPLIED = "import.applied"
    CONTRACT_TEMPLATE_SAVED = "contract_template.saved"
    CONTRACT_TEMPLATE_CHANGED = "contract_template.changed"
    CONTRACT_TEMPLATE_DELETED = "contract_template.deleted"
    CONTRACT_TEMPLATE_INSTANTIATED = "contract_template.instantiated"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------

_KINDS = {
    "milestone_sheet": "milestones from the spreadsheet",
    "contract_sheet": "contracts from the spreadsheet",
    "programme": "the programme",
    "ocds": "the OCDS file",
}
_NOUNS = {
    "contracts": ("contract", "contracts"),
    "parties": ("party", "parties"),
    "milestones_created": ("new milestone", "new milestones"),
    "milestones_updated": ("updated milestone", "updated milestones"),
    "milestones_unchanged": ("unchanged milestone", "unchanged milestones"),
    "dependencies": ("dependency", "dependencies"),
    "rescheduled": ("milestone rescheduled", "milestones rescheduled"),
    "change_requests": ("change request", "change requests"),
}


def _counts(e: Told) -> str:
    counts = e.after("counts") or {}
    if not isinstance(counts, dict):
        return ""
    parts = []
    for key, value in counts.items():
        if isinstance(value, int) and value:
            words = str(key).replace("_", " ")
            noun, plural = _NOUNS.get(str(key), (words, words))
            parts.append(count(value, noun, plural))
    return ", ".join(parts) if parts else "no changes"


@sentence(
    InterchangeEvent.IMPORT_APPLIED,
    example={
        "after": {
            "kind": "milestone_sheet",
            "file_name": "milestones.xlsx",
            "sha256": "ab" * 32,
            "counts": {"milestones_created": 12, "milestones_updated": 2},
        }
    },
)
def _import_applied(e: Told) -> str:
    if e.after("kind") == "extraction":
        return _extraction_applied(e)
    what = _KINDS.get(str(e.after("kind")), "a file")
    return (
        f"{e.actor} imported {what} '{e.after('file_name')}' "
        f"(sha256 {str(e.after('sha256'))[:12]}…): {_counts(e)}."
    )


def _extraction_applied(e: Told) -> str:
    """The proposals read from a contract document, created: no file was imported."""
    counts = e.after("counts") or {}
    counts = counts if isinstance(counts, dict) else {}
    title = str(e.after("file_name") or "").removesuffix(".csv")
    made = []
    if counts.get("milestones_created"):
        made.append(count(counts["milestones_created"], "milestone", "milestones"))
    if counts.get("dependencies"):
        made.append(count(counts["dependencies"], "dependency", "dependencies"))
    damages = counts.get("damages")
    if damages:
        made.append("delay damages" if damages == 1 else f"delay damages on {damages} milestones")
    what = listed(made) or "nothing new"
    return f"{e.actor} created {what} from the contract document {e.quoted(title, 'read')}."


@sentence(InterchangeEvent.CONTRACT_TEMPLATE_SAVED, example={"after": {"name": "Design and build"}})
def _template_saved(e: Told) -> str:
    return f"{e.actor} saved the contract template '{e.after('name')}'."


@sentence(
    InterchangeEvent.CONTRACT_TEMPLATE_CHANGED,
    example={"before": {"name": "D&B"}, "after": {"name": "Design and build"}},
)
def _template_changed(e: Told) -> str:
    return f"{e.actor} changed the contract template '{e.after('name') or e.before('name')}'."


@sentence(
    InterchangeEvent.CONTRACT_TEMPLATE_DELETED, example={"before": {"name": "Design and build"}}
)
def _template_deleted(e: Told) -> str:
    return f"{e.actor} deleted the contract template '{e.before('name')}'."


@sentence(
    InterchangeEvent.CONTRACT_TEMPLATE_INSTANTIATED,
    example={
        "after": {
            "template": "UK design and build",
            "reference": "HCC-2027-004",
            "counts": {"parties": 2, "milestones_created": 9, "dependencies": 6},
        }
    },
)
def _template_instantiated(e: Told) -> str:
    return (
        f"{e.actor} created contract {e.after('reference')} from the template "
        f"'{e.after('template')}': {_counts(e)}."
    )
