"""Report types, subscription schedules and delivery states."""

from django.db import models


class ReportType(models.TextChoices):
    CONTRACT_STATUS = "contract_status", "Contract status report"
    LOOK_AHEAD = "look_ahead", "Look-ahead"
    PORTFOLIO = "portfolio", "Portfolio report"
    PAYMENT = "payment", "Payment report"
    COMMUNICATIONS = "communications", "Communications register"


# Who each report is written for, unless the person issuing it names the audience.
DEFAULT_AUDIENCE = {
    ReportType.CONTRACT_STATUS: "Client and board",
    ReportType.LOOK_AHEAD: "Delivery team",
    ReportType.PORTFOLIO: "Executives",
    ReportType.PAYMENT: "Finance",
    ReportType.COMMUNICATIONS: "Contract administration",
}
# The reports about one contract; the portfolio report covers every contract the reader sees.
CONTRACT_TYPES = (
    ReportType.CONTRACT_STATUS,
    ReportType.LOOK_AHEAD,
    ReportType.PAYMENT,
    ReportType.COMMUNICATIONS,
)


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    SKIPPED = "skipped", "Not sent: no longer on the contract"


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
