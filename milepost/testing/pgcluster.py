"""Pytest plugin: run the suite on a throwaway PostgreSQL cluster when MILEPOST_TEST_POSTGRES=1.

The cluster is made with the PostgreSQL binaries on the machine (``initdb`` and ``pg_ctl`` from
``MILEPOST_PG_BIN``, ``pg_config --bindir`` or /usr/lib/postgresql/*/bin), listens only on
127.0.0.1, and is deleted when the run ends. PostgreSQL refuses to run as root, so under root the
server runs as the ``postgres`` (or ``nobody``) account. The plugin sets ``DATABASE_URL`` before
pytest-django reads the settings. Without the binaries the run fails under ``CI=true`` and is
skipped with the reason otherwise.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

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


def start_cluster() -> tuple[str, Path, str | None, Path]:
    """Start a cluster; return (database URL, data folder, run-as user, bin folder)."""
    bindir = find_pg_bin()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL binaries (initdb, pg_ctl) found")
    user: str | None = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            user = name
            break
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
