"""Milestones, the dependencies between them, and what people post against them."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from milepost.contracts.models import Contract, ContractDocument, Party
from milepost.core.models import TimeStampedModel

from .choices import (
    DONE_STATUS_ORDER,
    AnchorEvent,
    ChangeStatus,
    Criticality,
    DependencyType,
    MilestoneKind,
    MilestoneStatus,
    RecoveryStatus,
    WarningStatus,
)

# Open or not met: not one of the done statuses, each ruled out on its own. This is the
# condition of the partial index the overdue list reads, and a query that writes it out the same
# way (``selectors.overdue_q``) is served by it: SQLite matches a bound value against the
# index's literal in a comparison, never inside an IN list, and an inequality cannot send the
# plan to the status index instead.
NOT_DONE = models.Q(*[~models.Q(status=status) for status in DONE_STATUS_ORDER])


class Milestone(TimeStampedModel):
    """A checkpoint that a contract makes or breaks: measurable, owned, dated.

    ``baseline_due_date`` is the date as agreed and stays put when ``due_date`` moves. The
    kind decides how the milestone is met; health is derived (see ``selectors.with_health``).
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=16, choices=MilestoneKind.choices)
    title = models.CharField(max_length=200)
    # The contract's own short name for the milestone ("M3", "A1040", a programme's task id):
    # unique within its contract when given; imports match rows to milestones by it.
    reference = models.CharField(max_length=64, blank=True)
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
    # When work towards it starts; blank means a point in time (it starts when it is due).
    # Start-to-start and start-to-finish links, durations and float read it.
    start_date = models.DateField(null=True, blank=True)
    # A date the contract fixes: it never moves; a push past it is flagged as a conflict.
    pinned = models.BooleanField(default=False)
    # A relative due date: ``anchor_offset`` (working) days after the anchor is met or is due.
    anchor = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="anchored"
    )
    anchor_event = models.CharField(max_length=8, choices=AnchorEvent.choices, blank=True)
    anchor_offset = models.IntegerField(default=0)
    anchor_working_days = models.BooleanField(default=False)
    # How the current due date was worked out, in words, and any pinned date it cannot keep.
    date_basis = models.CharField(max_length=300, blank=True)
    schedule_conflict = models.CharField(max_length=300, blank=True)
    # Three-point estimate of the remaining duration, in working days (all three or none).
    estimate_optimistic = models.PositiveIntegerField(null=True, blank=True)
    estimate_likely = models.PositiveIntegerField(null=True, blank=True)
    estimate_pessimistic = models.PositiveIntegerField(null=True, blank=True)
    # From the latest forecast run: the chance of meeting the due date and the P50/P80 dates.
    # ``forecast_date`` holds the date met with the contract's threshold probability, so that it
    # falls after the due date exactly when that chance is below the threshold.
    on_time_probability = models.FloatField(null=True, blank=True)
    forecast_p50 = models.DateField(null=True, blank=True)
    forecast_p80 = models.DateField(null=True, blank=True)
    # Leading signals from the latest forecast (stale updates, progress behind time, slips).
    signals = models.CharField(max_length=300, blank=True)

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
                    "signals",
                ],
                name="milestone_open_cover_idx",
            ),
            models.Index(
                fields=["contract", "criticality", "status", "due_date"],
                name="milestone_contract_crit_idx",
            ),
            models.Index(fields=["kind", "due_date"], name="milestone_kind_due_idx"),
            # The lists read a page at a time in due-date order: every milestone (the contract
            # in the index, so visibility is checked without reading the row), and the
            # unfinished ones an overdue list reads (``selectors.overdue_q``).
            models.Index(fields=["due_date", "id", "contract"], name="milestone_due_list_idx"),
            models.Index(
                fields=["due_date", "id", "contract"],
                condition=NOT_DONE,
                name="milestone_unfinished_due_idx",
            ),
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
            models.CheckConstraint(
                condition=(
                    models.Q(anchor__isnull=True, anchor_event="")
                    | models.Q(anchor__isnull=False, anchor_event__in=AnchorEvent.values)
                ),
                name="milestone_anchor_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    estimate_optimistic__isnull=True,
                    estimate_likely__isnull=True,
                    estimate_pessimistic__isnull=True,
                )
                | models.Q(
                    estimate_optimistic__lte=models.F("estimate_likely"),
                    estimate_likely__lte=models.F("estimate_pessimistic"),
                ),
                name="milestone_estimate_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(start_date__lte=models.F("due_date")),
                name="milestone_start_before_due",
            ),
            models.UniqueConstraint(
                fields=["contract", "reference"],
                condition=~models.Q(reference=""),
                name="milestone_reference_unique",
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
    """Predecessor → successor between two milestones of one contract.

    The type says which ends are linked (finish-to-start by default); ``lag`` days (working days
    with ``working_days``; negative for a lead) separate them: for finish-to-start, the
    successor starts no earlier than ``lag`` days after the predecessor finishes.
    """

    predecessor = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="successor_links"
    )
    successor = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="predecessor_links"
    )
    type = models.CharField(
        max_length=2, choices=DependencyType.choices, default=DependencyType.FINISH_TO_START
    )
    lag = models.IntegerField(default=0)
    working_days = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "dependencies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=DependencyType.values), name="dependency_type_valid"
            ),
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")), name="dependency_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"

    @property
    def terms(self) -> str:
        """Say the link in words: "finish to start, 5 working days' lag"."""
        text = DependencyType(self.type).label.lower()
        if self.lag:
            unit = "working day" if self.working_days else "day"
            plural = "s" if abs(self.lag) != 1 else ""
            text += f", {abs(self.lag)} {unit}{plural} {'lag' if self.lag > 0 else 'lead'}"
        return text

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


