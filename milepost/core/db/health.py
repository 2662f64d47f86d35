"""How far behind each replica is, asked at most every few seconds per process."""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

from .routing import replica_aliases

logger = logging.getLogger(__name__)

# Where the primary put its last WAL record, read first: a standby is 0 behind only once it has
# replayed up to there. Not where WAL has been written to: a commit made without waiting for
# its WAL (synchronous_commit=off) is seen before it is written. And not what the standby has
# received: its stream may itself be behind, or stalled.
PRIMARY_LSN_SQL = "SELECT pg_current_wal_insert_lsn()"

# On a standby: whether it has replayed up to the primary's position, and the age of the last
# transaction it replayed (NULL when it has replayed none yet), which is how far behind it is
# when it has not. A server that is not in recovery (a primary named as a replica, or a test's
# mirror) is 0 behind.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn() >= %s::pg_lsn,
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
"""


@dataclass(frozen=True)
class ReplicaHealth:
    """What one replica answered: how far behind it is, or why it could not say."""

    alias: str
    lag: float | None
    error: str = ""
    in_recovery: bool = True
    checked_at: float = 0.0

    @property
    def usable(self) -> bool:
        """Whether reads may go to it: it answered and is no further behind than the limit."""
        return (
            not self.error
            and self.lag is not None
            and self.lag <= settings.MILEPOST_REPLICA_MAX_LAG_SECONDS
        )

    def describe(self) -> str:
        """Say in a sentence where the replica stands."""
        limit = settings.MILEPOST_REPLICA_MAX_LAG_SECONDS
        if self.error:
            return f"not answering ({self.error}); its reads go to the primary"
        if self.lag is None:
            return "has not replayed anything from the primary yet; its reads go to the primary"
        behind = f"{self.lag:.1f} s behind the primary"
        if not self.in_recovery:
            behind = "not a standby (it is a primary itself), so 0 s behind"
        if self.lag > limit:
            return f"{behind}, over the {limit:g} s limit; its reads go to the primary"
        return f"{behind}; takes reads"


_lock = threading.Lock()
_known: dict[str, ReplicaHealth] = {}
_turn = itertools.count()


def measure(alias: str) -> ReplicaHealth:
    """Ask the replica now how far behind it is; a failure is reported, never raised."""
    connection = connections[alias]
    now = time.monotonic()
    if connection is connections["default"]:
        # The primary's own connection under a replica's name (the test suite's mirror): it is
        # the primary, 0 behind, and asking would add a query to the test's own count.
        return ReplicaHealth(alias=alias, lag=0.0, in_recovery=False, checked_at=now)
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(LAG_SQL, [_primary_lsn()])
                in_recovery, caught_up, age = cursor.fetchone()
            else:
                cursor.execute("SELECT 1")
                in_recovery, caught_up, age = False, True, None
    except DatabaseError as exc:
        _drop_connection(alias)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ReplicaHealth(alias=alias, lag=None, error=reason, checked_at=now)
    if not in_recovery or caught_up:
        lag: float | None = 0.0
    else:
        lag = max(float(age), 0.0) if age is not None else None
    return ReplicaHealth(alias=alias, lag=lag, in_recovery=bool(in_recovery), checked_at=now)


def _primary_lsn() -> str | None:
    """The primary's WAL position (None when the primary is not PostgreSQL, or cannot say: then
    no standby counts as caught up, and its age decides)."""
    primary = connections["default"]
    if primary.vendor != "postgresql":
        return None
    try:
        with primary.cursor() as cursor:
            cursor.execute(PRIMARY_LSN_SQL)
            return str(cursor.fetchone()[0])
    except DatabaseError:
        logger.warning("Could not read the primary's WAL position", exc_info=True)
        return None


def health(alias: str) -> ReplicaHealth:
    """Return the replica's health, measured again when the last measure is too old."""
    now = time.monotonic()
    known = _known.get(alias)
    if known is not None and 0 <= now - known.checked_at < settings.MILEPOST_REPLICA_CHECK_SECONDS:
        return known
    if not _lock.acquire(blocking=False):
        # Another thread of this process is measuring (a replica that is down can take seconds
        # to refuse): go on with the last measure meanwhile rather than queue behind it, and
        # with the primary when there is none yet.
        return known or ReplicaHealth(alias=alias, lag=None, error="not measured yet")
    try:
        # Another thread of this process may have measured it meanwhile.
        known = _known.get(alias)
        if (
            known is not None
            and 0 <= now - known.checked_at < settings.MILEPOST_REPLICA_CHECK_SECONDS
        ):
            return known
        fresh = measure(alias)
        if not fresh.usable:
            logger.warning("Replica %s %s.", alias, fresh.describe())
        _known[alias] = fresh
        return fresh
    finally:
        _lock.release()


def pick() -> str | None:
    """Return a replica that may take reads now, taking them in turn, or None."""
    aliases = replica_aliases()
    if not aliases:
        return None
    start = next(_turn)
    for offset in range(len(aliases)):
        alias = aliases[(start + offset) % len(aliases)]
        if health(alias).usable:
            return alias
    return None


def mark_down(alias: str, error: BaseException) -> None:
    """Record that a read on the replica failed, so reads go to the primary for a while."""
    _drop_connection(alias)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    _known[alias] = ReplicaHealth(alias=alias, lag=None, error=reason, checked_at=time.monotonic())
    logger.warning("Replica %s failed a read (%s); reads go to the primary.", alias, reason)


def forget() -> None:
    """Forget every measure, so the next read asks again (tests, `milepost status`)."""
    _known.clear()


def _drop_connection(alias: str) -> None:
    # A broken connection is closed so the next use opens a new one; never one inside a
    # transaction (in tests a mirror replica is the primary's own connection).
    connection = connections[alias]
    if connection.in_atomic_block or connection is connections["default"]:
        return
    with contextlib.suppress(DatabaseError):
        connection.close()
