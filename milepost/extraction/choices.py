"""What a proposal read from a contract document is, and where its review stands."""

from django.db import models


class ProposalKind(models.TextChoices):
    DELIVERABLE = "deliverable", "Deliverable"
    PAYMENT = "payment", "Payment"
    PERFORMANCE = "performance", "Performance target"
    GATE = "gate", "Gate"
    DAMAGES = "damages", "Delay damages"


class ProposalStatus(models.TextChoices):
    # Read from the text; nobody has looked at it yet.
    PENDING = "pending", "Waiting for review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    # Accepted and created: a milestone (or the contract's delay damages) now carries it.
    APPLIED = "applied", "Created"


OPEN_PROPOSAL_STATUSES = (ProposalStatus.PENDING, ProposalStatus.ACCEPTED)
