"""Contracts and the organisations that are party to them."""

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MinValueValidator
from django.db import models

from milepost.accounts.models import Organisation
from milepost.core.models import TimeStampedModel

from .choices import CLOSED_CONTRACT_STATUSES, ContractForm, ContractStatus, NamedRole, PartyRole


class Contract(TimeStampedModel):
    """An agreement between parties whose checkpoints Milepost tracks.

    Its due dates are dates in ``time_zone``; working days follow the holiday calendar of
    ``holiday_country`` (and ``holiday_region``). ``value`` is in ``currency``.
    """

    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="owned_contracts"
    )
    reference = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    value = models.DecimalField(
        max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)
    start_date = models.DateField()
    end_date = models.DateField()
    time_zone = models.CharField(max_length=64, default="Europe/London")
    holiday_country = models.CharField(max_length=8, default="GB")
    holiday_region = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    # A milestone is at risk when its forecast chance of meeting its date falls below this (%).
    at_risk_threshold = models.PositiveSmallIntegerField(default=70)
    # A party may move its own standard milestones without a change request.
    self_reschedule = models.BooleanField(default=True)
    # A leading signal fires when an open milestone has had no status update for this many days.
    stale_update_days = models.PositiveSmallIntegerField(default=14)
    # The standard form: its communications, their clauses and the periods that run on them.
    form = models.CharField(max_length=16, choices=ContractForm.choices, default=ContractForm.PLAIN)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "reference"], name="contract_reference_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="contract_value_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ContractStatus.values), name="contract_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(at_risk_threshold__gte=1, at_risk_threshold__lte=99),
                name="contract_at_risk_threshold_range",
            ),
            models.CheckConstraint(
                condition=models.Q(form__in=ContractForm.values), name="contract_form_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_closed(self) -> bool:
        """Whether the contract is completed or terminated, so nothing in it changes any more."""
        return self.status in CLOSED_CONTRACT_STATUSES


class NonWorkingDay(models.Model):
    """A day this contract does not work on besides weekends and its region's holidays.

    For example a site shutdown over Christmas or a local festival the contract names.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="non_working_days"
    )
    day = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "day"], name="non_working_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.reason})"


class Party(TimeStampedModel):
    """An organisation on a contract in one role. Access to a contract comes only from here."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=16, choices=PartyRole.choices)
    # The role the contract's form names this party in (the Project Manager), if any.
    named_role = models.CharField(
        max_length=16, choices=NamedRole.choices, default=NamedRole.NONE, blank=True
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(fields=["contract", "organisation"], name="party_unique"),
            models.UniqueConstraint(
                fields=["contract", "named_role"],
                condition=~models.Q(named_role=""),
                name="party_named_role_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(named_role__in=NamedRole.values),
                name="party_named_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=PartyRole.values), name="party_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


def document_storage() -> FileSystemStorage:
    """Contract documents live with the evidence files: never served without an access check."""
    return FileSystemStorage(location=settings.EVIDENCE_ROOT)


class ContractDocument(models.Model):
    """A document of the contract itself, such as the signed agreement or a schedule to it.

    It is evidence of the contract: only members of its parties' organisations read it. ``text``
    is the text read from the file, which citations point into by character offsets; ``pages``
    holds the offset at which each page starts (PDFs), so an offset gives its page.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(max_length=300, storage=document_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=8)
    text = models.TextField(blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)
    pages = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title

    def page_of(self, offset: int) -> int | None:
        """The page (from 1) that the character at ``offset`` is on, or None without pages."""
        pages = self.pages or []
        if not pages:
            return None
        return sum(1 for start in pages if start <= offset) or 1


class ContractTally(models.Model):
    """How many milestones a contract has in the states the dashboard counts, kept current.

    The dashboard reads these instead of scanning every milestone: it counts what does not
    depend on the date from here and only the milestones near today from the milestone rows.
    The database keeps the row in step with the contract's milestones, in the transaction that
    changes them (triggers that ``schedule.tallies`` installs, so that no service, bulk import
    or data fix can forget), and ``milepost dashboard_tallies`` recounts them from the rows.
    A contract with no milestone may have no row: read that as all zeros.

    *Open* is scheduled or in progress; *flagged* is open with a risk the milestone itself
    carries (a forecast after its due date, a risk note or a forecast signal).
    """

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    milestone_count = models.IntegerField(default=0)
    open_count = models.IntegerField(default=0)
    not_met_count = models.IntegerField(default=0)
    flagged_count = models.IntegerField(default=0)
    # The earliest due date among the open critical milestones: the contract's next critical date.
    next_critical_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.open_count} of {self.milestone_count} open"
