"""`milepost backup` and `milepost restore`, run the way an operator runs them.

The round trip runs on whichever database the suite runs on (SQLite, or PostgreSQL with
MILEPOST_TEST_POSTGRES=1): a backup taken while another thread keeps posting status updates and
attaching evidence, restored into a fresh data directory (and, on PostgreSQL, a fresh database).
"""

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections

from milepost.accounts.services import user_create
from milepost.audit.models import Event
from milepost.backups import archive
from milepost.backups.models import Backup
from milepost.core.errors import DomainError
from milepost.schedule.models import Evidence, StatusUpdate
from milepost.schedule.records import evidence_add, status_update_post

from .conftest import PASSWORD, build_world

MILEPOST = str(Path(sys.executable).parent / "milepost")


def database_url(name: str | None = None) -> str:
    """The test database (or another on the same server), as a URL a process can open."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    return (
        f"postgres://{conf['USER']}:{conf['PASSWORD'] or ''}@{conf['HOST']}:{conf['PORT']}"
        f"/{name or conf['NAME']}"
    )


def milepost(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MILEPOST_DATA_DIR")
    }
    environment.update(env)
    result = subprocess.run(
        [MILEPOST, *args], capture_output=True, text=True, env=environment, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"milepost {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def this_installation() -> dict[str, str]:
    """The environment that points `milepost` at the test database and its evidence files."""
    return {"MILEPOST_DATA_DIR": str(settings.DATA_DIR), "DATABASE_URL": database_url()}


@contextmanager
def fresh_installation(folder: Path) -> Iterator[dict[str, str]]:
    """An empty data directory and, on PostgreSQL, an empty database on the test server."""
    env = {"MILEPOST_DATA_DIR": str(folder)}
    if connection.vendor == "sqlite":
        yield env
        return
    name = f"milepost_restore_{uuid.uuid4().hex[:10]}"
    server = connections.create_connection("default")
    try:
        with server.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield {**env, "DATABASE_URL": database_url(name)}
    finally:
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def shell(env: dict[str, str], code: str) -> object:
    """Run Python in `milepost shell` against an installation; return what it printed as JSON."""
    output = milepost("shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    return json.loads(output)


def certificate(i: int) -> bytes:
    return f"%PDF-1.4 inspection certificate {i}\n".encode() * 50


class Writer(threading.Thread):
    """Posts status updates, and every fourth time attaches evidence, until stopped."""

    def __init__(self, world) -> None:
        super().__init__(daemon=True)
        self.world = world
        self.milestone = world.deliverable()
        self.stop = threading.Event()
        self.writes = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                status_update_post(
                    milestone=self.milestone,
                    text=f"Pour {self.writes} complete",
                    actor=self.world.supplier_member,
                )
                if self.writes % 4 == 0:
                    upload = SimpleUploadedFile(
                        f"certificate-{self.writes}.pdf",
                        certificate(self.writes),
                        "application/pdf",
                    )
                    evidence_add(
                        milestone=self.milestone, upload=upload, actor=self.world.supplier_member
                    )
                self.writes += 1
                time.sleep(0.005)
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            connection.close()


def wait_for_writes(writer: Writer, *, beyond: int, seconds: float = 30) -> bool:
    """Wait up to ``seconds`` until the writer has written more than ``beyond``; say whether."""
    deadline = time.monotonic() + seconds
    while writer.writes <= beyond and writer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    return writer.writes > beyond


def test_a_backup_taken_while_updates_are_written_restores_into_a_fresh_installation(
    transactional_db, tmp_path
):
    # Given a contract whose milestone someone keeps updating and attaching certificates to
    world = build_world()
    writer = Writer(world)
    writer.start()
    assert wait_for_writes(writer, beyond=4), writer.errors
    # When the operator backs up while those writes go on
    written_before = writer.writes
    started = time.monotonic()
    backup = milepost("backup", str(tmp_path / "backup"), env=this_installation())
    seconds = time.monotonic() - started
    written_during = writer.writes
    advanced_after = wait_for_writes(writer, beyond=written_during)
    writer.stop.set()
    writer.join(timeout=60)
    assert not writer.errors, writer.errors
    assert written_during > written_before >= 5, "no status update was posted during the backup"
    assert advanced_after, "the writer stopped writing after the backup"
    assert "Backed up the" in backup.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    # Then the manifest describes one moment between the first writes and the last
    updates_in_backup = manifest["rows"]["schedule.statusupdate"]
    print(
        f"\n[backup test, {connection.vendor}] `milepost backup` took {seconds:.1f} s; "
        f"{written_during - written_before} status updates were posted while it ran; the backup "
        f"holds {updates_in_backup} of the {StatusUpdate.objects.count()} posted."
    )
    assert 5 <= updates_in_backup < StatusUpdate.objects.count()
    assert manifest["database"]["vendor"] == connection.vendor
    assert Event.objects.get(action="backup.taken").after["audit_head"] == manifest["audit"]["head"]
    assert Event.objects.filter(hash=manifest["audit"]["head"]).exists()
    files = {f["sha256"]: f for f in manifest["evidence"]["files"]}
    assert len(files) == manifest["rows"]["schedule.evidence"] >= 2
    first = certificate(0)
    stored = files[hashlib.sha256(first).hexdigest()]
    assert stored["size"] == len(first)

    # And restoring it into an empty installation brings back every row, file and event
    with fresh_installation(tmp_path / "restored") as target:
        restore = milepost("restore", str(tmp_path / "backup"), env=target)
        assert "match the manifest" in restore.stdout
        restored = shell(
            target,
            "import json; from milepost.audit.models import Event; "
            "from milepost.schedule.models import Evidence, StatusUpdate; "
            "last = Event.objects.order_by('-id').first(); "
            "print(json.dumps({'updates': StatusUpdate.objects.count(), "
            "'posted': Event.objects.filter(action='status_update.posted').count(), "
            "'evidence': Evidence.objects.count(), "
            "'added': Event.objects.filter(action='evidence.added').count(), "
            "'last': [last.action, last.prev_hash]}))",
        )
        assert restored == {
            "updates": updates_in_backup,
            "posted": updates_in_backup,
            "evidence": len(files),
            "added": len(files),
            # The restore is recorded after the backup's last event, so the chain goes on.
            "last": ["backup.restored", manifest["audit"]["head"]],
        }
        assert (tmp_path / "restored" / "evidence" / stored["path"]).read_bytes() == first
        assert "The audit trail is intact" in milepost("verify_audit", env=target).stdout


def test_backup_refuses_a_folder_that_already_holds_files(db, tmp_path):
    # Given a folder that holds something already
    (tmp_path / "notes.txt").write_text("keep me")
    # When the operator backs up into it
    with pytest.raises(CommandError) as refused:
        call_command("backup", str(tmp_path))
    # Then nothing is written and the message says to choose a new folder
    assert "path:" in str(refused.value)
    assert "is not an empty folder; choose a new folder" in str(refused.value)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert not Backup.objects.exists()


def test_a_backup_is_recorded_in_the_audit_trail_with_its_folder(transactional_db, tmp_path):
    # Given an installation with a contract
    build_world()
    # When the operator takes a backup
    call_command("backup", str(tmp_path / "nightly"))
    # Then the audit trail says where it went and which event it reaches
    event = Event.objects.order_by("-id").first()
    assert event.action == "backup.taken"
    assert event.after["path"] == str(tmp_path / "nightly")
    manifest = json.loads((tmp_path / "nightly" / "manifest.json").read_text())
    assert event.after["audit_head"] == manifest["audit"]["head"] == event.prev_hash
    assert Backup.objects.get().evidence_files == 0
    # Only its owner may read it: it holds password hashes and webhook secrets.
    assert (tmp_path / "nightly").stat().st_mode & 0o077 == 0


def test_restore_refuses_an_installation_that_already_has_data(db, tmp_path):
    # Given a backup of this installation
    build_world()
    call_command("backup", str(tmp_path / "backup"))
    events = Event.objects.count()
    # When the operator restores it over this installation, which has tables and rows
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(tmp_path / "backup"))
    # Then it is refused with what to do instead, and nothing changes
    assert "restore only into" in str(refused.value)
    field = "MILEPOST_DATA_DIR" if connection.vendor == "sqlite" else "DATABASE_URL"
    assert str(refused.value).startswith(f"{field}:")
    assert Event.objects.count() == events


def test_restore_refuses_a_folder_without_a_manifest(db, tmp_path):
    # Given a backup that stopped before its manifest was written
    (tmp_path / "database.sqlite3").write_bytes(b"")
    # When the operator restores it
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(tmp_path))
    # Then it is refused as unfinished
    assert "has no manifest.json: it is not a finished Milepost backup" in str(refused.value)


def test_restore_refuses_a_backup_of_the_other_kind_of_database(db, tmp_path):
    # Given a backup whose manifest says it is of the other database
    call_command("backup", str(tmp_path / "backup"))
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text())
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest["database"]["vendor"] = other
    path.write_text(json.dumps(manifest))
    # When the operator restores it
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(tmp_path / "backup"))
    # Then it says which database it needs
    assert f"This is a backup of a {other} database and the target is {connection.vendor}" in str(
        refused.value
    )


def test_restore_refuses_a_manifest_that_points_outside_the_backup(db, tmp_path):
    # Given a manifest edited to name a file outside the backup folder
    call_command("backup", str(tmp_path / "backup"))
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["evidence"]["files"] = [{"path": "../../etc/passwd", "size": 1, "sha256": "0"}]
    path.write_text(json.dumps(manifest))
    # When the operator restores it
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(tmp_path / "backup"))
    # Then nothing is read from outside it
    assert "names a file outside the backup folder" in str(refused.value)


def test_restore_reports_an_evidence_file_that_changed_in_the_backup(transactional_db, tmp_path):
    # Given a backup with a certificate in it, whose copy was later damaged
    world = build_world()
    upload = SimpleUploadedFile("certificate.pdf", certificate(1), "application/pdf")
    evidence = evidence_add(
        milestone=world.deliverable(), upload=upload, actor=world.supplier_member
    )
    milepost("backup", str(tmp_path / "backup"), env=this_installation())
    damaged = tmp_path / "backup" / "evidence" / evidence.file.name
    damaged.write_bytes(b"not the certificate")
    # When the operator restores it into an empty installation
    with fresh_installation(tmp_path / "restored") as target:
        result = milepost("restore", str(tmp_path / "backup"), env=target, check=False)
        # Then the restore fails, naming the file, and no restore is recorded
        assert result.returncode != 0
        assert (
            f"The evidence file {evidence.file.name} does not match the checksum in the manifest."
            in result.stderr
        )
        restored = shell(
            target,
            "import json; from milepost.audit.models import Event; "
            "print(json.dumps(Event.objects.filter(action='backup.restored').count()))",
        )
        assert restored == 0
    assert Evidence.objects.count() == 1


def test_a_missing_pg_dump_is_reported_with_how_to_install_it(monkeypatch, tmp_path):
    # Given a machine without PostgreSQL's client programs
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MILEPOST_PG_BIN", raising=False)
    monkeypatch.setattr(archive, "PG_INSTALL_ROOT", tmp_path / "postgresql")
    # When a backup looks for pg_dump
    with pytest.raises(DomainError) as missing:
        archive.pg_program("pg_dump", 15)
    # Then it says what to install and which setting points at it
    assert missing.value.code == "pg_program_missing"
    assert missing.value.field == "MILEPOST_PG_BIN"
    assert "pg_dump was not found on PATH" in missing.value.message
    assert "postgresql-client" in missing.value.message


def test_pg_dump_is_found_next_to_the_servers_own_version_first(monkeypatch, tmp_path):
    # Given two installed PostgreSQL versions
    for version in ("14", "16"):
        program = tmp_path / version / "bin" / "pg_dump"
        program.parent.mkdir(parents=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("MILEPOST_PG_BIN", raising=False)
    monkeypatch.setattr(archive, "PG_INSTALL_ROOT", tmp_path)
    # When a backup of a version 14 server looks for pg_dump, and then of an unknown version
    # Then it takes the server's own version, else the newest
    assert archive.pg_program("pg_dump", 14) == tmp_path / "14" / "bin" / "pg_dump"
    assert archive.pg_program("pg_dump", None) == tmp_path / "16" / "bin" / "pg_dump"


def test_status_says_when_and_where_the_last_backup_was_taken(db, tmp_path):
    # Given no backup yet
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "Backups: none taken yet; run `milepost backup PATH`." in out.getvalue()
    # When the operator takes one on 6 December at 09:30 UTC
    with time_machine.travel(dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC), tick=False):
        call_command("backup", str(tmp_path / "nightly"), stdout=io.StringIO())
    # Then the status names the day, the time and the folder
    out = io.StringIO()
    call_command("status", stdout=out)
    assert (
        f"Backups: the last was taken on 6 Dec 2026 09:30 UTC to {tmp_path / 'nightly'}"
        in out.getvalue()
    )


def test_a_backup_with_a_missing_evidence_file_names_it_and_still_writes_the_rest(
    transactional_db, tmp_path
):
    # Given two certificates, one of which has gone from the evidence folder
    world = build_world()
    milestone = world.deliverable()
    kept, lost = (
        evidence_add(
            milestone=milestone,
            upload=SimpleUploadedFile(f"certificate-{i}.pdf", certificate(i), "application/pdf"),
            actor=world.supplier_member,
        )
        for i in (1, 2)
    )
    (Path(settings.EVIDENCE_ROOT) / lost.file.name).unlink()
    # When the operator backs up
    errors = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO(), stderr=errors)
    # Then the missing file is named, the command fails, and everything else is in the backup
    assert f"The evidence file {lost.file.name} is missing" in errors.getvalue()
    assert "1 evidence file was missing or changed" in str(failed.value)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert [f["path"] for f in manifest["evidence"]["files"]] == [kept.file.name]
    assert (tmp_path / "backup" / "evidence" / kept.file.name).read_bytes() == certificate(1)
    assert Event.objects.get(action="backup.taken").after["evidence_problems"] == 1


def test_operators_see_backups_in_the_admin_and_others_do_not(client, transactional_db, tmp_path):
    # Given a backup taken, an operator and a contract manager
    world = build_world()
    call_command("backup", str(tmp_path / "nightly"), stdout=io.StringIO())
    operator = user_create(username="olga", password=PASSWORD, actor=None, operator=True)
    # When each opens the admin's list of backups
    client.force_login(operator)
    page = client.get("/admin/backups/backup/")
    client.force_login(world.client_manager)
    refused = client.get("/admin/backups/backup/")
    # Then the operator sees where it went, read-only; the manager is sent to sign in
    assert page.status_code == 200
    assert str(tmp_path / "nightly") in page.content.decode()
    assert "Add backup" not in page.content.decode()
    assert refused.status_code == 302
    assert "/admin/login/" in refused["Location"]


def test_a_backup_that_fails_half_way_leaves_no_folder_that_looks_like_a_backup(
    db, tmp_path, monkeypatch
):
    # Given a disk that fills up while the evidence files are copied
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive, "_copy_evidence", disk_full)
    # When the operator backs up
    with pytest.raises(CommandError) as failed:
        call_command("backup", str(tmp_path / "nightly"))
    # Then it says why, and neither the folder nor a record of a backup is left behind
    assert "The backup could not be written (No space left on device); nothing was kept" in str(
        failed.value
    )
    assert not (tmp_path / "nightly").exists()
    assert not Backup.objects.exists()
    assert not Event.objects.filter(action="backup.taken").exists()
