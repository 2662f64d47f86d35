"""How a payment's amount is fixed, and where a payment stands."""

from django.db import models

from milepost.schedule.choices import MilestoneStatus

# Payments in these statuses are no longer owed and do not count towards the contract value.
RELEASED = (MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED)


class PaymentBasis(models.TextChoices):
    AMOUNT = "amount", "Fixed amount"
    PERCENTAGE = "percentage", "Percentage of contract value"


class PaymentState(models.TextChoices):
    PLANNED = "planned", "Planned"
    DUE = "due", "Due for invoice"
    INVOICED = "invoiced", "Invoiced"
    OVERDUE = "overdue", "Overdue"
    PAID = "paid", "Paid"
    CLOSED = "closed", "Closed"
