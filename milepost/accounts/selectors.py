"""Reads for users and memberships."""

from django.db.models import QuerySet

from .models import Membership, User


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    """Return the user's memberships with their organisations."""
    return Membership.objects.filter(user=user).select_related("organisation")


def user_get_by_username(*, username: str) -> User | None:
    """Return the active user with this username, or None."""
    return User.objects.filter(username=username, is_active=True).first()
