"""REST endpoints for gates: required parties, decisions, re-opening and release."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user, party_get_for_contract
from milepost.core.errors import DomainError
from milepost.core.schemas import InputSchema, IsoDate, LongText, Note, RowId
from milepost.schedule.api.milestones import MilestoneIn, milestone_fields
from milepost.schedule.choices import Criticality, MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestone_get_for_user

from .selectors import GateLine, gate_lines
from .services import gate_create, gate_decide, gate_release, gate_reopen

router = Router(tags=["gates"])


class GateLineOut(Schema):
    party_id: int
    party: str
    decision: str | None
    comment: str | None
    decided_by: str | None
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_party_id(obj: GateLine) -> int:
        return obj.party.pk

    @staticmethod
    def resolve_party(obj: GateLine) -> str:
        return obj.party.organisation.name

    @staticmethod
    def resolve_decision(obj: GateLine) -> str | None:
        return obj.decision.decision if obj.decision else None

    @staticmethod
    def resolve_comment(obj: GateLine) -> str | None:
        return obj.decision.comment if obj.decision else None

    @staticmethod
    def resolve_decided_by(obj: GateLine) -> str | None:
        return obj.decision.decided_by.username if obj.decision else None

    @staticmethod
    def resolve_decided_at(obj: GateLine) -> dt.datetime | None:
        return obj.decision.decided_at if obj.decision else None


class GateOut(Schema):
    milestone_id: int
    status: str
    lines: list[GateLineOut]


class GateDecisionIn(InputSchema):
    party_id: RowId
    decision: Literal["approve", "reject"]
    comment: Note = ""
    # A decision given earlier, as the contract's records have it; never in the future.
    decided_on: IsoDate | None = None


class GateReopenIn(InputSchema):
    reason: Note


class GateReleaseIn(InputSchema):
    status: Literal["waived", "cancelled"]
    reason: Note


def _gate(milestone: Milestone) -> dict[str, Any]:
    if milestone.kind != MilestoneKind.GATE:
        raise DomainError("not_a_gate", "This milestone is not a gate.", field="kind")
    return {
        "milestone_id": milestone.pk,
        "status": milestone.status,
        "lines": gate_lines(milestone=milestone),
    }


@router.get("/milestones/{milestone_id}/gate", response=GateOut)
def get_gate(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read each required party of a gate and its decision."""
    return _gate(milestone_get_for_user(user=actor(request), pk=milestone_id))


@router.post("/milestones/{milestone_id}/gate/decisions", response=GateOut)
def decide(request: HttpRequest, milestone_id: RowId, payload: GateDecisionIn) -> Any:
    """Approve or reject a gate for one required party you manage."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    party = party_get_for_contract(
        contract=milestone.contract, pk=payload.party_id, field="party_id"
    )
    gate_decide(
        milestone=milestone,
        party=party,
        decision=payload.decision,
        comment=payload.comment,
        actor=actor(request),
        decided_on=payload.decided_on,
    )
    return _gate(milestone)


@router.post("/milestones/{milestone_id}/gate/reopen", response=GateOut)
def reopen(request: HttpRequest, milestone_id: RowId, payload: GateReopenIn) -> Any:
    """Re-open a rejected gate for a fresh round of decisions."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    gate_reopen(milestone=milestone, reason=payload.reason, actor=actor(request))
    return _gate(milestone)


@router.post("/milestones/{milestone_id}/gate/release", response=GateOut)
def release(request: HttpRequest, milestone_id: RowId, payload: GateReleaseIn) -> Any:
    """Waive or cancel a gate; it takes a manager of every required party."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    gate_release(
        milestone=milestone, status=payload.status, reason=payload.reason, actor=actor(request)
    )
    return _gate(milestone)


class GateIn(MilestoneIn):
    """A gate: every required party must approve before it passes."""

    responsible_party: RowId
    required_parties: list[RowId]
    acceptance_criteria: LongText
    criticality: Criticality = Criticality.CRITICAL


@router.post("/contracts/{contract_id}/gates", response={201: GateOut})
def create_gate(request: HttpRequest, contract_id: RowId, payload: GateIn) -> Any:
    """Add a gate that each required party approves or rejects."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    milestone = gate_create(
        contract=contract,
        **milestone_fields(contract, payload, "responsible_party"),
        required_parties=[
            party_get_for_contract(contract=contract, pk=pk, field="required_parties")
            for pk in payload.required_parties
        ],
        actor=user,
    )
    return Status(201, _gate(milestone_get_for_user(user=user, pk=milestone.pk)))
