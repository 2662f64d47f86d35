"""Base model shared by every domain app."""

from collections.abc import Callable
from typing import Any

from django.db import models

from .errors import DomainError
from .text import TEXT_LIMITS


class TimeStampedModel(models.Model):
    """A row that remembers when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def validate_lengths(instance: models.Model) -> None:
    """Refuse any text longer than its column allows, naming the field (SQLite would not).

    A text column's limit is the one ``milepost.core.text.TEXT_LIMITS`` gives it.
    """
    text_limits = TEXT_LIMITS.get(instance._meta.label, {})
    for field in instance._meta.concrete_fields:
        limit = text_limits.get(field.name) or getattr(field, "max_length", None)
        value = getattr(instance, field.attname, None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise DomainError(
                "too_long",
                f"{str(field.verbose_name).capitalize()} has at most {limit:,} characters.",
                field=field.name,
            )


def apply_changes(
    instance: models.Model,
    changes: dict[str, Any],
    *,
    editable: tuple[str, ...],
    snapshot: Callable[[Any, list[str]], dict[str, Any]],
) -> tuple[list[str], dict[str, Any]]:
    """Set the editable fields whose values differ, with text trimmed.

    Return the names of the changed fields and ``snapshot`` of them as they were, for the
    event's "before". An unknown field is refused with ``not_editable``.
    """
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise DomainError(
            "not_editable", f"'{unknown[0]}' cannot be changed here.", field=unknown[0]
        )
    cleaned = {
        name: value.strip() if isinstance(value, str) else value for name, value in changes.items()
    }
    changed = [name for name, value in cleaned.items() if getattr(instance, name) != value]
    before = snapshot(instance, changed)
    for name in changed:
        setattr(instance, name, cleaned[name])
    return changed, before
