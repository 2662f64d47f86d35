"""Reads of gate requirements and decisions."""

from dataclasses import dataclass

from milepost.contracts.models import Party
from milepost.schedule.models import Milestone

from .models import GateDecision, GateRequirement


@dataclass(frozen=True)
class GateLine:
    """One required party and its decision, if any."""

    party: Party
    decision: GateDecision | None


def gate_lines(*, milestone: Milestone) -> list[GateLine]:
    """Return each required party of a gate with its decision. The caller checked access."""
    decisions = {
        d.party_id: d
        for d in GateDecision.objects.filter(milestone=milestone).select_related("decided_by")
    }
    requirements = GateRequirement.objects.filter(milestone=milestone).select_related(
        "party__organisation"
    )
    return [GateLine(party=r.party, decision=decisions.get(r.party_id)) for r in requirements]
