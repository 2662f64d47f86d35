"""An import waiting between its preview and its apply, and an organisation's contract templates."""

from django.conf import settings
from django.db import models

from milepost.accounts.models import Organisation
from milepost.contracts.models import Contract
from milepost.core.models import TimeStampedModel

from .choices import ImportKind, ImportStatus


class ImportBatch(TimeStampedModel):
    """One uploaded file: read into a preview, then applied whole or not at all.

    The file itself is kept so that applying reads exactly what was previewed; ``options`` holds
    what the person chose on the preview (which rows, which mapping). Only its uploader sees it.
    """

    kind = models.CharField(max_length=24, choices=ImportKind.choices)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_batches"
    )
    # The contract imported into (milestone sheets, programmes) or created (contract sheets and
    # OCDS, once applied); the organisation a new contract belongs to.
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.CASCADE, related_name="import_batches"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveIntegerField()
    file_format = models.CharField(max_length=32, blank=True)
    content = models.BinaryField()
    options = models.JSONField(default=dict, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_batch_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ImportKind.values), name="import_batch_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values),
                name="import_batch_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"


class ContractTemplate(TimeStampedModel):
    """A contract skeleton an organisation saved, shared with its members.

    ``body`` has the shape of the built-in templates (see ``templating.body``): parties by role,
    milestones with dates as offsets, dependencies, payment stages as percentages, gates with
    their approving roles, KPIs and reminder rules.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contract_templates"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    body = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="contract_template_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
