"""Reads for users and memberships."""

from django.db.models import QuerySet
from django.utils.text import slugify

from milepost.core.errors import NotFound

from .choices import Role
from .models import ApiToken, Membership, Organisation, User


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    """Return the user's memberships with their organisations."""
    return Membership.objects.filter(user=user).select_related("organisation")


def user_get_by_username(*, username: str) -> User | None:
    """Return the active user with this username, or None."""
    return User.objects.filter(username=username, is_active=True).first()


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """Return the user's own API tokens, newest first."""
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(*, user: User, pk: int) -> ApiToken:
    """Return one of the user's own tokens, or raise NotFound."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise NotFound("API token")
    return token


def organisation_get_by_slug(*, slug: str) -> Organisation:
    """Return the organisation with this slug, or raise NotFound."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise NotFound("organisation")
    return organisation


def organisation_find(*, name_or_slug: str) -> Organisation | None:
    """Return the organisation with this slug, or with this name (any case, or its slug)."""
    return (
        Organisation.objects.filter(slug=name_or_slug).first()
        or Organisation.objects.filter(name__iexact=name_or_slug).first()
        or Organisation.objects.filter(slug=slugify(name_or_slug)).first()
    )


def organisations_managed_by(*, user: User) -> QuerySet[Organisation]:
    """Return the organisations in which the user is a manager or admin: those it may contract for."""
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Role.MANAGER, Role.ADMIN]
    ).order_by("name")
