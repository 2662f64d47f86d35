"""Settings shared by every environment.

Milepost runs on an embedded SQLite file (WAL mode) under ``MILEPOST_DATA_DIR`` unless
``DATABASE_URL`` points at PostgreSQL.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("MILEPOST_DATA_DIR", BASE_DIR / "var")).resolve()

SECRET_KEY = os.environ.get("MILEPOST_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("MILEPOST_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "milepost.core",
    "milepost.accounts",
    "milepost.audit",
    "milepost.contracts",
    "milepost.schedule",
    "milepost.payments",
    "milepost.performance",
    "milepost.approvals",
    "milepost.finance",
    "milepost.milestones",
    "milepost.communications",
    "milepost.alerts",
    "milepost.reporting",
    "milepost.interchange",
    "milepost.extraction",
    "milepost.backups",
    "milepost.operations",
    "milepost.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "milepost.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reads of marked views go to a replica; a write pins the person to the primary a while.
    "milepost.core.db.middleware.ReplicaReadsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "milepost.web.middleware.DomainErrorMiddleware",
    "milepost.web.middleware.UserTimeZoneMiddleware",
    "milepost.accounts.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "milepost.alerts.context_processors.notifications",
            ],
        },
    },
]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def database_from_env(data_dir: Path, *, pool_max_default: int = 0) -> dict[str, object]:
    """Return the default database: ``DATABASE_URL`` if set, else the embedded SQLite file.

    On PostgreSQL, ``MILEPOST_DB_POOL_MAX`` above 0 gives each process Django's own psycopg
    connection pool (``pool_max_default`` when unset); otherwise connections persist 60 s.
    """
    url = os.environ.get("DATABASE_URL")
    if url and not url.startswith("sqlite:"):
        return _postgres_from_url(url, pool_max_default=pool_max_default)
    if url:
        # Another SQLite file (a worker started by a test, say) gets the same settings.
        name = str(dj_database_url.parse(url)["NAME"])
    else:
        # SQLite creates the file but not its folder.
        data_dir.mkdir(parents=True, exist_ok=True)
        name = str(data_dir / "milepost.sqlite3")
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": {
            # Writers take the lock up front, so two writers wait instead of failing mid-way;
            # synchronous=FULL makes every acknowledged commit survive a power cut, not just a crash.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


def _postgres_from_url(
    url: str, *, pool_max_default: int, replica: bool = False
) -> dict[str, object]:
    pool_max = _env_int("MILEPOST_DB_POOL_MAX", pool_max_default)
    if pool_max <= 0:
        db = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    else:
        # A pool replaces persistent connections (Django refuses CONN_MAX_AGE with one): each
        # gunicorn thread borrows a connection for a request and gives it back at the end, so
        # a pool as large as the threads of one worker process never makes a request wait.
        db = dict(dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True))
        options: dict[str, object] = dict(db.get("OPTIONS") or {})  # type: ignore[call-overload]
        options["pool"] = {
            "min_size": min(_env_int("MILEPOST_DB_POOL_MIN", 1), pool_max),
            "max_size": pool_max,
            # A replica answers quickly or not at all: its reads go to the primary meanwhile.
            "timeout": 2.0 if replica else float(os.environ.get("MILEPOST_DB_POOL_TIMEOUT") or 10),
        }
        db["OPTIONS"] = options
    if replica:
        options = dict(db.get("OPTIONS") or {})  # type: ignore[call-overload]
        # A stopped replica refuses at once; one unreachable on the network is given up on
        # after this many seconds, and its reads go to the primary.
        options.setdefault("connect_timeout", 2)
        db["OPTIONS"] = options
    return db


def replicas_from_env(*, pool_max_default: int = 0) -> dict[str, dict[str, object]]:
    """Return ``replica1``, ``replica2``, ... from ``DATABASE_REPLICA_URL`` (comma-separated)."""
    urls = [u.strip() for u in os.environ.get("DATABASE_REPLICA_URL", "").split(",") if u.strip()]
    if urls and not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        raise RuntimeError(
            "DATABASE_REPLICA_URL needs DATABASE_URL to name the PostgreSQL primary: "
            "replicas are PostgreSQL streaming standbys of it."
        )
    return {
        f"replica{n}": _postgres_from_url(url, pool_max_default=pool_max_default, replica=True)
        for n, url in enumerate(urls, start=1)
    }


DATABASES = {"default": database_from_env(DATA_DIR), **replicas_from_env()}
# Heavy reads (the views and API paths below) go to a healthy replica; every write, every read
# inside a transaction and every read of someone who wrote in the last few seconds go to the
# primary (milepost/core/db/). Without replicas the router and its middleware do nothing.
DATABASE_ROUTERS = ["milepost.core.db.router.ReplicaRouter"]
MILEPOST_DB_REPLICAS = [alias for alias in DATABASES if alias != "default"]
# After a person writes, their reads stay on the primary this long (a cookie holds the time),
# so they see their own change even on a replica that is a moment behind.
MILEPOST_REPLICA_PIN_SECONDS = _env_int("MILEPOST_REPLICA_PIN_SECONDS", 10)
# A replica further behind than this takes no reads until it catches up.
MILEPOST_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("MILEPOST_REPLICA_MAX_LAG_SECONDS") or 5)
# Each process asks a replica how far behind it is at most this often (and waits this long
# before trying one that was down again).
MILEPOST_REPLICA_CHECK_SECONDS = float(os.environ.get("MILEPOST_REPLICA_CHECK_SECONDS") or 5)
# The pages (URL names) and API paths (GET, as the API reference writes them) whose reads a
# replica takes: the dashboard, lists, the contract page with its timeline, reports, calendar
# feeds, searches, exports and the API's lists.
MILEPOST_REPLICA_VIEWS = [
    "reporting:dashboard",
    "reporting:milestone-list",
    "reporting:contract-list",
    "reporting:contract-detail",
    "reporting:search",
    "reporting:report-builder",
    "reporting:report-pdf",
    "reporting:report-detail",
    "reporting:report-detail-pdf",
    "contract-critical-path",
    "feed-ics",
    "interchange:exports-milestones",
    "interchange:exports-contract-milestones",
    "interchange:exports-contract-payments",
    "interchange:exports-contract-change-requests",
    "interchange:exports-contract-history",
]
MILEPOST_REPLICA_API_PATHS = [
    "/api/v1/contracts",
    "/api/v1/milestones",
    "/api/v1/search",
    "/api/v1/cash-flow",
    "/api/v1/reports",
    "/api/v1/reports/draw",
    "/api/v1/reports/draw.pdf",
    "/api/v1/me/money-due",
    "/api/v1/me/actions",
    "/api/v1/notifications",
    "/api/v1/exports/milestones",
    "/api/v1/exports/cash-flow",
    "/api/v1/contracts/{contract_id}/events",
    "/api/v1/contracts/{contract_id}/change-requests",
    "/api/v1/contracts/{contract_id}/baselines",
    "/api/v1/contracts/{contract_id}/early-warnings",
    "/api/v1/contracts/{contract_id}/critical-path",
    "/api/v1/contracts/{contract_id}/payments",
    "/api/v1/contracts/{contract_id}/payment-cycles",
    "/api/v1/contracts/{contract_id}/service-credits",
    "/api/v1/contracts/{contract_id}/cash-flow",
    "/api/v1/contracts/{contract_id}/earned-value",
    "/api/v1/contracts/{contract_id}/delay-damages",
    "/api/v1/contracts/{contract_id}/exports/{table}",
    "/api/v1/contracts/{contract_id}/ocds",
    "/api/v1/milestones/{milestone_id}/events",
    "/api/v1/milestones/{milestone_id}/updates",
    "/api/v1/milestones/{milestone_id}/comments",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes refuses a locked-out username or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "milepost.accounts.throttle.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reporting:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes; see milepost/accounts/throttle.py): this many failed attempts
# for one username, or from one client address, lock it out for this many minutes, or until an
# operator runs `milepost unlock`. A successful sign-in clears that username's count.
AXES_FAILURE_LIMIT = int(os.environ.get("MILEPOST_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("MILEPOST_LOGIN_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The lockout runs from the failure that began it; attempts while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "milepost.accounts.throttle.AuditedAxesHandler"
AXES_LOCKOUT_CALLABLE = "milepost.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "milepost.accounts.throttle.client_address"
AXES_VERBOSE = False
# How many reverse proxies in front of Milepost append to X-Forwarded-For (0: none, the client
# address is the connection's). Sign-in and token throttling count per client address.
MILEPOST_TRUSTED_PROXIES = int(os.environ.get("MILEPOST_TRUSTED_PROXIES", 0))
# Bearer tokens: this many unknown tokens from one address within the window answer 429 until
# the window has passed since the last one.
MILEPOST_TOKEN_FAILURE_LIMIT = int(os.environ.get("MILEPOST_TOKEN_FAILURE_LIMIT", 20))
MILEPOST_TOKEN_FAILURE_WINDOW_MINUTES = int(
    os.environ.get("MILEPOST_TOKEN_FAILURE_WINDOW_MINUTES", 15)
)

# Content-Security-Policy (django-csp 4): only this server's own scripts, styles, images and
# fonts; no inline script or style attribute anywhere. The one inline <style> allowed is the
# timeline SVG's (milepost/reporting/timeline/svg.py STYLE), by its hash; tests/test_security.py
# checks that the hash still matches it.
TIMELINE_STYLE_HASH = "'sha256-QZaDgi3aSEo6cJPCg9echBax1j/jt7KPOVgm3t7VDDk='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", TIMELINE_STYLE_HASH],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Files answered at the site's root: /favicon.ico, which browsers ask for whatever a page links.
WHITENOISE_ROOT = BASE_DIR / "milepost" / "web" / "static" / "web" / "root"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Evidence files live under the data directory and are only served through an access check.
EVIDENCE_ROOT = DATA_DIR / "evidence"
EVIDENCE_MAX_BYTES = int(os.environ.get("MILEPOST_EVIDENCE_MAX_BYTES", 25 * 1024 * 1024))
EVIDENCE_ALLOWED_EXTENSIONS = [
    "pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "csv", "md", "json", "xml",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "zip", "dwg", "dxf",
]  # fmt: skip
# Nothing legitimate is bigger than the largest evidence file plus its multipart wrapping.
REQUEST_MAX_BYTES = EVIDENCE_MAX_BYTES + 1024 * 1024
API_PREFIX = "/api/v1/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# A milestone due within this many days with little progress is at risk.
MILEPOST_AT_RISK_WINDOW_DAYS = 14
MILEPOST_AT_RISK_PROGRESS = 50

# Alerts: links in emails and feeds start with this address; the worker's lease and retries.
MILEPOST_BASE_URL = os.environ.get("MILEPOST_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Webhook URLs that resolve to loopback, private or link-local addresses are refused (they
# would let a user make the server call its own network) unless the operator allows them.
MILEPOST_WEBHOOK_ALLOW_PRIVATE = os.environ.get("MILEPOST_WEBHOOK_ALLOW_PRIVATE", "") == "1"
MILEPOST_WEBHOOK_TIMEOUT = float(os.environ.get("MILEPOST_WEBHOOK_TIMEOUT", 10))
# A claimed notification whose worker has not finished within this time is claimed again.
MILEPOST_WORKER_LEASE_SECONDS = int(os.environ.get("MILEPOST_WORKER_LEASE_SECONDS", 300))
# A reminder whose moment passed longer ago than this is sent as part of one catch-up email.
MILEPOST_CATCH_UP_AFTER_HOURS = 12
# The worker re-forecasts each active contract once its latest forecast is this old (0: never;
# run `milepost forecast` from cron instead). It looks for one at most every 5 minutes.
MILEPOST_FORECAST_REFRESH_HOURS = float(os.environ.get("MILEPOST_FORECAST_REFRESH_HOURS", 24))
# An update request's signed link works for this many days; scheduled update rounds go out
# from this local hour (the contract's time zone) on their weekday.
MILEPOST_UPDATE_LINK_DAYS = int(os.environ.get("MILEPOST_UPDATE_LINK_DAYS", 7))
MILEPOST_UPDATE_ROUND_HOUR = int(os.environ.get("MILEPOST_UPDATE_ROUND_HOUR", 8))

# Imports: the largest file taken and the most rows read from one, before anything is parsed.
MILEPOST_IMPORT_MAX_BYTES = int(os.environ.get("MILEPOST_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
MILEPOST_IMPORT_MAX_ROWS = int(os.environ.get("MILEPOST_IMPORT_MAX_ROWS", 20_000))
# Contract documents read for proposals: the largest file taken, the most PDF pages and
# characters of text read from one.
MILEPOST_EXTRACTION_MAX_BYTES = int(
    os.environ.get("MILEPOST_EXTRACTION_MAX_BYTES", 25 * 1024 * 1024)
)
MILEPOST_EXTRACTION_MAX_PAGES = int(os.environ.get("MILEPOST_EXTRACTION_MAX_PAGES", 500))
MILEPOST_EXTRACTION_MAX_CHARS = int(os.environ.get("MILEPOST_EXTRACTION_MAX_CHARS", 2_000_000))
# PDFs and Word documents are read in a child process stopped after this many seconds, with
# at most this much memory.
MILEPOST_EXTRACTION_TIMEOUT = int(os.environ.get("MILEPOST_EXTRACTION_TIMEOUT", 60))
MILEPOST_EXTRACTION_MEMORY_MB = int(os.environ.get("MILEPOST_EXTRACTION_MEMORY_MB", 1024))
# OCDS: the publisher's ocid prefix, registered with the Open Contracting Partnership.
MILEPOST_OCID_PREFIX = os.environ.get("MILEPOST_OCID_PREFIX", "ocds-milepost")
# Programme files that need MPXJ run it on this Java runtime, in a child process with a time limit.
MILEPOST_JAVA = os.environ.get("MILEPOST_JAVA", "java")
MILEPOST_PROGRAMME_READ_SECONDS = int(os.environ.get("MILEPOST_PROGRAMME_READ_SECONDS", 60))

EMAIL_BACKEND = os.environ.get(
    "MILEPOST_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("MILEPOST_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MILEPOST_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("MILEPOST_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MILEPOST_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("MILEPOST_EMAIL_TLS", "") == "1"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("MILEPOST_FROM_EMAIL", "Milepost <milepost@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # django-axes logs every failed sign-in with its details masked; the audit trail records
    # each lockout (login.locked_out) instead.
    "loggers": {"milepost": {"level": "INFO"}, "axes": {"level": "ERROR"}},
}
