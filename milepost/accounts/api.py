"""API authentication (bearer tokens or the browser session) and the personal-token endpoints."""

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from milepost.core.db.routing import pin_to_primary
from milepost.core.errors import Forbidden
from milepost.core.schemas import InputSchema, IsoDateTime, RowId

from .models import ApiToken, User
from .selectors import api_token_get_for_user, api_tokens_for_user
from .services import (
    api_token_authenticate,
    api_token_create,
    api_token_pin,
    api_token_revoke,
    user_update_profile,
)
from .throttle import client_address, token_failure_record, token_throttle_check

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerAuth(HttpBearer):
    """``Authorization: Bearer mp_…``: a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        # Guessing is throttled per client address: past the limit of unknown tokens every
        # bearer request from that address answers 429 until the window has passed.
        address = client_address(request)
        found = api_token_authenticate(raw=token, address=address)
        if found is None or found.address_throttled:  # type: ignore[attr-defined]
            token_throttle_check(address=address)
        if found is None:
            token_failure_record(address=address)
            return None
        if found.read_only and request.method not in SAFE_METHODS:
            raise Forbidden("This token is read-only.", code="token_read_only")
        # A client without cookies carries no pin: its token does (read your own writes).
        pin_to_primary(
            until=found.primary_until,
            store=lambda until: api_token_pin(token=found, until=until),
        )
        request.user = found.user
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; ninja checks the CSRF token on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF guards a signed-in session only: without one this scheme does not apply, and a
        # request with no valid credentials answers 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


def actor(request: HttpRequest) -> User:
    """Return the user the API authenticated for this request."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


router = Router(tags=["tokens"])


class TokenIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    read_only: bool = False
    expires_at: IsoDateTime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    read_only: bool
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    created_at: dt.datetime


class TokenCreatedOut(TokenOut):
    token: str


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request: HttpRequest) -> Any:
    """List your API tokens (their secrets are never shown again)."""
    return api_tokens_for_user(user=actor(request))


@router.post("/tokens", response={201: TokenCreatedOut})
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    """Create a personal API token; the response holds the secret, shown this once."""
    token, raw = api_token_create(user=actor(request), **payload.dict())
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": raw})


@router.post("/tokens/{token_id}/revoke", response=TokenOut)
def revoke_token(request: HttpRequest, token_id: RowId) -> ApiToken:
    """Revoke one of your tokens; it stops working at once."""
    token = api_token_get_for_user(user=actor(request), pk=token_id)
    return api_token_revoke(token=token, actor=actor(request))


class ProfileOut(Schema):
    username: str
    first_name: str
    last_name: str
    email: str
    time_zone: str


class ProfilePatch(InputSchema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    time_zone: str | None = Field(None, max_length=64)


@router.get("/me", response=ProfileOut, tags=["profile"])
def get_profile(request: HttpRequest) -> User:
    """Read your own profile."""
    return actor(request)


@router.patch("/me", response=ProfileOut, tags=["profile"])
def update_profile(request: HttpRequest, payload: ProfilePatch) -> User:
    """Change your name, email or time zone (an IANA name such as Europe/London)."""
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return user_update_profile(user=actor(request), actor=actor(request), **changes)
