"""System checks for settings that would weaken sign-in throttling."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security)
def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a TLS proxy is trusted but no proxy's X-Forwarded-For is: all clients share one address."""
    if settings.SECURE_PROXY_SSL_HEADER and settings.MILEPOST_TRUSTED_PROXIES == 0:
        return [
            Warning(
                "SECURE_PROXY_SSL_HEADER says Milepost runs behind a reverse proxy, but "
                "MILEPOST_TRUSTED_PROXIES is 0: every client shares the proxy's address for "
                "sign-in and API token throttling, so one guesser locks everyone out.",
                hint="Set MILEPOST_TRUSTED_PROXIES to the number of proxies that append to "
                "X-Forwarded-For (usually 1).",
                id="milepost.W001",
            )
        ]
    return []
