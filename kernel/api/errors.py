"""One error shape for everything under /api/: {"error": {code, message, details, request_id}}."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from kernel.api.renderers import json_dumps
from kernel.errors import ApplicationError
from kernel.request_context import request_id_get

logger = logging.getLogger(__name__)

# DRF exception class -> stable code. Subclasses are matched through the MRO.
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "VALIDATION_ERROR",
    exceptions.ParseError: "MALFORMED_REQUEST",
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "RATE_LIMITED",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    """Return the contract's error object."""
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details,
            "request_id": request_id_get(),
        }
    }


def error_response(
    code: str, message: str, status: int, details: dict[str, Any] | None = None
) -> HttpResponse:
    """Return a plain Django JSON response in the error shape (for non-DRF views)."""
    return HttpResponse(
        json_dumps(error_body(code, message, details)),
        status=status,
        content_type="application/json",
    )


CACHE_UNAVAILABLE = "CACHE_UNAVAILABLE"
CACHE_UNAVAILABLE_MESSAGE = "The shared cache (Redis) is unreachable; retry shortly."


def _drf_code(exc: exceptions.APIException) -> str:
    # An exception may name its own stable code (e.g. an authentication failure's reason).
    explicit = getattr(exc, "error_code", None)
    if explicit:
        return explicit
    for klass in type(exc).__mro__:
        if klass in _DRF_CODES:
            return _DRF_CODES[klass]
    return str(getattr(exc, "default_code", "error")).upper()


def _flatten(detail: Any, prefix: str = ""):
    """Yield (dotted field path, [messages]) from DRF's nested validation detail."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            yield from _flatten(value, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            yield from _flatten(item, f"{prefix}.{index}" if prefix else str(index))
    elif isinstance(detail, list):
        yield prefix, [str(item) for item in detail]
    else:
        yield prefix, [str(detail)]


def _validation_response(exc: exceptions.ValidationError) -> tuple[str, dict]:
    fields: dict[str, list[str]] = {}
    for name, messages in _flatten(exc.detail):
        fields.setdefault(name or "non_field_errors", []).extend(messages)
    return f"Invalid input: {', '.join(sorted(fields))}", {"fields": fields}


def _message(detail: Any) -> str:
    """A plain sentence from a DRF detail, never a Python repr of ErrorDetail objects."""
    if isinstance(detail, dict):
        return _message(detail.get("detail", next(iter(detail.values()), "")))
    if isinstance(detail, list):
        return "; ".join(_message(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every exception becomes the contract's error shape.

    Unexpected exceptions are logged with their traceback and answered 500 without one.
    """
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, RequestDataTooBig):
        limit = settings.API_MAX_BODY_BYTES
        body = error_body(
            "PAYLOAD_TOO_LARGE",
            f"The request body is over the limit of {limit} bytes.",
            {"max_bytes": limit},
        )
        return Response(body, status=413)
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return Response(error_body("MALFORMED_REQUEST", f"More than {limit} form fields."), 400)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("MALFORMED_REQUEST", "The request could not be read."), 400)

    if isinstance(exc, RedisError):
        # What needs the cache and has no safe fallback (signed-request replay protection, the
        # login limiter, live prices for order entry) fails closed, retryable.
        set_rollback()
        logger.warning("cache unreachable: %r", exc)
        return Response(error_body(CACHE_UNAVAILABLE, CACHE_UNAVAILABLE_MESSAGE), status=503)

    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        status = exc.status_code
        details = getattr(exc, "error_details", None)
        if isinstance(exc, exceptions.ValidationError):
            message, details = _validation_response(exc)
        else:
            message = _message(exc.detail)
        if isinstance(exc, exceptions.NotAuthenticated):
            # Contract: a missing credential is 401 whichever authenticator is first.
            status = 401
        wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        return Response(
            error_body(_drf_code(exc), message, details), status=status, headers=headers
        )

    set_rollback()
    logger.exception("unhandled exception in %s", context.get("view").__class__.__name__)
    return Response(error_body("INTERNAL_ERROR", "Internal server error"), status=500)


class ApiExceptionMiddleware:
    """Backstop for non-DRF code under /api/: an unexpected exception becomes a JSON 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404):
            return error_response("NOT_FOUND", "Not found", 404)
        if isinstance(exception, RedisError):
            logger.warning("cache unreachable: %r", exception)
            return error_response(CACHE_UNAVAILABLE, CACHE_UNAVAILABLE_MESSAGE, 503)
        logger.exception("unhandled exception on %s %s", request.method, request.path)
        return error_response("INTERNAL_ERROR", "Internal server error", 500)


@csrf_exempt
def api_not_found(request, *args, **kwargs) -> HttpResponse:
    """Any /api/ path that matches no route."""
    return error_response("NOT_FOUND", f"No endpoint at {request.path}", 404)
