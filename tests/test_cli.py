"""The `milepost` command, run as a subprocess the way a person runs it."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from milepost.testing.clock import command

MILEPOST = str(Path(sys.executable).parent / "milepost")


def run(
    data_dir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(MILEPOST_DATA_DIR=str(data_dir), **(env or {}))
    result = subprocess.run(
        command([MILEPOST, *args]), capture_output=True, text=True, env=environment, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"milepost {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a migrated database and the demo loaded."""
    path = tmp_path_factory.mktemp("milepost-data")
    run(path, "migrate", "--noinput")
    run(path, "demo")
    return path


def shell(data_dir: Path, code: str) -> str:
    """Run Python in `milepost shell` and return the last line it printed."""
    return run(data_dir, "shell", "-c", code).stdout.strip().splitlines()[-1]


def count_milestones(data_dir: Path) -> int:
    code = "from milepost.schedule.models import Milestone; print(Milestone.objects.count())"
    return int(shell(data_dir, code))


def test_migrate_creates_an_sqlite_database_in_wal_mode_under_the_data_dir(data_dir):
    database = data_dir / "milepost.sqlite3"
    assert database.exists()
    code = "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    assert shell(data_dir, code) == "wal"


def test_demo_prints_logins_and_running_it_again_adds_nothing(data_dir):
    before = count_milestones(data_dir)
    result = run(data_dir, "demo")
    assert "already loaded" in result.stdout
    assert "cora" in result.stdout and "milepost-demo" in result.stdout
    assert count_milestones(data_dir) == before > 0


def test_status_lists_overdue_and_at_risk_milestones_per_contract(data_dir):
    result = run(data_dir, "status", "--user", "cora")
    assert "HCC-2026-014" in result.stdout
    assert "Drainage survey report" in result.stdout
    assert "Overdue" in result.stdout
    assert "At risk" in result.stdout
    assert "Patient portal" not in result.stdout  # cora's council is not party to the IT contract


def test_status_for_an_unknown_user_fails_with_a_message(data_dir):
    result = run(data_dir, "status", "--user", "nobody-here", check=False)
    assert result.returncode != 0
    assert "No active user 'nobody-here'" in result.stderr


def test_createuser_adds_a_member_who_can_then_be_reported_on(data_dir):
    result = run(
        data_dir,
        "createuser",
        "nia",
        "--organisation",
        "northgate-construction",
        "--role",
        "viewer",
        env={"MILEPOST_PASSWORD": "a-long-enough-passphrase"},
    )
    assert "Created nia, viewer at Northgate Construction Ltd" in result.stdout
    status = run(data_dir, "status", "--user", "nia")
    assert "HCC-2026-014" in status.stdout


def test_createuser_refuses_a_taken_username_and_names_the_field(data_dir):
    result = run(
        data_dir,
        "createuser",
        "cora",
        "--organisation",
        "harbour-city-council",
        check=False,
        env={"MILEPOST_PASSWORD": "a-long-enough-passphrase"},
    )
    assert result.returncode != 0
    assert "username: The username 'cora' is taken." in result.stderr


def test_verify_audit_reports_an_intact_chain(data_dir):
    result = run(data_dir, "verify_audit")
    assert "The audit trail is intact" in result.stdout


def test_django_commands_pass_through(data_dir):
    result = run(data_dir, "check")
    assert "System check identified no issues" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_pages_and_static_files_on_loopback(data_dir):
    port = _free_port()
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment["MILEPOST_DATA_DIR"] = str(data_dir)
    server = subprocess.Popen(
        command([MILEPOST, "serve", "--port", str(port), "--workers", "1"]),
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:
                    page = response.read().decode()
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert "Sign in" in page
        with urllib.request.urlopen(f"{base}/static/web/milepost.css", timeout=5) as response:
            assert response.status == 200
            assert b"--brand" in response.read()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output


def test_createuser_operator_can_open_the_django_admin(data_dir):
    run(
        data_dir,
        "createuser",
        "olga",
        "--organisation",
        "Operations",
        "--operator",
        env={"MILEPOST_PASSWORD": "a-long-enough-passphrase"},
    )
    code = "from milepost.accounts.models import User; u = User.objects.get(username='olga'); print(u.is_staff and u.is_superuser)"
    assert shell(data_dir, code) == "True"


def test_status_names_every_contract_even_with_nothing_needing_attention(data_dir):
    result = run(data_dir, "status", "--user", "maya")
    assert "MHT-IT-2026-07 Patient portal" in result.stdout
    assert "MHT-ADV-2026-03 Digital strategy review" in result.stdout


def test_createuser_finds_an_existing_organisation_by_its_name(data_dir):
    result = run(
        data_dir,
        "createuser",
        "nora",
        "--organisation",
        "Northgate Construction Ltd",
        env={"MILEPOST_PASSWORD": "a-long-enough-passphrase"},
    )
    assert "Created nora, member at Northgate Construction Ltd" in result.stdout
    assert "HCC-2026-014" in run(data_dir, "status", "--user", "nora").stdout
