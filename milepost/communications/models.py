"""Formal communications under a contract, and the contract's own periods for them."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from milepost.contracts.models import Contract, Party, document_storage
from milepost.core.models import TimeStampedModel
from milepost.finance.models import PaymentCycle
from milepost.schedule.models import EarlyWarning, Milestone

from .choices import SENT_STATES, CommunicationState, Outcome, PeriodUnit
from .deadlines import delay_words


class ContractPeriod(models.Model):
    """A period the contract changes from its form's default (its contract data).

    Only changed periods have a row; every other period is the form's (``catalogue``). A
    communication keeps the deadline worked out when it was sent: changing a period later
    moves only what is sent after.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="periods")
    key = models.CharField(max_length=32)
    length = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=24, choices=PeriodUnit.choices)

    class Meta:
        ordering = ["contract", "key"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="contract_period_unique"),
            models.CheckConstraint(
                condition=models.Q(unit__in=PeriodUnit.values), name="contract_period_unit_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(length__gte=0, length__lte=520),
                name="contract_period_length_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.length} {self.unit}"


class Communication(TimeStampedModel):
    """A formal communication under the contract: a notice, a quotation, a submission, a reply.

    It is sent by one party to another under a clause of the contract's form. Once sent it
    never changes (a correction is a new communication); only the clock moves it on: an answer
    (``replied``), silence after a notified failure (``deemed``), a notification later than its
    time bar (``time_barred``), withdrawal, or the change it brings being made (``implemented``).

    ``reply_due`` is the last day for the answer it waits for, from ``owed_by``, while
    ``awaiting``; ``deems_on`` is the last day before silence becomes acceptance, once the
    sender has notified the failure to answer. Every date is a day on the contract's calendar.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="communications")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=32)
    clause = models.CharField(max_length=16, blank=True)
    state = models.CharField(
        max_length=16, choices=CommunicationState.choices, default=CommunicationState.DRAFT
    )
    sender = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    # The communication this answers, and the first of its thread (itself for a first one).
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    thread = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    milestones = models.ManyToManyField(Milestone, blank=True, related_name="communications")
    early_warning = models.ForeignKey(
        EarlyWarning, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment_cycle = models.ForeignKey(
        PaymentCycle, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the sender became aware of what it notifies (a compensation event's time bar).
    aware_on = models.DateField(null=True, blank=True)
    # The event arises from the Project Manager's own instruction: no time bar (NEC4 cl. 61.3).
    from_manager_instruction = models.BooleanField(default=False)
    # A quotation's change to the Prices, and its delay to the dates (days later, or earlier).
    quoted_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    quoted_delay_days = models.IntegerField(null=True, blank=True)
    # A generic notice's own period for reply, in the form's unit for replies.
    reply_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # An extension's new last day for the reply it extends.
    extends_to = models.DateField(null=True, blank=True)
    sent_on = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    time_bar_date = models.DateField(null=True, blank=True)
    awaiting = models.BooleanField(default=False)
    reply_due = models.DateField(null=True, blank=True)
    owed_by = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deems_on = models.DateField(null=True, blank=True)
    # The moment ``deems_on`` ends in the contract's time zone: the worker's scan reads this.
    deems_at = models.DateTimeField(null=True, blank=True)
    deemed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        indexes = [
            models.Index(fields=["contract", "state"], name="communication_state_idx"),
            # The worker's scan: silence after a notified failure, as its last day passes.
            models.Index(
                fields=["deems_at"],
                condition=models.Q(state="sent", deems_at__isnull=False),
                name="communication_deems_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="communication_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=CommunicationState.values),
                name="communication_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values), name="communication_outcome_valid"
            ),
            models.CheckConstraint(
                # A draft withdrawn was never sent; everything else was, on a day.
                condition=models.Q(state__in=["draft", "withdrawn"])
                | models.Q(sent_on__isnull=False),
                name="communication_sent_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(quoted_amount__isnull=True)
                | models.Q(quoted_amount__gte=Decimal("-9999999999999999.99")),
                name="communication_quoted_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    @property
    def reference(self) -> str:
        return f"C-{self.number:03d}" if self.number else "a new communication"

    @property
    def is_sent(self) -> bool:
        return self.state in SENT_STATES

    @property
    def delay_words(self) -> str:
        """A quotation's delay to the dates in words: "5 days later"."""
        return delay_words(self.quoted_delay_days)


class Attachment(models.Model):
    """A file sent with a communication, such as a programme, a quotation's breakdown or a
    photograph of the ground found. It is evidence of the contract: only the parties' members
    read it (a draft's, only the sender's), and once the communication is sent it never
    changes, as the communication does not."""

    communication = models.ForeignKey(
        Communication, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(max_length=300, storage=document_storage)
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

    def __str__(self) -> str:
        return self.original_name
