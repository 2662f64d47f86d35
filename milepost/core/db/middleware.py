"""Mark a request's reads for a replica, and pin a person who just wrote to the primary."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from . import health
from .routing import ReadRouting, _current, replica_aliases

# The cookie that holds, as a Unix time, until when the person's reads stay on the primary.
PIN_COOKIE = "milepost_primary_until"
log = logging.getLogger(__name__)
_PARAMETER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def api_path(route: str) -> str:
    """Write a URL route as the API reference does: ``/api/v1/milestones/{milestone_id}``."""
    return "/" + _PARAMETER.sub(r"{\1}", route)


def is_heavy_read(request: HttpRequest) -> bool:
    """Return whether the request is a GET of a page or API path a replica may serve."""
    if request.method not in ("GET", "HEAD"):
        return False
    match = request.resolver_match
    if match is None:
        return False
    if match.view_name in settings.MILEPOST_REPLICA_VIEWS:
        return True
    return api_path(match.route) in settings.MILEPOST_REPLICA_API_PATHS


def pinned(request: HttpRequest) -> bool:
    """Return whether the person wrote recently enough that their reads stay on the primary."""
    try:
        until = float(request.COOKIES.get(PIN_COOKIE, "0"))
    except ValueError:
        return False
    return until > time.time()


class ReplicaReadsMiddleware:
    """Route each request's reads; after a write, keep the person on the primary a while.

    Without replicas it only passes the request on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not replica_aliases():
            return self.get_response(request)
        state = ReadRouting()
        _current.set(state)
        try:
            response = self.get_response(request)
        except BaseException:
            _current.set(None)
            raise
        if response.streaming:
            # A streamed body (an export) is read while it is sent: keep the routing till then.
            response._resource_closers.append(lambda: _current.set(None))  # type: ignore[attr-defined]
        else:
            _current.set(None)
        # A person's change pins them; a page view's own bookkeeping (a calendar feed noting
        # when it was fetched) does not, nor a refused change, which changed nothing.
        if (
            state.wrote
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and response.status_code < 400
        ):
            seconds = settings.MILEPOST_REPLICA_PIN_SECONDS
            if state.pin is not None:
                _store_pin(state.pin, seconds)
                return response
            response.set_cookie(
                PIN_COOKIE,
                str(int(time.time()) + seconds + 1),
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        state = _current.get()
        if state is not None:
            state.replica_reads = is_heavy_read(request) and not pinned(request)
            request._milepost_view = (view_func, view_args, view_kwargs)  # type: ignore[attr-defined]

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        """Serve the page from the primary when the replica failed under it (it went away)."""
        state = _current.get()
        if state is None or state.alias is None or state.alias == "default" or state.wrote:
            return None
        failure = replica_failure(state.alias, exception)
        if not failure:
            return None
        if failure == "down":
            health.mark_down(state.alias, exception)
        state.replica_reads = False
        state.alias = None
        view_func, view_args, view_kwargs = request._milepost_view  # type: ignore[attr-defined]
        return view_func(request, *view_args, **view_kwargs)


def _store_pin(store: Callable[[dt.datetime], None], seconds: int) -> None:
    """Keep the credential's reads on the primary for ``seconds``, on the primary's row.

    The write it pins has been made and answered: a pin that cannot be stored costs the client
    at most a read from a replica a little behind, so it is logged, not raised.
    """
    try:
        store(timezone.now() + dt.timedelta(seconds=seconds + 1))
    except DatabaseError:
        log.warning("could not keep a token's reads on the primary after its write", exc_info=True)


def replica_failure(alias: str, exception: BaseException) -> str:
    """Say how a read on a replica failed: "down", "conflict", or "" for a failure of its own.

    Only a replica that went away is marked down. A hot standby that cancelled the read for a
    conflict with what it replays (SQLSTATE 40001) is fine; the read is simply done again on
    the primary. Any other error (a timeout, a bad query) would fail on the primary too, or
    load it when it is busiest: it is raised as it is.
    """
    if not isinstance(exception, DatabaseError):
        return ""
    if getattr(exception.__cause__, "sqlstate", None) == "40001":
        return "conflict"
    if not isinstance(exception, OperationalError | InterfaceError):
        return ""
    connection = connections[alias]
    return "" if connection.connection is not None and connection.is_usable() else "down"
