"""Settings for a server: every secret and host comes from the environment."""

import os

from .base import *  # noqa: F403

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
