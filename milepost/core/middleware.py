"""Refuse a request body larger than any upload may be, before reading a byte of it."""

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat


class RequestSizeLimitMiddleware:
    """Answer 413 when ``Content-Length`` is over ``REQUEST_MAX_BYTES``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.REQUEST_MAX_BYTES:
            return self.get_response(request)
        message = (
            f"The request is larger than the {filesizeformat(settings.REQUEST_MAX_BYTES)} limit."
        )
        if request.path.startswith(settings.API_PREFIX):
            body = {"error": {"code": "request_too_large", "message": message, "field": None}}
            return HttpResponse(json.dumps(body), status=413, content_type="application/json")
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
