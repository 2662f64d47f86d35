"""The one NinjaAPI: every app's Router under /api/v1/, with one error shape for every failure."""

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from pydantic import BaseModel

from milepost.accounts.api import BearerAuth, SessionAuth
from milepost.accounts.api import router as tokens_router
from milepost.alerts.api import router as alerts_router
from milepost.approvals.api import router as gates_router
from milepost.communications.api import router as communications_router
from milepost.contracts.api import router as contracts_router
from milepost.core.errors import DomainError
from milepost.core.schemas import DATE_OUT_OF_RANGE
from milepost.core.text import SURROGATE_MESSAGE, surrogate_path
from milepost.extraction.api import router as extraction_router
from milepost.finance.api import router as finance_router
from milepost.interchange.api import router as interchange_router
from milepost.milestones.api import router as updates_router
from milepost.payments.api import router as payments_router
from milepost.performance.api import router as performance_router
from milepost.reporting.api import router as reporting_router
from milepost.schedule.api import router as milestones_router


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None


class ErrorOut(Schema):
    """The body of every error answer: a stable code, a message for people, the field at fault."""

    error: ErrorDetail


# Every operation may answer these; the handlers below and the API middleware produce them.
ERROR_RESPONSES = {
    "400": "The input is malformed: a parameter or body field is missing, unknown, of the wrong "
    "type, out of range, too long, or holds a NUL character or a lone surrogate; `field` names "
    "it. A multipart body that cannot be read answers 400 too.",
    "401": "No valid bearer token and no signed-in session.",
    "403": "Your role or your token may not do this, or the session's CSRF check failed.",
    "404": "No such object, or you may not see it.",
    "409": "The request conflicts with the current state of the object.",
    "413": "The request body is larger than the limit.",
    "422": "Well-formed input that a business rule refuses; `code` says which.",
    "429": "Too many requests with an invalid bearer token from your address; "
    "`Retry-After` says in how many seconds to try again.",
}
# No column can store a NUL character (PostgreSQL refuses one outright), so no input text may
# hold one: the document says so on every input string, ``refuse_nul`` enforces it.
NO_NUL_PATTERN = "^[^\\u0000]*$"
NUL_MESSAGE = "Text may not contain a NUL (\\u0000) character."


class MilepostAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares every operation's errors and input rules."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_no_nul(schema)
        declare_error_responses(schema)
        return schema


def declare_error_responses(schema: dict[str, Any]) -> None:
    """Add ``ErrorOut`` for each status in ``ERROR_RESPONSES`` that an operation leaves undeclared.

    Done on the finished document, so routes added anywhere need no per-route declarations.
    """
    definition = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definition.pop("$defs", {}))
    components["ErrorOut"] = definition
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for operations in schema["paths"].values():
        for operation in operations.values():
            # ninja keys statuses by int, ``openapi_extra`` by str; one key each, the extra's wins.
            responses = {str(status): answer for status, answer in operation["responses"].items()}
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(status, {"description": description, "content": content})
            operation["responses"] = responses


def declare_no_nul(schema: dict[str, Any]) -> None:
    """Give every free-text input string (no pattern, format or enum) ``NO_NUL_PATTERN``."""
    components = schema.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                visit(components.get(name))
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
            node["pattern"] = NO_NUL_PATTERN
        for key, value in node.items():
            if key not in ("$ref", "example", "examples", "default", "const", "enum"):
                visit(value)

    for operations in schema["paths"].values():
        for operation in operations.values():
            visit(operation.get("parameters"))
            visit(operation.get("requestBody"))


