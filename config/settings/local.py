"""Settings for a person running Milepost on their own machine (the ``make run`` default)."""

import os

from .base import *  # noqa: F403
from .base import DATA_DIR

DEBUG = os.environ.get("MILEPOST_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *ALLOWED_HOSTS]  # noqa: F405


def _local_secret_key() -> str:
    """Return a per-installation secret, created once under the data directory."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = SECRET_KEY or _local_secret_key()  # noqa: F405

# Without an SMTP server configured, the demo's emails are written as files under the data
# directory (one .log file per batch) instead of failing to send.
if "MILEPOST_EMAIL_HOST" not in os.environ and "MILEPOST_EMAIL_BACKEND" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
