"""Base model shared by every domain app."""

from django.db import models


class TimeStampedModel(models.Model):
    """A row that remembers when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
