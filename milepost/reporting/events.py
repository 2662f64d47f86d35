"""The events the reporting app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class ReportEvent(EventType):
    """What happens to issued reports and report subscriptions."""

    REPORT_ISSUED = "report.issued"
    SUBSCRIPTION_CREATED = "report_subscription.created"
    SUBSCRIPTION_CHANGED = "report_subscription.changed"
    SUBSCRIPTION_DELETED = "report_subscription.deleted"
