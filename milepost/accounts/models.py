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


class ApiToken(TimeStampedModel):
    """A personal token for the REST API, shown once and stored only as a SHA-256 hash.

    A read-only token may call only safe methods; an expired or revoked token authenticates
    nobody. ``prefix`` (the first characters) lets a person tell their tokens apart.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # After a write made with this token, its reads stay on the primary until then (a client
    # that keeps no cookies carries no pin of its own; see milepost.core.db.middleware).
    primary_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotentRequest(models.Model):
    """The first successful answer to a POST sent with an ``Idempotency-Key``, kept for a day.

    A client that retries with the same key gets this answer back instead of a second write.
    ``fingerprint`` is a hash of the method, path and body, so reusing a key for a different
    request is refused rather than answered with the wrong result.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.key}"


class ApiTokenFailure(models.Model):
    """Requests from one client address whose bearer token matched no live token.

    ``failures`` counts those since the address's last quiet window; at the limit the address
    is answered 429 until the window has passed since ``last_failure_at`` (see ``throttle``).
    """

    ip_address = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.ip_address} ({self.failures} failed tokens)"
