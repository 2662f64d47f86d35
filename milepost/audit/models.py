"""The append-only, hash-chained record of every change."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Event(models.Model):
    """One change: who did what to which object, with the values before and after.

    Each row's ``hash`` covers its own content and the previous row's hash, so editing or
    deleting any row breaks the chain from that row on (see ``audit.selectors.chain_verify``).
    ``contract_id`` and ``milestone_id`` are plain integers, not foreign keys: the audit log
    sits below the domain apps and outlives the rows it describes.
    """

    occurred_at = models.DateTimeField()
    # PROTECT: the hash covers actor_id, so a user who acted is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    contract_id = models.BigIntegerField(null=True, blank=True)
    milestone_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="event_object_idx"),
            models.Index(fields=["contract_id", "id"], name="event_contract_idx"),
            models.Index(fields=["milestone_id", "id"], name="event_milestone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action}"
