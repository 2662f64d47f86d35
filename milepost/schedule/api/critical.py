"""The critical path: each milestone's total float, the chain with none, and the finish."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import RowId

from ..critical import contract_critical_path

router = Router(tags=["critical path"])


class CriticalMilestoneOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    start: dt.date | None = Field(description="When work starts; null for a point in time.")
    due: dt.date
    latest_finish: dt.date | None = Field(
        description="The latest it could finish without moving the contract's finish or a "
        "pinned date; null for a milestone that is done."
    )
    total_float: int | None = Field(
        description="Working days it can slip without moving the finish; negative: already "
        "behind a pinned date. Null for a milestone that is done (met, not met, waived or "
        "cancelled)."
    )
    critical: bool = Field(description="Open, with no float: on the critical path.")
    pinned: bool
    basis: str = Field(description="How a relative due date was worked out; empty if fixed.")
    conflict: str = Field(description="The pinned date a push would break; empty if none.")


class CriticalPathOut(Schema):
    finish: dt.date | None = Field(description="The latest finish of all; null if none.")
    chain: list[int] = Field(description="The critical milestones' ids, in the order they run.")
    milestones: list[CriticalMilestoneOut] = Field(description="Every milestone, by due date.")
    note: str = Field(
        "", description="Which milestones are left out because a date is out of range, if any."
    )


@router.get("/contracts/{contract_id}/critical-path", response=CriticalPathOut)
def get_critical_path(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the contract's critical path and every milestone's total float (any party's user)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    path = contract_critical_path(contract=contract)
    return {
        "finish": path.finish,
        "chain": [row.id for row in path.chain],
        "milestones": path.rows,
        "note": path.note,
    }
