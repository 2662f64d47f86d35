"""Settings for the test suite: a throwaway data directory and fast password hashing."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_env

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATA_DIR = Path(tempfile.mkdtemp(prefix="milepost-test-"))
EVIDENCE_ROOT = DATA_DIR / "evidence"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir()
DATABASES = {"default": database_from_env(DATA_DIR)}
# A replica URL in the environment is never used by tests: they set their own replicas.
MILEPOST_DB_REPLICAS = []
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and os.environ.get("MILEPOST_TEST_REPLICA_MIRROR", "1") == "1"
):
    # On PostgreSQL every test reads through the replica router: replica1 is the test
    # database itself, a mirror that milepost/testing/pgcluster.py makes the primary's own
    # connection, so marked pages read "from the replica" inside the test's transaction.
    # MILEPOST_TEST_REPLICA_MIRROR=0 runs the suite with the router idle instead.
    DATABASES["replica1"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
    MILEPOST_DB_REPLICAS = ["replica1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Worker tests count what a tick does; the forecast refresh has its own tests.
MILEPOST_FORECAST_REFRESH_HOURS = 0.0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, as in production: WAL, the write lock and the busy timeout then behave as they
    # will for real, which concurrency tests rely on (in-memory SQLite fails at once instead).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# Tests all come from 127.0.0.1, and Schemathesis alone sends hundreds of bad bearer tokens
# (its auth checks): the token throttle is off here; tests/test_security.py turns it back on at
# the production limit.
MILEPOST_TOKEN_FAILURE_LIMIT = 1_000_000
