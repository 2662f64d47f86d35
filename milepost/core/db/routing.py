"""What the current request (or block of code) may read from a replica."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone


@dataclass
class ReadRouting:
    """One request's routing: may its reads go to a replica, and has it written yet."""

    replica_reads: bool = False
    wrote: bool = False
    # The replica this request reads from, chosen at its first read, so that its reads all see
    # the same moment of the primary.
    alias: str | None = None
    # Where a write pins the person when they carry no cookie (an API token): called with the
    # time until which their reads stay on the primary. None: the pin cookie.
    pin: Callable[[dt.datetime], None] | None = None


def pin_to_primary(*, until: dt.datetime | None, store: Callable[[dt.datetime], None]) -> None:
    """For a request authenticated by a credential that carries its own pin (an API token):
    keep its reads on the primary while ``until`` has not passed, and let a write store the
    next pin with ``store``. Call it before the request's first read."""
    state = current()
    if state is None:
        return
    state.pin = store
    if until is not None and until > timezone.now():
        state.replica_reads = False


_current: ContextVar[ReadRouting | None] = ContextVar("milepost_read_routing", default=None)


def current() -> ReadRouting | None:
    """Return the routing of the request being served, or None outside a request."""
    return _current.get()


def replica_aliases() -> list[str]:
    """Return the aliases of the configured replicas (none: everything goes to the primary)."""
    return list(getattr(settings, "MILEPOST_DB_REPLICAS", []))


@contextmanager
def routing_scope(*, replica_reads: bool = False) -> Iterator[ReadRouting]:
    """Route the block's database reads as one request's, to a replica if ``replica_reads``."""
    state = ReadRouting(replica_reads=replica_reads)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def in_transaction() -> bool:
    """Return whether the primary is inside an atomic block (not counting a test's own)."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    # A test case wraps each test in atomic blocks of its own; they are not a write.
    return any(not getattr(block, "_from_testcase", False) for block in blocks)