class ChangeRequest(TimeStampedModel):
    """A proposed new due date (or payment amount) for one milestone, with its reason.

    It keeps the old and new values and the impact it showed when submitted; only an approval
    by the counterparty's manager applies it.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="change_requests")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="change_requests"
    )
    requesting_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    old_due_date = models.DateField()
    new_due_date = models.DateField(null=True, blank=True)
    old_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    new_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    impact = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "status"], name="change_contract_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(new_due_date__isnull=False) | models.Q(new_amount__isnull=False),
                name="change_request_changes_something",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ChangeStatus.values), name="change_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Change request #{self.pk} on {self.milestone}"


class Baseline(models.Model):
    """A named, frozen copy of a contract's plan ("Accepted programme v3") to measure slip against."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="baselines")
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "name"], name="baseline_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class BaselineEntry(models.Model):
    """One milestone's dates as a baseline froze them."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="entries")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    start_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "baseline entries"
        constraints = [
            models.UniqueConstraint(fields=["baseline", "milestone"], name="baseline_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.milestone} in {self.baseline}"


class ForecastRun(models.Model):
    """One Monte Carlo forecast of a contract, reproducible from its seed and inputs."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="forecast_runs")
    seed = models.BigIntegerField()
    runs = models.PositiveIntegerField()
    threshold = models.PositiveSmallIntegerField()
    # A digest of every input the simulation read, so two runs can be shown to share them.
    inputs_digest = models.CharField(max_length=64)
    as_of = models.DateField()
    finish_p50 = models.DateField(null=True, blank=True)
    finish_p80 = models.DateField(null=True, blank=True)
    # The chance that every milestone is met by the contract's end date.
    on_time_probability = models.FloatField(null=True, blank=True)
    elapsed_ms = models.FloatField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "-created_at"], name="forecast_contract_idx")]

    def __str__(self) -> str:
        return f"Forecast #{self.pk} of {self.contract}"


class ForecastResult(models.Model):
    """One open milestone's outcome in a forecast run."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="results")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="+")
    p50 = models.DateField()
    p80 = models.DateField()
    on_time_probability = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "milestone"], name="forecast_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.milestone} in {self.run}"


class EarlyWarning(TimeStampedModel):
    """A risk raised against one or more milestones, with likelihood and impact, until closed."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="early_warnings")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Both on a 1 (low) to 5 (high) scale; their product ranks the register.
    likelihood = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    milestones = models.ManyToManyField(Milestone, related_name="early_warnings")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mitigation = models.TextField(blank=True)
    status = models.CharField(
        max_length=8, choices=WarningStatus.choices, default=WarningStatus.OPEN
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_by_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)

    class Meta:
        ordering = ["status", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(likelihood__gte=1, likelihood__lte=5),
                name="warning_likelihood_range",
            ),
            models.CheckConstraint(
                condition=models.Q(impact__gte=1, impact__lte=5), name="warning_impact_range"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=WarningStatus.values), name="warning_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RecoveryAction(TimeStampedModel):
    """What a missed or at-risk milestone gets: cause, plan, owner and a new target date."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="recovery_actions"
    )
    cause = models.TextField()
    plan = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    new_target = models.DateField()
    status = models.CharField(
        max_length=8, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "new_target", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RecoveryStatus.values), name="recovery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Recovery of {self.milestone}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id


class Citation(models.Model):
    """Where a milestone came from in the contract's own words: a clause of one of its documents.

    ``start`` and ``end`` are character offsets into the document's text; ``quote`` keeps the
    words themselves, so the citation reads the same if the document's text is read again.
    """

    milestone = models.OneToOneField(Milestone, on_delete=models.CASCADE, related_name="citation")
    document = models.ForeignKey(
        ContractDocument, on_delete=models.PROTECT, related_name="citations"
    )
    clause = models.CharField(max_length=40, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    page = models.PositiveIntegerField(null=True, blank=True)
    quote = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="citation_span_ordered"
            )
        ]

    def __str__(self) -> str:
        where = f"clause {self.clause}" if self.clause else "the contract"
        return f"From {where}: {self.quote[:80]}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id
