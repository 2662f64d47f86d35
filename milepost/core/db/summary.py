"""The databases in sentences, for `milepost status --system`."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connections

from .health import forget, health
from .routing import replica_aliases


def _where(alias: str) -> str:
    conf = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"the SQLite file {conf['NAME']}"
    host = conf.get("HOST") or "the local socket"
    port = f":{conf['PORT']}" if conf.get("PORT") else ""
    return f"database {conf['NAME']} on {host}{port}"


def _pool(alias: str) -> str:
    pool = (connections[alias].settings_dict.get("OPTIONS") or {}).get("pool")
    if not pool:
        if connections[alias].vendor == "sqlite":
            return ""
        return "; no pool, connections kept open for 60 s"
    if pool is True:
        return "; psycopg pool with its default sizes"
    return (
        f"; a pool of {pool.get('min_size', 4)} to {pool.get('max_size', 4)} connections per "
        f"process (a request waits up to {pool.get('timeout', 30):g} s for one)"
    )


def database_lines() -> list[str]:
    """Describe the primary and each replica, measuring every replica's lag now."""
    primary = connections["default"]
    try:
        with primary.cursor() as cursor:
            if primary.vendor == "postgresql":
                cursor.execute("SHOW server_version")
                version = f"PostgreSQL {str(cursor.fetchone()[0]).split()[0]}"
            else:
                cursor.execute("SELECT sqlite_version()")
                version = f"SQLite {cursor.fetchone()[0]}"
        lines = [f"Primary: {version}, {_where('default')}{_pool('default')}."]
    except DatabaseError as exc:
        lines = [f"Primary: {_where('default')} is not answering ({exc})."]
    aliases = replica_aliases()
    if not aliases:
        lines.append("Replicas: none; every read goes to the primary.")
        return lines
    limit = settings.MILEPOST_REPLICA_MAX_LAG_SECONDS
    pin = settings.MILEPOST_REPLICA_PIN_SECONDS
    lines.append(
        f"Replicas take the dashboard's, the lists', the reports' and the feeds' reads while "
        f"they are at most {limit:g} s behind; a person who writes reads from the primary for "
        f"{pin} s after."
    )
    forget()
    for alias in aliases:
        lines.append(f"  {alias} ({_where(alias)}): {health(alias).describe()}.")
    return lines
