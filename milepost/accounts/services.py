"""Writes for organisations, users, memberships and API tokens."""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.text import slugify

from milepost.audit.services import event_record
from milepost.core.dates import validate_time_zone
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes, validate_lengths

from .choices import Role
from .events import AccountEvent
from .models import ApiToken, Membership, Organisation, User
from .throttle import token_throttled


@transaction.atomic
def organisation_create(*, name: str, slug: str = "", actor: User | None) -> Organisation:
    """Create an organisation with a unique slug."""
    name = name.strip()
    if not name:
        raise DomainError("required", "An organisation needs a name.", field="name")
    slug = slug or slugify(name)[:80]
    try:
        # A name in a non-Latin script slugifies to "", which would make an unusable slug.
        validate_slug(slug)
    except ValidationError as exc:
        raise DomainError(
            "invalid_slug",
            "Give the organisation a slug of Latin letters, digits, hyphens or underscores.",
            field="slug",
        ) from exc
    if len(slug) > 80:
        raise DomainError("invalid_slug", "A slug has at most 80 characters.", field="slug")
    if Organisation.objects.filter(slug=slug).exists():
        raise DomainError(
            "duplicate_slug", f"An organisation '{slug}' already exists.", field="slug"
        )
    org = Organisation(name=name, slug=slug)
    validate_lengths(org)
    org.save()
    event_record(
        actor=actor,
        action=AccountEvent.ORGANISATION_CREATED,
        obj=org,
        after={"name": name, "slug": slug},
    )
    return org


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    time_zone: str = "Europe/London",
    check_password: bool = True,
    operator: bool = False,
    actor: User | None,
) -> User:
    """Create a user who can sign in; the password must pass Django's validators.

    An ``operator`` may also sign in to the Django admin; only an operator (``actor`` None: the
    CLI) or another operator may create one.
    """
    if operator and actor is not None and not actor.is_superuser:
        raise Forbidden("Only an operator may create another operator.")
    username = username.strip()
    if not username:
        raise DomainError("required", "A user needs a username.", field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError(
            "duplicate_username", f"The username '{username}' is taken.", field="username"
        )
    validate_time_zone(time_zone)
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
    )
    validate_lengths(user)
    try:
        User.username_validator(username)
        if email:
            validate_email(email)
    except ValidationError as exc:
        field = "email" if email and "email" in str(exc.messages).lower() else "username"
        raise DomainError(f"invalid_{field}", " ".join(exc.messages), field=field) from exc
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError("weak_password", " ".join(exc.messages), field="password") from exc
    user.is_staff = user.is_superuser = operator
    user.set_password(password)
    user.save()
    event_record(
        actor=actor,
        action=AccountEvent.USER_CREATED,
        obj=user,
        after={"username": username, "email": email, "operator": operator},
    )
    return user


PROFILE_FIELDS = ("first_name", "last_name", "email", "time_zone")


def _profile(user: User, fields: list[str] | tuple[str, ...]) -> dict[str, str]:
    return {name: getattr(user, name) for name in fields}


@transaction.atomic
def user_update_profile(*, user: User, actor: User, **changes: str) -> User:
    """Change a person's own name, email or time zone; nobody else's."""
    if actor.pk != user.pk:
        raise NotFound("user")
    user = User.objects.select_for_update().get(pk=user.pk)
    changed, before = apply_changes(user, changes, editable=PROFILE_FIELDS, snapshot=_profile)
    if not changed:
        return user
    validate_time_zone(user.time_zone)
    validate_lengths(user)
    if user.email:
        try:
            validate_email(user.email)
        except ValidationError as exc:
            raise DomainError("invalid_email", " ".join(exc.messages), field="email") from exc
    user.save(update_fields=changed)
    event_record(
        actor=actor,
        action=AccountEvent.USER_PROFILE_CHANGED,
        obj=user,
        before=before,
        after=_profile(user, changed),
    )
    return user


@transaction.atomic
def membership_set(
    *, user: User, organisation: Organisation, role: str, actor: User | None
) -> Membership:
    """Give ``user`` a role in ``organisation``, or change the role they have.

    An operator (``actor`` None: the CLI or the admin) or an admin of the organisation may.
    """
    if (
        actor is not None
        and not Membership.objects.filter(
            user=actor, organisation=organisation, role=Role.ADMIN
        ).exists()
    ):
        raise Forbidden(f"Only an admin of {organisation} may change its members' roles.")
    if role not in Role.values:
        raise DomainError(
            "invalid_role",
            f"'{role}' is not a role; use one of {', '.join(Role.values)}.",
            field="role",
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if not created and membership.role == role:
        return membership
    before = None if created else {"role": membership.role}
    if not created:
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
    event_record(
        actor=actor,
        action=AccountEvent.MEMBERSHIP_SET,
        obj=membership,
        before=before,
        after={"user": user.username, "organisation": organisation.slug, "role": role},
    )
    return membership


TOKEN_PREFIX = "mp_"


def token_hash(raw: str) -> str:
    """Return the stored form of a raw API token."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, read_only: bool = False, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; return it with the raw secret, which is never stored."""
    name = name.strip()
    if not name:
        raise DomainError("required", "Name the token, such as 'Finance export'.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("expiry_in_past", "The expiry must be in the future.", field="expires_at")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=raw[:10],
        token_hash=token_hash(raw),
        read_only=read_only,
        expires_at=expires_at,
    )
    validate_lengths(token)
    token.save()
    event_record(
        actor=user,
        action=AccountEvent.API_TOKEN_CREATED,
        obj=token,
        after={
            "name": name,
            "prefix": token.prefix,
            "read_only": read_only,
            "expires_at": expires_at,
        },
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once."""
    if token.user_id != actor.pk:
        raise NotFound("API token")
    if token.revoked_at is not None:
        raise DomainError("already_revoked", "This token is revoked already.", field="token")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    event_record(
        actor=actor,
        action=AccountEvent.API_TOKEN_REVOKED,
        obj=token,
        after={"prefix": token.prefix},
    )
    return token


def api_token_authenticate(*, raw: str, address: str | None = None) -> ApiToken | None:
    """Return the live token for a raw secret, marking when it was last used, or None.

    Given the client ``address``, the token carries ``address_throttled``: whether that address
    has used up its allowance of unknown tokens (read in the same query).
    """
    # Always the primary's row: a replica a few seconds behind would still honour a token
    # just revoked, and would not know the pin its last write left.
    tokens = (
        ApiToken.objects.using(DEFAULT_DB_ALIAS)
        .select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
    )
    if address is not None:
        tokens = tokens.annotate(address_throttled=token_throttled(address=address))
    token = tokens.first()
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        # Written at most once a minute per token, so reads stay reads.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_pin(*, token: ApiToken, until: dt.datetime) -> None:
    """Keep the token's reads on the primary until ``until`` (after a write made with it)."""
    ApiToken.objects.filter(pk=token.pk).update(primary_until=until)
