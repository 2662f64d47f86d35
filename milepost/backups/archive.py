"""Copy the whole installation to a folder and back: the database, the evidence files, a manifest.

A backup folder holds:

- ``database.sqlite3`` (SQLite, through the online backup API) or ``database.dump`` (PostgreSQL,
  ``pg_dump``'s custom format, taken inside one exported snapshot);
- ``evidence/``, every evidence file the database copy refers to, under its stored name;
- ``manifest.json``, written last, so a folder without one is an unfinished backup. It names the
  Milepost version and database, the rows per model, the audit trail's head hash and every
  evidence file with its size and sha256, all read from the database copy itself.

Evidence files are written once under a new random name before their row commits, and never
changed, so copying the files the snapshot's rows name, after the snapshot, gives a consistent
set while the server and worker keep writing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

from milepost import __version__
from milepost.core.errors import DomainError

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
EVIDENCE_DIR = "evidence"
_CHUNK = 1024 * 1024
# Debian and Ubuntu install each PostgreSQL major version's programs under here.
PG_INSTALL_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class Snapshot:
    """What one consistent view of the database holds: rows per model, audit head, evidence."""

    rows: dict[str, int]
    audit_head: str
    evidence: list[tuple[str, int, str]]


@dataclass
class Restored:
    """The outcome of a restore: the backup's manifest and every way the result differs from it."""

    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables() -> dict[str, str]:
    """Return each model's label and table, for every table Milepost's migrations create."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            tables[meta.label_lower] = meta.db_table
    return dict(sorted(tables.items()))


def _existing_tables(cursor: Any, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND pg_table_is_visible(oid)"
        )
    return {str(name) for (name,) in cursor.fetchall()}


def read_snapshot(cursor: Any, vendor: str) -> Snapshot:
    """Count every model's rows and read the audit head and evidence list through ``cursor``.

    ``cursor`` is a DB-API cursor on a SQLite file or inside one PostgreSQL snapshot, so the
    reads see the same moment. A model whose migration has not run has no table and no count.
    """
    rows = {}
    existing = _existing_tables(cursor, vendor)
    for label, table in _tables().items():
        if table not in existing:
            continue
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608  # model tables
        rows[label] = int(cursor.fetchone()[0])
    event = apps.get_model("audit", "Event")._meta
    cursor.execute(
        f"SELECT {_quote(event.get_field('hash').column)} FROM {_quote(event.db_table)} "  # noqa: S608
        f"ORDER BY {_quote(event.pk.column)} DESC LIMIT 1"
    )
    head = cursor.fetchone()
    files: list[tuple[str, int, str]] = []
    # Milestones' evidence and the contracts' own documents both live under EVIDENCE_ROOT.
    for app_label, model_name in (("schedule", "Evidence"), ("contracts", "ContractDocument")):
        evidence = apps.get_model(app_label, model_name)._meta
        if evidence.db_table not in existing:
            continue
        columns = ", ".join(
            _quote(evidence.get_field(f).column) for f in ("file", "size", "sha256")
        )
        cursor.execute(
            f"SELECT {columns} FROM {_quote(evidence.db_table)} ORDER BY {_quote(evidence.pk.column)}"  # noqa: S608
        )
        files += [(str(name), int(size), str(sha)) for name, size, sha in cursor.fetchall()]
    return Snapshot(rows=rows, audit_head=head[0] if head else "", evidence=files)


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _copy_hashing(source: Path, target: Path) -> tuple[int, str]:
    """Copy a file and return the size and sha256 of the bytes copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("xb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return size, digest.hexdigest()


def _safe_relative(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def _is_empty_folder(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


# Finding the PostgreSQL programs


def pg_program(name: str, server_major: int | None = None) -> Path:
    """Find ``pg_dump`` or ``pg_restore``, preferring the server's own major version."""
    candidates: list[Path] = []
    if os.environ.get("MILEPOST_PG_BIN"):
        candidates.append(Path(os.environ["MILEPOST_PG_BIN"]) / name)
    if server_major:
        candidates.append(PG_INSTALL_ROOT / str(server_major) / "bin" / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    installed = PG_INSTALL_ROOT.glob(f"*/bin/{name}")
    candidates += sorted(
        installed,
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise DomainError(
        "pg_program_missing",
        f"{name} was not found on PATH or under {PG_INSTALL_ROOT}: install PostgreSQL's client "
        f"programs (Debian: postgresql-client) or set MILEPOST_PG_BIN to the folder that holds it.",
        field="MILEPOST_PG_BIN",
    )


def _pg_environment() -> dict[str, str]:
    """Return the environment that points libpq programs at the default database."""
    conf = connections["default"].settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if conf.get(key):
            env[variable] = str(conf[key])
    if (conf.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(conf["OPTIONS"]["sslmode"])
    return env


def _run_pg_program(name: str, server_major: int, arguments: list[str]) -> None:
    program = pg_program(name, server_major)
    result = subprocess.run(
        [str(program), *arguments], env=_pg_environment(), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DomainError(
            f"{name}_failed",
            f"{name} ({program}) failed: {(result.stderr or result.stdout).strip()}",
            field="database",
        )


# Taking a backup


def _sqlite_copy(target: Path) -> tuple[dict[str, Any], Snapshot]:
    name = Path(str(connections["default"].settings_dict["NAME"]))
    if not name.is_file():
        raise DomainError(
            "no_database",
            f"There is no database at {name}: nothing to back up. Check MILEPOST_DATA_DIR.",
            field="MILEPOST_DATA_DIR",
        )
    database = target / SQLITE_FILE
    # A connection of its own; one backup step is one read transaction, so one moment, while
    # WAL lets the server and worker keep committing.
    with (
        closing(sqlite3.connect(name, timeout=20)) as source,
        closing(sqlite3.connect(database)) as copy,
    ):
        source.execute("PRAGMA busy_timeout=20000")
        source.backup(copy, pages=-1)
        # One self-contained file, with no -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise DomainError(
                "database_damaged",
                f"The copy of the database failed SQLite's check ({check}).",
                field="database",
            )
        snapshot = read_snapshot(copy.cursor(), "sqlite")
    size, sha256 = _hash_file(database)
    return {"vendor": "sqlite", "file": SQLITE_FILE, "size": size, "sha256": sha256}, snapshot


def _pg_dump(target: Path) -> tuple[dict[str, Any], Snapshot]:
    dump = target / PG_FILE
    # A connection of its own, holding the snapshot that pg_dump and the counts both read.
    own = connections.create_connection("default")
    try:
        with own.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')")
            snapshot_id, version = cursor.fetchone()
            snapshot = read_snapshot(cursor, "postgresql")
            _run_pg_program(
                "pg_dump",
                int(version) // 10000,
                [
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={dump}",
                ],
            )
            cursor.execute("COMMIT")
    finally:
        own.close()
    size, sha256 = _hash_file(dump)
    database = {"vendor": "postgresql", "file": PG_FILE, "format": "custom"}
    return {**database, "server_version": int(version), "size": size, "sha256": sha256}, snapshot


def _copy_evidence(
    entries: Iterable[tuple[str, int, str]], target: Path
) -> tuple[list[dict[str, Any]], list[str]]:
    """Copy the evidence files the snapshot names; return them and what was missing or changed."""
    root = Path(settings.EVIDENCE_ROOT)
    files: list[dict[str, Any]] = []
    problems: list[str] = []
    for name, recorded_size, recorded_sha in entries:
        source = root / name
        if not _safe_relative(name) or not source.is_file():
            problems.append(f"The evidence file {name} is missing from {root}.")
            continue
        size, sha256 = _copy_hashing(source, target / name)
        if (size, sha256) != (recorded_size, recorded_sha):
            problems.append(
                f"The evidence file {name} no longer matches the checksum recorded at upload."
            )
        files.append({"path": name, "size": size, "sha256": sha256})
    return files, problems


def backup_write(path: Path) -> dict[str, Any]:
    """Write a backup of the database and evidence files into ``path``; return its manifest."""
    path = path.expanduser().absolute()
    if not _is_empty_folder(path):
        raise DomainError(
            "backup_path_not_empty",
            f"{path} already exists and is not an empty folder; choose a new folder for the backup.",
            field="path",
        )
    created = not path.exists()
    vendor = connections["default"].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise DomainError(
            "unsupported_database", f"Backups of {vendor} databases are not supported."
        )
    try:
        # The folder holds password hashes and webhook secrets: only its owner may read it.
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)
        created_at = timezone.now()
        database, snapshot = (_sqlite_copy if vendor == "sqlite" else _pg_dump)(path)
        files, problems = _copy_evidence(snapshot.evidence, path / EVIDENCE_DIR)
        manifest = {
            "format": FORMAT,
            "milepost_version": __version__,
            "created_at": created_at.isoformat(),
            "database": database,
            "rows": snapshot.rows,
            "audit": {"events": snapshot.rows.get("audit.event", 0), "head": snapshot.audit_head},
            "evidence": {
                "count": len(files),
                "bytes": sum(f["size"] for f in files),
                "files": files,
                "problems": problems,
            },
        }
        partial = path / (MANIFEST + ".part")
        with partial.open("w") as out:
            json.dump(manifest, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path / MANIFEST)
    except BaseException:
        # Leave no half-written backup that could be mistaken for a good one.
        if created:
            shutil.rmtree(path, ignore_errors=True)
        else:
            for child in path.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return manifest


# Restoring


def manifest_read(path: Path) -> dict[str, Any]:
    """Read and check a backup folder's manifest."""
    path = path.expanduser().absolute()
    if not path.is_dir():
        raise DomainError("no_backup", f"There is no backup folder at {path}.", field="path")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise DomainError(
            "backup_unfinished",
            f"{path} has no {MANIFEST}: it is not a finished Milepost backup.",
            field="path",
        ) from None
    except (OSError, ValueError) as exc:
        raise DomainError(
            "manifest_unreadable", f"{path / MANIFEST} cannot be read: {exc}.", field="path"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DomainError(
            "manifest_format",
            f"{path / MANIFEST} is not a Milepost backup manifest this version can read.",
            field="path",
        )
    names = [f.get("path", "") for f in manifest.get("evidence", {}).get("files", [])]
    if not all(_safe_relative(n) for n in names) or not _safe_relative(
        manifest["database"].get("file", "")
    ):
        raise DomainError(
            "manifest_paths",
            f"{path / MANIFEST} names a file outside the backup folder; it will not be used.",
            field="path",
        )
    return dict(manifest)


def _require_empty_sqlite(name: Path) -> None:
    if not name.exists() or name.stat().st_size == 0:
        return
    with closing(sqlite3.connect(f"file:{name}?mode=ro", uri=True)) as existing:
        tables = existing.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table'")
        count = tables.fetchone()[0]
    if count:
        raise DomainError(
            "database_not_empty",
            f"The database at {name} already has {count} tables: restore only into an empty "
            f"data directory (set MILEPOST_DATA_DIR to a new folder, and do not run migrate first).",
            field="MILEPOST_DATA_DIR",
        )


def _require_empty_postgresql() -> int:
    """Refuse a database that holds any table; return the server's major version."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        )
        count = cursor.fetchone()[0]
        cursor.execute("SELECT current_setting('server_version_num'), current_database()")
        version, name = cursor.fetchone()
    if count:
        raise DomainError(
            "database_not_empty",
            f"The database {name} already holds {count} tables or sequences: restore only into "
            f"an empty database (create a new one, point DATABASE_URL at it, and do not run "
            f"migrate first).",
            field="DATABASE_URL",
        )
    return int(version) // 10000


def _restore_sqlite(source: Path) -> None:
    name = Path(str(connections["default"].settings_dict["NAME"]))
    name.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup,
        closing(sqlite3.connect(name)) as target,
    ):
        backup.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")


def restore_from(path: Path) -> Restored:
    """Restore a backup into the empty default database and evidence folder, then compare."""
    path = path.expanduser().absolute()
    manifest = manifest_read(path)
    vendor = connections["default"].vendor
    database = manifest["database"]
    if database.get("vendor") != vendor:
        where = "DATABASE_URL unset" if database.get("vendor") == "sqlite" else "DATABASE_URL"
        raise DomainError(
            "vendor_mismatch",
            f"This is a backup of a {database.get('vendor')} database and the target is "
            f"{vendor}: restore it with {where} pointing at an empty {database.get('vendor')} "
            f"database.",
            field="DATABASE_URL",
        )
    source = path / database["file"]
    if not source.is_file() or _hash_file(source) != (database["size"], database["sha256"]):
        raise DomainError(
            "backup_damaged",
            f"{source} is missing or does not match the checksum in the manifest.",
            field="path",
        )
    if vendor == "sqlite":
        _require_empty_sqlite(Path(str(connections["default"].settings_dict["NAME"])))
    else:
        major = _require_empty_postgresql()
    evidence_root = Path(settings.EVIDENCE_ROOT)
    if not _is_empty_folder(evidence_root):
        raise DomainError(
            "evidence_not_empty",
            f"The evidence folder {evidence_root} is not empty: restore only into an empty data "
            f"directory.",
            field="MILEPOST_DATA_DIR",
        )
    connections.close_all()
    if vendor == "sqlite":
        _restore_sqlite(source)
    else:
        _run_pg_program(
            "pg_restore",
            major,
            [
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={connections['default'].settings_dict['NAME']}",
                str(source),
            ],
        )
    restored = Restored(manifest=manifest)
    for entry in manifest["evidence"]["files"]:
        stored = path / EVIDENCE_DIR / entry["path"]
        if not stored.is_file():
            restored.problems.append(f"The evidence file {entry['path']} is missing from {path}.")
            continue
        copied = _copy_hashing(stored, evidence_root / entry["path"])
        if copied != (entry["size"], entry["sha256"]):
            restored.problems.append(
                f"The evidence file {entry['path']} does not match the checksum in the manifest."
            )
    with connections["default"].cursor() as cursor:
        snapshot = read_snapshot(cursor, vendor)
    for label, expected in manifest["rows"].items():
        found = snapshot.rows.get(label)
        if found != expected:
            restored.problems.append(
                f"{label}: the backup lists {expected} rows, the restored database holds "
                f"{'no such table' if found is None else found}."
            )
    if snapshot.audit_head != manifest["audit"]["head"]:
        restored.problems.append(
            "The restored audit trail does not end with the event the backup recorded."
        )
    return restored
