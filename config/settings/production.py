"""Settings for a server: every secret and host comes from the environment."""

import os

from .base import *  # noqa: F403
from .base import DATA_DIR, database_from_env, replicas_from_env

SECRET_KEY = os.environ["MILEPOST_SECRET_KEY"]
if not ALLOWED_HOSTS:  # noqa: F405
    raise RuntimeError("Set MILEPOST_ALLOWED_HOSTS to the host names Milepost is served on.")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A server sits behind one TLS-terminating reverse proxy (the header above trusts it), so count
# sign-in and token failures per client address from the one address that proxy appends to
# X-Forwarded-For; otherwise every client shares the proxy's address and one guesser locks
# everyone out. Set MILEPOST_TRUSTED_PROXIES to the number of proxies that append to it, or 0
# when Milepost is served directly (a system check warns about 0 behind the header above).
MILEPOST_TRUSTED_PROXIES = int(os.environ.get("MILEPOST_TRUSTED_PROXIES", 1))

# HTTPS: redirect plain HTTP and tell browsers to use HTTPS only (HSTS), for a year, for every
# subdomain, and allow the domain onto the browsers' preload list (which only its owner can
# ask for). MILEPOST_SSL_REDIRECT=0 leaves redirecting to the proxy in front;
# MILEPOST_HSTS_SECONDS=0 turns HSTS off (start small, such as 3600, when first moving a host to
# HTTPS); MILEPOST_HSTS_INCLUDE_SUBDOMAINS=0 and MILEPOST_HSTS_PRELOAD=0 narrow it.
SECURE_SSL_REDIRECT = os.environ.get("MILEPOST_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("MILEPOST_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("MILEPOST_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("MILEPOST_HSTS_PRELOAD", "1") == "1"

# PostgreSQL: each process keeps a pool of connections (Django's psycopg pool) as large as
# gunicorn's threads per worker (`milepost serve --threads`, 4), so no request waits for one and
# none is opened per request. The primary then sees at most workers x MILEPOST_DB_POOL_MAX
# connections from the web, plus one per `milepost worker`; MILEPOST_DB_POOL_MAX=0 goes back to
# persistent connections (60 s). Replicas get pools of the same size.
DATABASES = {
    "default": database_from_env(DATA_DIR, pool_max_default=4),
    **replicas_from_env(pool_max_default=4),
}
MILEPOST_DB_REPLICAS = [alias for alias in DATABASES if alias != "default"]
