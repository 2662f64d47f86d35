"""What every page's navigation needs from alerts: the bell's unread count."""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest

from .inbox import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """Give templates ``unread_notifications``: one query when a page shows it, none otherwise.

    The template calls it (a callable); ``cache`` makes the second mention free, and anonymous
    visitors and pages without the navigation never run the query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    count: Callable[[], int] = cache(lambda: unread_count(user=user))
    return {"unread_notifications": count}
