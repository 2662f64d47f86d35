"""Roles a member holds in an organisation, from most to least powerful."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.MANAGER: 2, Role.ADMIN: 3}


def at_least(role: str, minimum: Role) -> bool:
    """Return whether ``role`` carries at least the rights of ``minimum``."""
    return RANK[Role(role)] >= RANK[minimum]
