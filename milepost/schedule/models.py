"""Milestones, the dependencies between them, and what people post against them."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from milepost.contracts.models import Contract, Party
from milepost.core.models import TimeStampedModel

from .choices import Criticality, DependencyType, MilestoneKind, MilestoneStatus


class Milestone(TimeStampedModel):
    """A checkpoint that a contract makes or breaks: measurable, owned, dated.

    ``baseline_due_date`` is the date as agreed and stays put when ``due_date`` moves. The
    kind decides how the milestone is met; health is derived (see ``selectors.with_health``).
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=16, choices=MilestoneKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_milestones"
    )
    responsible_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="responsible_for"
    )
    # For deliverables: the party that accepts the hand-over.
    accepting_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="accepting_for", null=True, blank=True
    )
    criticality = models.CharField(
        max_length=16, choices=Criticality.choices, default=Criticality.STANDARD
    )
    acceptance_criteria = models.TextField()
    baseline_due_date = models.DateField()
    due_date = models.DateField()
    forecast_date = models.DateField(null=True, blank=True)
    # Set by the kind's own rules (e.g. a missed KPI period); any text here makes health at risk.
    risk_note = models.CharField(max_length=200, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=MilestoneStatus.choices, default=MilestoneStatus.SCHEDULED
    )
    met_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["contract", "due_date"], name="milestone_contract_due_idx"),
            models.Index(fields=["status", "due_date"], name="milestone_status_due_idx"),
            models.Index(fields=["owner", "due_date"], name="milestone_owner_due_idx"),
            # The dashboard: its tiles read every open milestone of each visible contract from
            # this index alone (no table rows), its portfolio seeks each contract's first open
            # critical date, and its payments due this month are a range of one kind.
            models.Index(
                fields=[
                    "contract",
                    "status",
                    "due_date",
                    "owner",
                    "progress",
                    "forecast_date",
                    "risk_note",
                ],
                name="milestone_open_cover_idx",
            ),
            models.Index(
                fields=["contract", "criticality", "status", "due_date"],
                name="milestone_contract_crit_idx",
            ),
            models.Index(fields=["kind", "due_date"], name="milestone_kind_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="milestone_progress_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=MilestoneKind.values), name="milestone_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MilestoneStatus.values), name="milestone_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(met_on__isnull=True)
                | models.Q(status__in=[MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET]),
                name="milestone_met_on_only_when_met",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (MilestoneStatus.SCHEDULED, MilestoneStatus.IN_PROGRESS)

    @property
    def slip_days(self) -> int:
        """Days the due date has moved from the baseline (positive is later)."""
        return (self.due_date - self.baseline_due_date).days


class Dependency(TimeStampedModel):
    """Predecessor → successor between two milestones of one contract (finish-to-start)."""

    predecessor = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="successor_links"
    )
    successor = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="predecessor_links"
    )
    type = models.CharField(
        max_length=2, choices=DependencyType.choices, default=DependencyType.FINISH_TO_START
    )

    class Meta:
        verbose_name_plural = "dependencies"
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")), name="dependency_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"

    @property
    def contract_id(self) -> int:
        return self.successor.contract_id


class StatusUpdate(models.Model):
    """A dated note of where a milestone stands, optionally with a new progress figure."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="status_updates"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Update on {self.milestone} by {self.author}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id


class Comment(models.Model):
    """A remark on a milestone by anyone who takes part in the contract."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.milestone} by {self.author}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id


def evidence_storage() -> FileSystemStorage:
    """Store evidence under the data directory; it is never served without an access check."""
    return FileSystemStorage(location=settings.EVIDENCE_ROOT)


class Evidence(models.Model):
    """A file that shows a milestone was delivered, such as a certificate or a test report."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(max_length=300, storage=evidence_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id
