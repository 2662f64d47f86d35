"""The events the approvals app records; see ``milepost.audit.events``."""

import re

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence


class ApprovalEvent(EventType):
    """What happens to a gate: its approvers, their decisions and its outcome."""

    GATE_APPROVER_REQUIRED = "gate.approver_required"
    GATE_DECIDED = "gate.decided"
    GATE_REJECTED = "gate.rejected"
    GATE_PASSED = "gate.passed"
    GATE_REOPENED = "gate.reopened"


def gate_name(title: object) -> str:
    """Name a gate once, without its article: "Fit-out stage gate", "Design gate"."""
    text = str(title)
    return text if re.search(r"\bgate\b", text, re.IGNORECASE) else f"{text} gate"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------


@sentence(ApprovalEvent.GATE_APPROVER_REQUIRED)
def _approver_required(e: Told) -> str:
    party = e.organisation(e.after("party"), "a party")
    return f"{e.actor} made {party} a required approver of the {gate_name(e.milestone)}."


@sentence(ApprovalEvent.GATE_DECIDED)
def _decided(e: Told) -> str:
    verb = "rejected" if e.after("decision") == "reject" else "approved"
    party = e.organisation(e.after("party"), "their party")
    when = f" on {e.date(e.after('decided_on'))}" if e.after("decided_on") else ""
    return f"{e.actor} {verb} the {gate_name(e.milestone)} for {party}{when}{e.note('comment')}."


@sentence(ApprovalEvent.GATE_REJECTED)
def _rejected(e: Told) -> str:
    return f"The {gate_name(e.milestone)} was not passed{e.note('reason')}."


@sentence(ApprovalEvent.GATE_PASSED)
def _passed(e: Told) -> str:
    return (
        f"The {gate_name(e.milestone)} passed on {e.date(e.after('met_on'))}, "
        f"with the last approval it needed from {e.actor}."
    )


@sentence(ApprovalEvent.GATE_REOPENED)
def _reopened(e: Told) -> str:
    return f"{e.actor} reopened the {gate_name(e.milestone)} for new decisions{e.note('reason')}."
