"""The events the performance app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class PerformanceEvent(EventType):
    """What happens to a performance milestone's KPI and its measurements."""

    KPI_SET = "kpi.set"
    MEASUREMENT_RECORDED = "measurement.recorded"
    MILESTONE_EVALUATED = "milestone.evaluated"
