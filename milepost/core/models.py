"""Base model shared by every domain app."""

from django.db import models

from .errors import DomainError


class TimeStampedModel(models.Model):
    """A row that remembers when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def validate_lengths(instance: models.Model) -> None:
    """Refuse any text longer than its column allows, naming the field (SQLite would not)."""
    for field in instance._meta.concrete_fields:
        limit = getattr(field, "max_length", None)
        value = getattr(instance, field.attname, None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise DomainError(
                "too_long",
                f"{str(field.verbose_name).capitalize()} has at most {limit} characters.",
                field=field.name,
            )
