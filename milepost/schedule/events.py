"""The events the schedule records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class ScheduleEvent(EventType):
    """What happens to milestones, their dates and links, change requests, baselines and risks."""

    # A milestone and what people post on it
    MILESTONE_CREATED = "milestone.created"
    MILESTONE_UPDATED = "milestone.updated"
    MILESTONE_STATUS_CHANGED = "milestone.status_changed"
    MILESTONE_PROGRESSED = "milestone.progressed"
    STATUS_UPDATE_POSTED = "status_update.posted"
    COMMENT_ADDED = "comment.added"
    EVIDENCE_ADDED = "evidence.added"
    # A supplier hands a deliverable over: after = {"note": str, "evidence": [evidence ids]}
    DELIVERABLE_SUBMITTED = "deliverable.submitted"
    DELIVERABLE_ACCEPTED = "deliverable.accepted"
    DELIVERABLE_REJECTED = "deliverable.rejected"
    # Its dates
    MILESTONE_RESCHEDULED = "milestone.rescheduled"
    MILESTONE_PLANNED = "milestone.planned"
    MILESTONE_SCHEDULE_CONFLICT = "milestone.schedule_conflict"
    MILESTONE_ANCHOR_SET = "milestone.anchor_set"
    MILESTONE_ANCHOR_CLEARED = "milestone.anchor_cleared"
    MILESTONE_PINNED = "milestone.pinned"
    MILESTONE_UNPINNED = "milestone.unpinned"
    DATES_REPAIRED = "dates.repaired"
    # Links between milestones
    DEPENDENCY_ADDED = "dependency.added"
    DEPENDENCY_UPDATED = "dependency.updated"
    DEPENDENCY_REMOVED = "dependency.removed"
    # Change requests and baselines
    CHANGE_REQUEST_SUBMITTED = "change_request.submitted"
    CHANGE_REQUEST_APPROVED = "change_request.approved"
    CHANGE_REQUEST_REJECTED = "change_request.rejected"
    CHANGE_REQUEST_WITHDRAWN = "change_request.withdrawn"
    BASELINE_CREATED = "baseline.created"
    BASELINE_DELETED = "baseline.deleted"
    # Forecasts, early warnings and recovery actions
    FORECAST_RUN = "forecast.run"
    EARLY_WARNING_RAISED = "early_warning.raised"
    EARLY_WARNING_UPDATED = "early_warning.updated"
    EARLY_WARNING_CLOSED = "early_warning.closed"
    EARLY_WARNING_REOPENED = "early_warning.reopened"
    RECOVERY_ACTION_ADDED = "recovery_action.added"
    RECOVERY_ACTION_UPDATED = "recovery_action.updated"
    RECOVERY_ACTION_COMPLETED = "recovery_action.completed"
