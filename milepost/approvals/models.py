"""Gates: decision points that every required party must approve."""

from django.conf import settings
from django.db import models

from milepost.contracts.models import Party
from milepost.schedule.models import Milestone

from .choices import Decision


class GateRequirement(models.Model):
    """A party whose formal approval a gate needs before work moves on."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="gate_requirements"
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="gate_requirements")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "party"], name="gate_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.party} approves {self.milestone}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id


class GateDecision(models.Model):
    """One required party's approval or rejection of a gate, with who decided and why."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="gate_decisions"
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="gate_decisions")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "party"], name="gate_decision_one_per_party"
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=Decision.values), name="gate_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.decision}d {self.milestone}"

    @property
    def contract_id(self) -> int:
        return self.milestone.contract_id
