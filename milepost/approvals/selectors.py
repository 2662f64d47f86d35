"""Reads of gate requirements and decisions."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Window

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.contracts.models import Party
from milepost.schedule.choices import OPEN_STATUSES, MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestones_for_user

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


# Who decides for a party on a gate: its organisation's managers and admins.
DECIDERS = (Role.MANAGER, Role.ADMIN)


def _undecided_for(user: User) -> QuerySet[GateRequirement, GateRequirement]:
    """The gate requirements of the parties ``user`` decides for that are not yet decided."""
    return GateRequirement.objects.filter(
        party__organisation__memberships__user=user,
        party__organisation__memberships__role__in=DECIDERS,
    ).exclude(
        Exists(
            GateDecision.objects.filter(milestone=OuterRef("milestone"), party=OuterRef("party"))
        )
    )


def gate_requirements_awaiting(user: User) -> QuerySet[GateRequirement, Any]:
    """The open gates still waiting for a party the user decides for, as a subquery of ids.

    It starts from the (few) gate requirements rather than testing every milestone.
    """
    return (
        _undecided_for(user)
        .filter(milestone__kind=MilestoneKind.GATE, milestone__status__in=OPEN_STATUSES)
        .values("milestone_id")
    )


def gates_awaiting(qs: QuerySet[Milestone], user: User) -> QuerySet[Milestone]:
    return qs.filter(pk__in=gate_requirements_awaiting(user))


def gates_awaiting_page(
    *, user: User, now: dt.datetime | None, limit: int
) -> tuple[list[Milestone], int]:
    party = (
        _undecided_for(user)
        .filter(milestone=OuterRef("pk"))
        .order_by("id")
        .values("party__organisation__name")[:1]
    )
    # The requirements of the parties the user decides for first (from the user's memberships),
    # then only their open gates, read with health: as one query SQLite started from every gate
    # milestone and tested each against the requirements.
    awaiting = list(_undecided_for(user).values_list("milestone_id", flat=True))
    if not awaiting:
        return [], 0
    gates: list[Milestone] = list(
        milestones_for_user(user=user, now=now)
        .filter(pk__in=awaiting, kind=MilestoneKind.GATE, status__in=OPEN_STATUSES)
        .annotate(awaiting_party=Subquery(party), matching=Window(Count("id")))
        .order_by("due_date", "id")[:limit]
    )
    return gates, int(getattr(gates[0], "matching", 0)) if gates else 0


def gates_awaiting_decision(
    *, user: User, now: dt.datetime | None = None, limit: int = 20
) -> list[Milestone]:
    """Return open gates still waiting for a party the user decides for, by due date.

    Each carries ``awaiting_party``: the name of one such party.
    """
    return gates_awaiting_page(user=user, now=now, limit=limit)[0]
