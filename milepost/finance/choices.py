"""The payment regimes a contract can follow, and the words its money is described in."""

from django.db import models


class PaymentRegime(models.TextChoices):
    SCHEME_EW = "scheme_ew", "Scheme for Construction Contracts (England and Wales), 2011"
    SCHEME_SCOTLAND = "scheme_scotland", "Scheme for Construction Contracts (Scotland), 2011"
    NET_30 = "net_30", "Net 30 days from invoice"
    CUSTOM = "custom", "The contract's own payment terms"


class CycleBasis(models.TextChoices):
    INTERIM = "interim", "Interim valuations each period"
    STAGES = "stages", "Milestone stages"


class DamagesUnit(models.TextChoices):
    DAY = "day", "per day"
    WEEK = "week", "per week"


class DeductionKind(models.TextChoices):
    DELAY_DAMAGES = "delay_damages", "Delay damages"
    SERVICE_CREDIT = "service_credit", "Service credit"
    OTHER = "other", "Other grounds"
