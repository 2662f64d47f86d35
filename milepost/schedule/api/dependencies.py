"""Dependency endpoints: a milestone's links, their types and lags."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.core.errors import NotFound
from milepost.core.schemas import InputSchema, RowId

from ..choices import DependencyType
from ..dependencies import dependency_add, dependency_remove, dependency_update
from ..models import Dependency
from ..selectors import (
    LINKS,
    milestone_get_for_user,
)
from .milestones import milestone_in_contract

# Listed under "milestones" in the API document, a tag the assembling router gives.
router = Router()


class DependencyIn(InputSchema):
    predecessor_id: RowId
    type: DependencyType = DependencyType.FINISH_TO_START
    lag: int = Field(0, ge=-1000, le=1000, description="Days; negative for a lead.")
    working_days: bool = Field(False, description="Count the lag in working days.")


class DependencyOut(Schema):
    id: int
    predecessor_id: int
    predecessor: str
    successor_id: int
    successor: str
    type: str
    lag: int
    working_days: bool

    @staticmethod
    def resolve_predecessor(obj: Dependency) -> str:
        return obj.predecessor.title

    @staticmethod
    def resolve_successor(obj: Dependency) -> str:
        return obj.successor.title


@router.get("/milestones/{milestone_id}/dependencies", response=list[DependencyOut])
def list_dependencies(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read what the milestone follows and what follows it, with each link's type and lag."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id, related=LINKS)
    return [*milestone.predecessor_links.all(), *milestone.successor_links.all()]


@router.post("/milestones/{milestone_id}/dependencies", response={201: DependencyOut})
def add_dependency(request: HttpRequest, milestone_id: RowId, payload: DependencyIn) -> Any:
    """Make this milestone follow another of the same contract; a cycle is refused and named."""
    user = actor(request)
    successor = milestone_get_for_user(user=user, pk=milestone_id)
    predecessor = milestone_in_contract(
        successor.contract, payload.predecessor_id, "predecessor_id"
    )
    link = dependency_add(
        predecessor=predecessor,
        successor=successor,
        type=payload.type,
        lag=payload.lag,
        working_days=payload.working_days,
        actor=user,
    )
    return Status(201, link)


@router.delete("/milestones/{milestone_id}/dependencies/{dependency_id}", response={204: None})
def remove_dependency(request: HttpRequest, milestone_id: RowId, dependency_id: RowId) -> Any:
    """Remove one of the milestone's links (either direction)."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id, related=LINKS)
    links = [*milestone.predecessor_links.all(), *milestone.successor_links.all()]
    dependency = next((d for d in links if d.pk == dependency_id), None)
    if dependency is None:
        raise NotFound("dependency")
    dependency_remove(dependency=dependency, actor=actor(request))
    return Status(204, None)


class DependencyPatch(InputSchema):
    type: DependencyType | None = None
    lag: int | None = Field(None, ge=-1000, le=1000)
    working_days: bool | None = None


@router.patch("/milestones/{milestone_id}/dependencies/{dependency_id}", response=DependencyOut)
def update_dependency(
    request: HttpRequest, milestone_id: RowId, dependency_id: RowId, payload: DependencyPatch
) -> Any:
    """Change a link's type or lag (managers); the successor is pushed if the terms need it."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id, related=LINKS)
    links = [*milestone.predecessor_links.all(), *milestone.successor_links.all()]
    dependency = next((link for link in links if link.pk == dependency_id), None)
    if dependency is None:
        raise NotFound("dependency")
    return dependency_update(dependency=dependency, actor=user, **payload.dict(exclude_unset=True))
