"""The one NinjaAPI: every app's Router under /api/v1/, with one error shape for every failure."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from milepost.accounts.api import BearerAuth, SessionAuth
from milepost.accounts.api import router as tokens_router
from milepost.approvals.api import router as gates_router
from milepost.contracts.api import router as contracts_router
from milepost.core.errors import DomainError
from milepost.payments.api import router as payments_router
from milepost.performance.api import router as performance_router
from milepost.schedule.api import router as milestones_router

api = NinjaAPI(
    title="Milepost API",
    version="1",
    description="Contracts, parties and milestones shared by every party. "
    "Authenticate with `Authorization: Bearer <token>` or a signed-in session (with CSRF).",
    auth=[BearerAuth(), SessionAuth()],
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    """Render ``{"error": {"code", "message", "field"}}`` with ``status``."""
    return api.create_response(
        request, {"error": {"code": code, "message": message, "field": field}}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.field)


def _field(loc: Any) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload")]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = _field(first.get("loc", ()))
    message = first.get("msg", "Invalid input.")
    return error_response(
        request, 400, "invalid", f"{field}: {message}" if field else message, field
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", "Sign in or send a valid bearer token.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "csrf_failed" if "CSRF" in str(exc) else "http_error"
    return error_response(request, exc.status_code, code, str(exc))


api.add_router("/", tokens_router)
api.add_router("/", contracts_router)
api.add_router("/", milestones_router)
api.add_router("/", payments_router)
api.add_router("/", performance_router)
api.add_router("/", gates_router)
