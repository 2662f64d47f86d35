"""How a payment's amount is fixed, and where a payment stands."""

from django.db import models


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
