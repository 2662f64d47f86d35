"""What the extractor read from a contract document, waiting for a person's review."""

from django.conf import settings
from django.db import models

from milepost.contracts.models import ContractDocument
from milepost.core.models import TimeStampedModel
from milepost.schedule.models import Milestone

from .choices import ProposalKind, ProposalStatus


class Reading(TimeStampedModel):
    """One reading of a document's text by the extractor: what it says about the contract as a
    whole (``facts``: parties and roles, contract date, term, calendar, contract sum, retention,
    payment terms), and which version of the extractor read it. Its proposals hang off the
    document."""

    document = models.OneToOneField(
        ContractDocument, on_delete=models.CASCADE, related_name="reading"
    )
    text_sha256 = models.CharField(max_length=64)
    extractor_version = models.CharField(max_length=16)
    facts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Reading of {self.document}"


class Proposal(TimeStampedModel):
    """A milestone, payment, target, gate or delay-damages term read from the text.

    ``proposed`` is what the extractor read, in the shape of ``milepost extract --json`` (its
    citation included) and never changes; ``values`` is what the reviewer settled on (the
    proposed values, edited). Nothing is created until an accepted proposal is applied.
    """

    document = models.ForeignKey(
        ContractDocument, on_delete=models.CASCADE, related_name="proposals"
    )
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=ProposalKind.choices)
    proposed = models.JSONField(default=dict)
    values = models.JSONField(default=dict, blank=True)
    edited = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="proposal_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ProposalKind.values), name="proposal_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ProposalStatus.values),
                name="proposal_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()}: {self.values.get('title') or self.proposed.get('title')}"
        )

    @property
    def contract_id(self) -> int:
        return self.document.contract_id
