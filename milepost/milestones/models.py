"""Update requests: asking the people who own milestones in the field how their work is going."""

from django.db import models
from django.db.models import Q

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.core.models import TimeStampedModel
from milepost.schedule.models import Milestone


class RoundScope(models.TextChoices):
    """Why a round of update requests was sent."""

    ON_DEMAND = "on_demand", "Asked by a manager"
    CONTRACT_SCHEDULE = "contract_schedule", "The contract's weekly schedule"
    MILESTONE_SCHEDULE = "milestone_schedule", "The milestone's weekly schedule"


class Weekday(models.IntegerChoices):
    """A day of the week as Python counts them (Monday is 0)."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class UpdateRound(TimeStampedModel):
    """One "How is it going?" sent at once to the owners of a contract's open milestones.

    A manager asks on demand (for the whole contract, or for one milestone), or the worker
    asks on the weekday a schedule names. ``scheduled_for`` is the contract's local day a
    scheduled round belongs to, so that a day never gets two rounds of the same schedule.
    Its requests say who answered and who did not.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="update_rounds")
    # Set when the round asks about one milestone only (on demand, or that milestone's schedule).
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="update_rounds"
    )
    scope = models.CharField(max_length=24, choices=RoundScope.choices)
    # Nobody for a scheduled round: the worker sends it.
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    scheduled_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=[s.value for s in RoundScope]), name="update_round_scope"
            ),
            models.CheckConstraint(
                condition=Q(scope="on_demand", scheduled_for__isnull=True)
                | (~Q(scope="on_demand") & Q(scheduled_for__isnull=False)),
                name="update_round_scheduled_day",
            ),
            models.CheckConstraint(
                condition=~Q(scope="milestone_schedule") | Q(milestone__isnull=False),
                name="update_round_milestone_schedule_has_milestone",
            ),
            models.UniqueConstraint(
                fields=["contract", "scheduled_for"],
                condition=Q(scope="contract_schedule"),
                name="update_round_one_per_contract_day",
            ),
            models.UniqueConstraint(
                fields=["milestone", "scheduled_for"],
                condition=Q(scope="milestone_schedule"),
                name="update_round_one_per_milestone_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Update round {self.pk} on {self.contract}"


class UpdateRequest(TimeStampedModel):
    """One person asked about one milestone in one round, through a signed link.

    The link (``links.update_request_path``) works without a password for this milestone and
    this person only, as many times as they like until ``expires_at``; a request replaced by a
    newer one for the same milestone and person, or withdrawn by a manager, is ``revoked``.
    ``answered_at`` is the first answer; ``answers`` counts them all.
    """

    round = models.ForeignKey(UpdateRound, on_delete=models.CASCADE, related_name="requests")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="update_requests"
    )
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="update_requests")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    last_answered_at = models.DateTimeField(null=True, blank=True)
    answers = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["milestone__due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "milestone", "owner"], name="update_request_once_per_round"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("sent_at")), name="update_request_expires"
            ),
            models.CheckConstraint(
                condition=Q(answers=0, answered_at__isnull=True)
                | Q(answers__gt=0, answered_at__isnull=False),
                name="update_request_answered_count",
            ),
        ]
        indexes = [models.Index(fields=["milestone", "owner"], name="update_request_person")]

    def __str__(self) -> str:
        return f"Update request {self.pk} to {self.owner} on {self.milestone}"


class UpdateSchedule(TimeStampedModel):
    """Ask for updates every week on one weekday: for a whole contract, or for one milestone.

    A contract's schedule asks the owner of each of its open milestones; a milestone with a
    schedule of its own is asked on its own weekday instead of the contract's. Rounds go out
    from ``MILEPOST_UPDATE_ROUND_HOUR`` on that weekday in the contract's time zone.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="update_schedules"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="update_schedules"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    set_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="update_schedule_weekday"),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(milestone__isnull=True),
                name="update_schedule_one_per_contract",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(milestone__isnull=False),
                name="update_schedule_one_per_milestone",
            ),
        ]
        indexes = [models.Index(fields=["weekday"], name="update_schedule_weekday_idx")]

    def __str__(self) -> str:
        return f"Updates every {Weekday(self.weekday).label}"
