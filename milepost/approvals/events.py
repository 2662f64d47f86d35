"""The events the approvals app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class ApprovalEvent(EventType):
    """What happens to a gate: its approvers, their decisions and its outcome."""

    GATE_APPROVER_REQUIRED = "gate.approver_required"
    GATE_DECIDED = "gate.decided"
    GATE_REJECTED = "gate.rejected"
    GATE_PASSED = "gate.passed"
    GATE_REOPENED = "gate.reopened"
