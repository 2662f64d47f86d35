"""What every page's navigation needs from alerts: the bell's unread count and the number of
action requests waiting for the person."""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest

from .selectors import nav_counts


def notifications(request: HttpRequest) -> dict[str, Any]:
    """Give templates ``unread_notifications`` and ``actions_waiting``: one query for both
    when a page shows them, none otherwise.

    The template calls each (a callable); ``cache`` makes the second mention free, and anonymous
    visitors and pages without the navigation never run the query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "actions_waiting": 0}
    counts: Callable[[], tuple[int, int]] = cache(lambda: nav_counts(user=user))
    return {
        "unread_notifications": lambda: counts()[0],
        "actions_waiting": lambda: counts()[1],
    }
