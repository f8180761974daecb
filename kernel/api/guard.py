"""The first thing an /api/ request meets: size and depth limits, and the JSON-only backstop.

Runs before anything reads the body (authentication, the audit trail, the parsers), so a hostile
body is refused at its Content-Length, and a deeply nested JSON document never reaches a
recursive parser or the audit's redaction. On the way out it makes sure nothing under /api/
answers with Django's HTML error pages, and that no API answer is cached by a browser or proxy.
"""

import re
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from kernel.api.errors import error_response
from kernel.api.gate import REFUSAL_MESSAGE, UNLIMITED_PATHS, lockouts
from kernel.api.ratelimit import HEADER_RESET, pre_auth_refusal, rate_limit_headers

_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_HTML_STATUS_CODES = {
    400: "MALFORMED_REQUEST",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    500: "INTERNAL_ERROR",
}


def json_depth(body: bytes) -> int:
    """The nesting depth of a JSON text's arrays and objects (brackets inside strings ignored).

    Iterative, so any depth costs one pass and no recursion; malformed text is the parser's
    business and only needs a number here.
    """
    depth = deepest = 0
    for token in _BRACKETS.finditer(body):
        char = token.group()
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def _too_large() -> HttpResponse:
    limit = settings.API_MAX_BODY_BYTES
    return error_response(
        "PAYLOAD_TOO_LARGE",
        f"The request body is over the limit of {limit} bytes.",
        413,
        {"max_bytes": limit},
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class RequestGuardMiddleware:
    """Body limits before anything reads the body; JSON errors and no-store on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        refused = self._refusal(request)
        response = refused or self._respond(request)
        if response.status_code >= 400 and _is_html(response):
            response = error_response(
                _HTML_STATUS_CODES.get(response.status_code, "ERROR"),
                _html_message(response.status_code),
                response.status_code,
            )
        if not response.has_header("Cache-Control"):
            # Answers carry account data and secrets (a new key's): never kept by a cache.
            patch_cache_control(response, no_store=True)
        return response

    def _respond(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except RequestDataTooBig:
            return _too_large()

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        if request.path not in UNLIMITED_PATHS and (usage := pre_auth_refusal(request)):
            headers = rate_limit_headers(usage)
            # The source's next requests to this process are refused in front of Django until
            # the window ends (kernel.api.gate), without asking the cache again.
            lockouts.hold(
                usage["source"],
                window_end=int(time.time()) + int(headers[HEADER_RESET]),
                limit=usage["limit"],
            )
            response = error_response("RATE_LIMITED", REFUSAL_MESSAGE, 429)
            for name, value in headers.items():
                response[name] = value
            response["Retry-After"] = headers[HEADER_RESET]
            return response
        if _declared_length(request) > settings.API_MAX_BODY_BYTES:
            return _too_large()
        content_type = request.META.get("CONTENT_TYPE", "")
        if "json" in content_type and _declared_length(request):
            limit = settings.API_MAX_JSON_DEPTH
            if json_depth(request.body) > limit:
                return error_response(
                    "MALFORMED_REQUEST",
                    f"The JSON body is nested deeper than {limit} levels.",
                    400,
                    {"max_depth": limit},
                )
        return None


def _is_html(response: HttpResponse) -> bool:
    # DRF answers (the browsable API included) are the renderer's business.
    if getattr(response, "accepted_renderer", None) is not None:
        return False
    return response.get("Content-Type", "").startswith("text/html")


def _html_message(status: int) -> str:
    return {
        400: "The request could not be read.",
        403: "Forbidden.",
        404: "Not found.",
        405: "Method not allowed.",
        413: "The request body is too large.",
    }.get(status, "Internal server error.")
