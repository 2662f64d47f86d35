"""Which way a KPI must go, and how often it is measured."""

from django.db import models


class Direction(models.TextChoices):
    AT_LEAST = "at_least", "At least"
    AT_MOST = "at_most", "At most"


class Period(models.TextChoices):
    DAY = "day", "Daily"
    WEEK = "week", "Weekly"
    MONTH = "month", "Monthly"
    QUARTER = "quarter", "Quarterly"


class CreditMethod(models.TextChoices):
    """How a missed period's service credit is worked out."""

    FIXED = "fixed", "A fixed amount per missed period"
    PERCENT_OF_CHARGE = "percent_of_charge", "A percentage of the period's charge"
    BANDS = "bands", "A percentage of the period's charge by how far it missed"
