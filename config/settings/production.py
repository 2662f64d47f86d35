"""Settings for a server: every secret and host comes from the environment."""

import os

from .base import *  # noqa: F403

SECRET_KEY = os.environ["MILEPOST_SECRET_KEY"]
if not ALLOWED_HOSTS:  # noqa: F405
    raise RuntimeError("Set MILEPOST_ALLOWED_HOSTS to the host names Milepost is served on.")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
