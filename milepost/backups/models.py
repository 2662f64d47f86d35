"""The record of each backup taken of this installation, and of the one it was restored from."""

from django.db import models


class Backup(models.Model):
    """A consistent copy of the whole installation: the database, the evidence files, a manifest.

    A row is written when ``milepost backup`` finishes (so the copy it describes does not hold
    it) and again in a restored installation, marking the backup it came from with
    ``restored_at``. The copy itself lives outside Milepost, at ``path`` on the server.
    """

    taken_at = models.DateTimeField()
    path = models.CharField(max_length=1000)
    vendor = models.CharField(max_length=20)
    milepost_version = models.CharField(max_length=20)
    audit_head = models.CharField(max_length=64, blank=True)
    audit_events = models.PositiveBigIntegerField(default=0)
    rows = models.JSONField(default=dict)
    evidence_files = models.PositiveIntegerField(default=0)
    evidence_bytes = models.PositiveBigIntegerField(default=0)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]

    def __str__(self) -> str:
        return f"Backup of {self.taken_at:%d %b %Y %H:%M} at {self.path}"
