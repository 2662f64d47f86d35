"""What the risk register and a milestone's risk panel read: the score matrix and the panel."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_access

from ..choices import RecoveryStatus, WarningStatus
from ..models import EarlyWarning, Milestone
from . import (
    RECOVERABLE,
    SCALE,
    score_band,
)
from .early_warnings import open_warnings_for_milestone
from .recovery import milestone_health, recovery_actions_for_milestone, recovery_may_manage


@dataclass(frozen=True)
class MatrixCell:
    """How many open warnings share one likelihood and impact."""

    likelihood: int
    impact: int
    count: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def band(self) -> str:
        return score_band(self.score)


def warning_matrix(*, warnings: Iterable[EarlyWarning]) -> list[list[MatrixCell]]:
    """Count open warnings per likelihood (rows, 5 down to 1) and impact (columns, 1 to 5)."""
    counts: dict[tuple[int, int], int] = {}
    for warning in warnings:
        if warning.status == WarningStatus.OPEN:
            key = (warning.likelihood, warning.impact)
            counts[key] = counts.get(key, 0) + 1
    return [
        [MatrixCell(likelihood, impact, counts.get((likelihood, impact), 0)) for impact in SCALE]
        for likelihood in reversed(SCALE)
    ]


def risk_panel(*, user: User, milestone: Milestone) -> dict[str, Any]:
    """Return what a milestone page shows of its risks, for ``schedule/risks/partials/milestone_panel.html``.

    Merge the keys into the page's context (they are prefixed, so they clash with nothing):

    - ``risk_milestone``: the milestone;
    - ``risk_health``: its health now (``Health`` value);
    - ``risk_warnings``: its open early warnings, highest score first, each with ``score`` and
      ``owner``;
    - ``risk_actions``: its recovery actions, open first, each with ``owner`` and ``created_by``;
    - ``risk_can_add_action``: whether the user may add a recovery action now (their role, the
      milestone missed or at risk, the contract not closed);
    - ``risk_completable``: ids of the open actions the user may change or mark done;
    - ``risk_can_raise_warning``: whether the user may raise an early warning on the contract.
    """
    contract = milestone.contract
    access = contract_access(user=user, contract=contract)
    editable = not contract.is_closed
    health = getattr(milestone, "health", None) or milestone_health(milestone=milestone)
    actions = list(recovery_actions_for_milestone(user=user, milestone=milestone))
    may_manage = editable and recovery_may_manage(access=access, milestone=milestone, user=user)
    return {
        "risk_milestone": milestone,
        "risk_health": health,
        "risk_warnings": list(open_warnings_for_milestone(milestone=milestone)),
        "risk_actions": actions,
        "risk_can_add_action": may_manage and health in RECOVERABLE,
        "risk_completable": {
            action.pk
            for action in actions
            if action.status == RecoveryStatus.OPEN
            and editable
            and recovery_may_manage(access=access, milestone=milestone, user=user, action=action)
        },
        "risk_can_raise_warning": editable and access.can_contribute,
    }
