"""Milestone kinds, statuses (OCDS plus waived and cancelled), their transitions, and health."""

from django.db import models

from milepost.core.errors import DomainError


class MilestoneKind(models.TextChoices):
    DELIVERABLE = "deliverable", "Deliverable"
    PAYMENT = "payment", "Payment"
    PERFORMANCE = "performance", "Performance"
    GATE = "gate", "Gate"


class MilestoneStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    MET = "met", "Met"
    PARTIALLY_MET = "partially_met", "Partially met"
    NOT_MET = "not_met", "Not met"
    WAIVED = "waived", "Waived"
    CANCELLED = "cancelled", "Cancelled"


S = MilestoneStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset(
        {S.IN_PROGRESS, S.MET, S.PARTIALLY_MET, S.NOT_MET, S.WAIVED, S.CANCELLED}
    ),
    S.IN_PROGRESS: frozenset({S.MET, S.PARTIALLY_MET, S.NOT_MET, S.WAIVED, S.CANCELLED}),
    S.PARTIALLY_MET: frozenset({S.MET, S.NOT_MET, S.WAIVED}),
    S.NOT_MET: frozenset({S.IN_PROGRESS, S.WAIVED}),
    S.MET: frozenset(),
    S.WAIVED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({S.SCHEDULED, S.IN_PROGRESS})
DONE_STATUSES = frozenset({S.MET, S.PARTIALLY_MET, S.WAIVED, S.CANCELLED})
# The done statuses in a fixed order: "not one of these" (open or not met) is the condition of
# the partial index an overdue list reads, and a query must write it out exactly as the index does.
DONE_STATUS_ORDER = (S.MET, S.PARTIALLY_MET, S.WAIVED, S.CANCELLED)
# Statuses a person may set by hand on each kind; the rest follow from acceptance (deliverable),
# payment records (payment), measurements (performance) or party decisions (gate).
MANUAL_STATUSES: dict[str, frozenset[str]] = {
    MilestoneKind.DELIVERABLE: frozenset({S.IN_PROGRESS, S.NOT_MET, S.WAIVED, S.CANCELLED}),
    MilestoneKind.PAYMENT: frozenset({S.NOT_MET, S.WAIVED, S.CANCELLED}),
    MilestoneKind.PERFORMANCE: frozenset({S.WAIVED, S.CANCELLED}),
    MilestoneKind.GATE: frozenset({S.WAIVED, S.CANCELLED}),
}
HOW_MET: dict[str, str] = {
    MilestoneKind.DELIVERABLE: "is met when the receiving party accepts it",
    MilestoneKind.PAYMENT: "follows its invoiced and paid records",
    MilestoneKind.PERFORMANCE: "is computed from its measurements",
    MilestoneKind.GATE: "follows the required parties' decisions",
}


def check_transition(current: str, new: str) -> None:
    """Raise ``invalid_transition`` unless the table allows ``current`` to become ``new``."""
    if new not in S.values:
        raise DomainError("invalid_status", f"'{new}' is not a milestone status.", field="status")
    if new not in TRANSITIONS[current]:
        raise DomainError(
            "invalid_transition",
            f"A milestone that is {S(current).label.lower()} cannot become {S(new).label.lower()}.",
            field="status",
        )


class Criticality(models.TextChoices):
    CRITICAL = "critical", "Critical"
    STANDARD = "standard", "Standard"


class Health(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OVERDUE = "overdue", "Overdue"
    DONE = "done", "Done"


class DependencyType(models.TextChoices):
    """How a successor's dates follow its predecessor's (start and finish of each)."""

    FINISH_TO_START = "FS", "Finish to start"
    START_TO_START = "SS", "Start to start"
    FINISH_TO_FINISH = "FF", "Finish to finish"
    START_TO_FINISH = "SF", "Start to finish"


class AnchorEvent(models.TextChoices):
    """What a relative due date counts from: its anchor's met date or its due date."""

    MET = "met", "is met"
    DUE = "due", "due date"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class WarningStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RecoveryStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
