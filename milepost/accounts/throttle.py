"""Throttling of password guessing (through django-axes) and of API token guessing.

Sign-in (``/login/`` and ``/admin/login/``): django-axes counts failed attempts per username
and per client address; at ``MILEPOST_LOGIN_FAILURE_LIMIT`` failures that username, or that
address, is locked out for ``MILEPOST_LOGIN_LOCKOUT_MINUTES``, and even the right password is
refused until then or until an operator runs ``milepost unlock``. The page and its timing are
the same whether the username exists or not.

API tokens: every request whose bearer token matches no live token counts against its client
address; at ``MILEPOST_TOKEN_FAILURE_LIMIT`` failures within ``MILEPOST_TOKEN_FAILURE_WINDOW_MINUTES``
the address gets 429 for every bearer request until the window has passed since its last failure.

Each lockout leaves one audit event when it begins (``login.locked_out``, ``api_token.throttled``).
"""

import datetime as dt
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F
from django.http import HttpRequest
from django.utils import timezone

from milepost.audit.services import event_record
from milepost.core.errors import DomainError

from .events import AccountEvent
from .models import ApiTokenFailure


def client_address(request: HttpRequest) -> str:
    """Return the address the request came from.

    Behind ``MILEPOST_TRUSTED_PROXIES`` reverse proxies, each of which appends the address it
    heard from to ``X-Forwarded-For``, that is the entry the outermost trusted proxy added;
    anything to its left was written by the client and is not believed.
    """
    proxies = settings.MILEPOST_TRUSTED_PROXIES
    remote = str(request.META.get("REMOTE_ADDR") or "")
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return forwarded[0] if forwarded else remote
    return forwarded[-proxies]


class AuditedAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler that audits each lockout as it begins, and on a
    successful sign-in clears only that username's failures.

    django-axes would also clear every failure from the address, so a guesser with an account
    of its own could sign in between guesses and never be locked out.
    """

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        was_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or was_locked or not getattr(request, "axes_locked_out", False):
            return
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        attempt = (
            AccessAttempt.objects.filter(username=username, ip_address=address)
            .order_by("-attempt_time")
            .first()
        )
        if attempt is None:
            return
        event_record(
            actor=None,
            action=AccountEvent.LOGIN_LOCKED_OUT,
            obj=attempt,
            after={
                "username": username or "",
                "ip_address": address,
                "path": request.axes_path_info,
                "failures": request.axes_failures_since_start,
                "minutes": lockout_minutes(),
            },
        )


def lockout_minutes() -> int:
    """Return how long a sign-in lockout lasts, in whole minutes."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


LOCKOUT_MESSAGE = (
    "Too many failed sign-in attempts for this account or from your network. "
    "Sign-in is locked for {minutes} minutes; try again later, or ask an operator to unlock it."
)


def lockout_message() -> str:
    """The sentence a locked-out person reads (the same for known and unknown usernames)."""
    return LOCKOUT_MESSAGE.format(minutes=lockout_minutes())


class TooManyTokenFailures(DomainError):
    """This address sent too many unknown bearer tokens; HTTP answers 429."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            "too_many_attempts",
            "Too many requests with an invalid API token from your address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            field="Authorization",
        )
        self.retry_after = retry_after


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.MILEPOST_TOKEN_FAILURE_WINDOW_MINUTES)


def token_throttled(*, address: str) -> Exists:
    """An expression that is true while ``address`` has used up its failed-token allowance.

    The token look-up annotates its row with it, so a request with a good token still costs one
    query; only a throttled or unknown token reads the failure row again.
    """
    return Exists(
        ApiTokenFailure.objects.filter(
            ip_address=address,
            failures__gte=settings.MILEPOST_TOKEN_FAILURE_LIMIT,
            last_failure_at__gt=timezone.now() - _window(),
        )
    )


def token_throttle_check(*, address: str) -> None:
    """Raise ``TooManyTokenFailures`` if ``address`` has used up its failed-token allowance."""
    row = ApiTokenFailure.objects.filter(ip_address=address).first()
    if row is None or row.failures < settings.MILEPOST_TOKEN_FAILURE_LIMIT:
        return
    until = row.last_failure_at + _window()
    now = timezone.now()
    if until > now:
        raise TooManyTokenFailures(retry_after=int((until - now).total_seconds()) + 1)


@transaction.atomic
def token_failure_record(*, address: str) -> None:
    """Count one unknown bearer token from ``address``; audit the moment it reaches the limit.

    A failure after a quiet window starts the count again.
    """
    now = timezone.now()
    row, created = ApiTokenFailure.objects.select_for_update().get_or_create(
        ip_address=address, defaults={"failures": 1, "last_failure_at": now}
    )
    if created:
        # A new address is the only way the table grows: drop those whose window has passed.
        ApiTokenFailure.objects.filter(last_failure_at__lt=now - _window()).delete()
    if not created:
        if now - row.last_failure_at > _window():
            row.failures = 1
        else:
            row.failures = F("failures") + 1
        row.last_failure_at = now
        row.save(update_fields=["failures", "last_failure_at"])
        row.refresh_from_db(fields=["failures"])
    if row.failures == settings.MILEPOST_TOKEN_FAILURE_LIMIT:
        event_record(
            actor=None,
            action=AccountEvent.API_TOKEN_THROTTLED,
            obj=row,
            after={
                "ip_address": address,
                "failures": row.failures,
                "minutes": settings.MILEPOST_TOKEN_FAILURE_WINDOW_MINUTES,
            },
        )


@transaction.atomic
def login_unlock(*, username: str = "", ip_address: str = "", actor: Any = None) -> int:
    """Clear the failed sign-ins of ``username`` and/or of ``ip_address``; return how many.

    An address's failed API tokens are cleared with it. An audit event names what was unlocked.
    """
    username, ip_address = username.strip(), ip_address.strip()
    if not username and not ip_address:
        raise DomainError(
            "required", "Name the username or the address to unlock.", field="username"
        )
    attempts = AccessAttempt.objects.all()
    if username:
        attempts = attempts.filter(username=username)
    if ip_address:
        attempts = attempts.filter(ip_address=ip_address)
    first = attempts.order_by("attempt_time").first()
    tokens = ApiTokenFailure.objects.filter(ip_address=ip_address) if ip_address else None
    token_row = tokens.first() if tokens is not None else None
    if first is None and token_row is None:
        what = " and ".join(
            part for part in (username and f"'{username}'", ip_address and ip_address) if part
        )
        raise DomainError(
            "not_locked",
            f"No failed sign-ins or API tokens are recorded for {what}.",
            field="username" if username else "ip_address",
        )
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    after = {"username": username, "ip_address": ip_address, "failures": failures}
    if token_row is not None:
        after["token_failures"] = token_row.failures
    event_record(
        actor=actor,
        action=AccountEvent.LOGIN_UNLOCKED,
        obj=first if first is not None else token_row,  # type: ignore[arg-type]
        after=after,
    )
    attempts.delete()
    if tokens is not None:
        tokens.delete()
    return failures + (token_row.failures if token_row is not None else 0)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for sign-ins that come with a request.

    Every sign-in page passes its request; only code in the same process (a test client's
    ``login``, the shell) authenticates without one, and there is no client to throttle.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
