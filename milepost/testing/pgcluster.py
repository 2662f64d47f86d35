"""Pytest plugin: run the suite on a throwaway PostgreSQL cluster when MILEPOST_TEST_POSTGRES=1.

The cluster is made with the PostgreSQL binaries on the machine (``initdb`` and ``pg_ctl`` from
``MILEPOST_PG_BIN``, ``pg_config --bindir`` or /usr/lib/postgresql/*/bin), listens only on
127.0.0.1, and is deleted when the run ends. PostgreSQL refuses to run as root, so under root the
server runs as the ``postgres`` (or ``nobody``) account. The plugin sets ``DATABASE_URL`` before
pytest-django reads the settings. Without the binaries the run fails under ``CI=true`` and is
skipped with the reason otherwise.

``start_standby`` adds a streaming read replica of a running cluster (``pg_basebackup -R``,
started on another loopback port) for the replica tests; ``stop_standby`` removes it. While the
suite runs on PostgreSQL, a mirror replica alias (``config/settings/test.py``) is the primary's
own connection (``_replica_mirror`` below), so every test reads through the replica router
without seeing another transaction.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_cluster: dict[str, object] = {}


def find_pg_bin() -> Path | None:
    """Return the folder holding initdb and pg_ctl, or None."""
    candidates = [os.environ.get("MILEPOST_PG_BIN", "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        candidates.append(
            subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        )
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as(user: str | None, argv: list[str]) -> None:
    cmd = ["runuser", "-u", user, "--", *argv] if user else argv
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")


def _server_user() -> str | None:
    """Return the account the server runs as: None for ourselves, another account under root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def start_cluster() -> tuple[str, Path, str | None, Path]:
    """Start a cluster; return (database URL, data folder, run-as user, bin folder)."""
    bindir = find_pg_bin()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL binaries (initdb, pg_ctl) found")
    user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="milepost-pg-"))
    base.chmod(0o755)
    data = base / "data"
    if user:
        shutil.chown(base, user=user)
    port = _free_port()
    _run_as(
        user,
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "milepost",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    _run_as(
        user,
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "server.log"),
            "start",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {base} -F -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
        ],
    )
    return f"postgres://milepost@127.0.0.1:{port}/milepost", data, user, bindir


@dataclass
class Standby:
    """A streaming standby of a test cluster, on its own loopback port and data folder."""

    host: str
    port: int
    data: Path
    user: str | None
    bindir: Path

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def stop(self) -> None:
        """Stop the server at once (as a crash would), keeping its data to start it again."""
        if self.running:
            _run_as(
                self.user,
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            )

    def start(self) -> None:
        """Start (again) and wait until it streams from the primary."""
        _run_as(
            self.user,
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-w",
                "-l",
                str(self.data.parent / "standby.log"),
                "start",
                "-o",
                f"-h {self.host} -p {self.port} -k {self.data.parent} -F -c hot_standby=on",
            ],
        )
        self.wait_streaming()

    def wait_streaming(self, seconds: float = 60) -> None:
        """Wait until the standby's WAL receiver streams from the primary."""
        import psycopg

        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(
                    host=self.host,
                    port=self.port,
                    user="milepost",
                    dbname="postgres",
                    connect_timeout=2,
                    autocommit=True,
                ) as conn:
                    row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
                    last = str(row[0]) if row else "no WAL receiver"
                    if last == "streaming":
                        return
            except psycopg.OperationalError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(f"the standby on port {self.port} is not streaming: {last}")


def start_standby(*, host: str, port: int) -> Standby:
    """Copy the running primary at host:port with ``pg_basebackup -R`` and start it as a standby.

    The primary must allow replication connections from loopback (``initdb -A trust`` does).
    """
    bindir = find_pg_bin()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL binaries (pg_basebackup, pg_ctl) found")
    user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="milepost-pg-standby-"))
    base.chmod(0o755)
    if user:
        shutil.chown(base, user=user)
    data = base / "data"
    _run_as(
        user,
        [
            str(bindir / "pg_basebackup"),
            "-h", host, "-p", str(port), "-U", "milepost",
            "-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        ],
    )  # fmt: skip
    standby = Standby(host=host, port=_free_port(), data=data, user=user, bindir=bindir)
    try:
        standby.start()
    except Exception:
        remove_standby(standby)
        raise
    return standby


def remove_standby(standby: Standby) -> None:
    """Stop the standby and delete its data folder."""
    try:
        standby.stop()
    finally:
        shutil.rmtree(standby.data.parent, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _replica_mirror() -> Iterator[None]:
    """Make each test-mirror replica alias the primary's own connection in this thread.

    Django connects a mirror separately, so inside a test's transaction it would not see the
    test's rows; sharing the connection object lets reads routed to the replica see exactly
    what the primary's would. The mirror joins every test's databases, so pytest-django does
    not refuse queries to it (and, being a mirror, it is never flushed on its own).
    """
    from django.conf import settings

    if not settings.configured:
        yield
        return
    databases: dict[str, dict[str, Any]] = settings.DATABASES
    mirrors = [
        alias
        for alias, conf in databases.items()
        if (conf.get("TEST") or {}).get("MIRROR") == "default"
    ]
    if not mirrors:
        yield
        return
    import django.test
    from django.db import connections

    before = django.test.TransactionTestCase.databases
    django.test.TransactionTestCase.databases = {"default", *mirrors}
    for alias in mirrors:
        connections[alias] = connections["default"]
    try:
        yield
    finally:
        django.test.TransactionTestCase.databases = before


def stop_cluster() -> None:
    if not _cluster:
        return
    data = Path(str(_cluster["data"]))
    user = _cluster["user"]
    bindir = Path(str(_cluster["bindir"]))
    try:
        _run_as(
            str(user) if user else None,
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
        )
    finally:
        shutil.rmtree(data.parent, ignore_errors=True)
        _cluster.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    if os.environ.get("MILEPOST_TEST_POSTGRES") != "1" or os.environ.get("DATABASE_URL"):
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    try:
        url, data, user, bindir = start_cluster()
    except FileNotFoundError as exc:
        if os.environ.get("CI") == "true":
            raise pytest.UsageError(f"MILEPOST_TEST_POSTGRES=1 under CI, but {exc}.") from exc
        # Locally a machine without PostgreSQL skips this run, saying why.
        pytest.exit(
            f"Skipping the PostgreSQL run: {exc}. Install PostgreSQL to run it.", returncode=0
        )
    _cluster.update(data=data, user=user, bindir=bindir)
    os.environ["DATABASE_URL"] = url
    os.environ["MILEPOST_TEST_DB_STARTED"] = "1"


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_cluster()
