"""Map domain errors that escape a view to the right HTTP answer."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from milepost.core.dates import all_time_zones
from milepost.core.errors import Forbidden, NotFound


class DomainErrorMiddleware:
    """NotFound answers 404 (hidden and missing look alike); Forbidden answers 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message) from exception


class UserTimeZoneMiddleware:
    """Show times in the signed-in user's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        if name in all_time_zones():
            timezone.activate(ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)
