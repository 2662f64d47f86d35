"""People and the organisations they act for."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from milepost.core.models import TimeStampedModel

from .choices import Role


class User(AbstractUser):
    """A person who signs in. Reminders reach them at a local hour of their own time zone."""

    time_zone = models.CharField(max_length=64, default="Europe/London")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organisation(TimeStampedModel):
    """A company or public body that can be party to contracts."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user acting for an organisation with one role: admin, manager, member or viewer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.organisation}"
