"""``Idempotency-Key`` for the API: a retried POST gets the first successful answer back.

The key is claimed in the same transaction as the write it guards, so the claim and the write
commit together or not at all: a crash loses neither half, and a second request with the same
key waits for the first (PostgreSQL's unique index; SQLite's write lock) and then replays it.
Only successful answers are kept; a refused request wrote nothing and may simply be retried.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import IdempotentRequest, User
from .services import api_token_authenticate

HEADER = "Idempotency-Key"
KEEP_FOR = dt.timedelta(hours=24)


class _Refused(Exception):
    """The guarded request did not succeed: undo the claim and pass its answer on."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "field": HEADER}}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def _caller(request: HttpRequest) -> User | None:
    """Who the API will take this request to be from (it authenticates again, as always)."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw:
        token = api_token_authenticate(raw=raw.strip())
        return token.user if token else None
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type == "multipart/form-data":
        # Reading a multipart body here would load the whole upload into memory.
        digest.update(request.META.get("CONTENT_LENGTH", "").encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(stored: IdempotentRequest, fingerprint: str) -> HttpResponse:
    if stored.fingerprint != fingerprint:
        return _error(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
        )
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type=stored.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _stored(user: User, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(
        user=user, key=key, created_at__gt=timezone.now() - KEEP_FOR
    ).first()


class IdempotencyMiddleware:
    """Guard every POST under the API that carries an ``Idempotency-Key`` header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = settings.API_PREFIX

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(self.prefix):
            return self.get_response(request)
        if not 1 <= len(key) <= 200 or not key.isprintable():
            return _error(400, "invalid", "Idempotency-Key is 1 to 200 printable characters.")
        user = _caller(request)
        if user is None:
            return self.get_response(request)  # the API itself answers 401
        fingerprint = _fingerprint(request)
        stored = _stored(user, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            with transaction.atomic():
                IdempotentRequest.objects.filter(
                    user=user, created_at__lte=timezone.now() - KEEP_FOR
                ).delete()
                claim = IdempotentRequest.objects.create(
                    user=user, key=key, fingerprint=fingerprint
                )
                response = self.get_response(request)
                if not 200 <= response.status_code < 300 or response.streaming:
                    raise _Refused(response)
                claim.status_code = response.status_code
                claim.content_type = response.get("Content-Type", "")
                claim.body = response.content
                claim.save(update_fields=["status_code", "content_type", "body"])
        except _Refused as refused:
            return refused.response
        except IntegrityError:
            # Another request with this key committed first: answer as it did.
            stored = _stored(user, key)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        return response