def _nul_path(value: Any, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """Return where in ``value`` a string holds a NUL character, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    for key, item in items:
        found = _nul_path(item, (*path, str(key)))
        if found is not None:
            return found
    return None


def refuse_nul(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 400 naming the field when a validated parameter or body field holds a NUL.

    It sees only what the schemas accepted; an unknown body field is refused before, by
    ``InputSchema``.
    """

    @functools.wraps(view_func)
    def view(request: HttpRequest, *args: Any, **values: Any) -> Any:
        for name, value in values.items():
            if isinstance(value, BaseModel):
                path = _nul_path(value.model_dump(), ())
            else:
                path = _nul_path(value, (name,))
            if path is not None:
                raise ValidationError([{"loc": ("input", *path), "msg": NUL_MESSAGE}])
        return view_func(request, *args, **values)

    return view


def _query_names(operation: Operation) -> tuple[str, ...]:
    """Return the query parameter names an operation declares (by their aliases), in order."""
    names: list[str] = []
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            for name, field in model.model_fields.items():
                # A whole schema taken as ``Query[Filters]`` is one field holding its fields.
                inner = field.annotation
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    names.extend(f.alias or n for n, f in inner.model_fields.items())
                else:
                    names.append(field.alias or name)
    return tuple(dict.fromkeys(names))


def refuse_unknown_query(run: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 400 naming a query parameter the operation does not take, and the ones it does.

    Applied to the whole API once (``add_decorator(..., mode="view")``, so that it sees the
    operation): every operation refuses a query parameter it does not declare, after the
    credentials are checked, so that a misspelt filter (``sort`` for ``order``), or a filter
    sent to an operation that takes none, is not quietly ignored.
    """
    operation = run.__self__  # type: ignore[attr-defined]
    allowed = _query_names(operation)
    takes = f"it takes {', '.join(allowed)}." if allowed else "it takes no query parameters."
    view_func = operation.view_func

    @functools.wraps(view_func)
    def view(request: HttpRequest, *args: Any, **values: Any) -> Any:
        unknown = [name for name in request.GET if name not in allowed]
        if unknown:
            raise ValidationError(
                [
                    {
                        "loc": ("query", unknown[0]),
                        "type": UNKNOWN_PARAMETER,
                        "msg": f"This request takes no such parameter; {takes}",
                    }
                ]
            )
        return view_func(request, *args, **values)

    operation.view_func = view
    return run


class InvalidBody(Exception):
    """The request body is not a JSON object; ninja wraps this in its HttpError(400)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class JsonObjectParser(Parser):
    """Read the body as a JSON object: every body this API takes is one.

    ninja would otherwise read a string or array body attribute by attribute: the body ``"x"``
    patched a contract's title to "X" (through ``str.title``).
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            raise InvalidBody("The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise InvalidBody("The request body must be a JSON object.")
        # JSON may spell half a UTF-16 pair ("\ud800"), which no column or hash can store.
        path = surrogate_path(data)
        if path is not None:
            field = ".".join(path)
            raise InvalidBody(f"{field}: {SURROGATE_MESSAGE}", field)
        return data


api = MilepostAPI(
    title="Milepost API",
    version="1",
    description="Contracts, parties and milestones shared by every party. "
    "Authenticate with `Authorization: Bearer <token>` or a signed-in session (with CSRF).",
    auth=[BearerAuth(), SessionAuth()],
    parser=JsonObjectParser(),
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
    response = error_response(request, exc.status, exc.code, exc.message, exc.field)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _field(loc: Any) -> str | None:
    # ninja puts the source first ("body", "query", "file"…), then "payload" for a JSON body.
    parts = [str(p) for p in loc[1:] if p != "payload"] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts) or None


# An unknown field is named first: a misspelt field's twin is then often reported missing.
UNKNOWN_PARAMETER = "unknown_parameter"
EXTRA_MESSAGE = "This request takes no such field; the API document lists the ones it takes."


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = sorted(
        exc.errors,
        key=lambda error: error.get("type") not in ("extra_forbidden", UNKNOWN_PARAMETER),
    )
    first = errors[0] if errors else {}
    field = _field(first.get("loc", ()))
    # A validator's ValueError reads "Value error, <our message>"; keep our message.
    message = str(first.get("msg", "Invalid input.")).removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        message = EXTRA_MESSAGE
    if field is None and first.get("type") == "missing":
        message = "The request needs a JSON object body."
    if first.get("type") == DATE_OUT_OF_RANGE:
        # A well-formed date no contract can hold: refused like a service refuses one.
        return error_response(request, 422, DATE_OUT_OF_RANGE, f"{field}: {message}", field)
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


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    message = (
        f"The request body is larger than {filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}."
    )
    return error_response(request, 413, "request_too_large", message)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def on_unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Django refuses a request it cannot or will not read (a multipart body without a boundary
    # or with a part header over its limit, too many parameters, fields or files) by raising
    # when the body or query is first read, which is inside the operation.
    if isinstance(exc, MultiPartParserError):
        message = (
            "The request body could not be read as multipart form data: "
            "send one part named 'file' with a short header."
        )
    else:
        message = "The request has more parameters, fields or files than the server reads."
    return error_response(request, 400, "invalid_body", message)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja turns every error reading the body into HttpError(400); the cause says which.
    if isinstance(exc.__cause__, InvalidBody):
        return error_response(request, 400, "invalid", exc.__cause__.message, exc.__cause__.field)
    if isinstance(exc.__cause__, RequestDataTooBig):
        return on_too_big(request, exc.__cause__)
    code = "csrf_failed" if "CSRF" in str(exc) else "http_error"
    return error_response(request, exc.status_code, code, str(exc))


api.add_decorator(refuse_nul)
api.add_decorator(refuse_unknown_query, mode="view")
api.add_router("/", tokens_router)
api.add_router("/", contracts_router)
api.add_router("/", milestones_router)
api.add_router("/", payments_router)
api.add_router("/", performance_router)
api.add_router("/", gates_router)
api.add_router("/", updates_router)
api.add_router("/", alerts_router)
api.add_router("/", reporting_router)
api.add_router("/", interchange_router)
api.add_router("/", finance_router)
api.add_router("/", extraction_router)
api.add_router("/", communications_router)
