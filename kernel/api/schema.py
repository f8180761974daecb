"""The OpenAPI schema's shared parts: the error shape, the error responses of every operation.

`AutoSchema` documents, on every operation, the refusals the API plumbing can give whatever the
view (400, 401, 403, 404, 413, 415, 429, and the idempotency gate's 409/422 on writes), derived
from the view's own declarations (authentication, rate class, idempotency). What only a view
knows (409 ORDER_NOT_CANCELABLE, 412, 422 RISK_REJECTED, 503) it declares with `errors(...)`.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from kernel.api.deprecation import deprecation_of
from kernel.api.ratelimit import rate_class_of

# What each error status means across the API (docs/errors.md has every code).
ERROR_DESCRIPTIONS = {
    400: "VALIDATION_ERROR (`details.fields`), MALFORMED_REQUEST, ACCOUNT_REQUIRED or another "
    "refusal of the input.",
    401: "NOT_AUTHENTICATED, AUTHENTICATION_FAILED, TOKEN_EXPIRED, API_KEY_EXPIRED, "
    "API_KEY_REVOKED, IP_NOT_ALLOWED, INVALID_SIGNATURE, TIMESTAMP_OUT_OF_WINDOW, "
    "REPLAYED_REQUEST.",
    403: "PERMISSION_DENIED: the credential lacks the scope this operation needs.",
    404: "NOT_FOUND or the resource's own code: no such object, or one of an account the caller "
    "cannot see.",
    409: "A conflict with the current state (the operation's own codes), or IDEMPOTENCY_IN_FLIGHT.",
    412: "VERSION_MISMATCH: `If-Match` names another version.",
    413: "PAYLOAD_TOO_LARGE: the body is over API_MAX_BODY_BYTES.",
    415: "UNSUPPORTED_MEDIA_TYPE: the body is not JSON or a form.",
    422: "A business rule refused the request (the operation's own codes), or "
    "IDEMPOTENCY_KEY_REUSED.",
    429: "RATE_LIMITED: see `Retry-After`.",
    503: "SERVICE_UNAVAILABLE: a dependency (a live quote, the database) is not available.",
}
# What `kernel.serializers.DecimalField` reads from a string (kernel.decimals.decimal_parse).
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable UPPER_SNAKE code (docs/errors.md).")
    message = serializers.CharField()
    details = serializers.DictField(allow_null=True)
    request_id = serializers.CharField(help_text="Equals the response's X-Request-ID header.")


class ErrorSerializer(serializers.Serializer):
    """Every error under /api/: {"error": {code, message, details, request_id}}."""

    error = ErrorBodySerializer()


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses={..., **errors(409, 422)})`."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    # What `idempotency.services` accepts: 1-255 printable characters (str.isprintable, in the
    # Latin-1 a header carries).
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[^\x00-\x1f\x7f-\xa0\xad]*$",
    },
    OpenApiParameter.HEADER,
    description="Replays the stored answer of a retry with the same key and body (24 h); "
    "1-255 printable characters. Alias: X-Idempotency-Key.",
)


def _is_public(view: Any) -> bool:
    # No permission class at all (simplejwt's token views) is public too.
    permissions = getattr(view, "permission_classes", None) or []
    return all(p is AllowAny for p in permissions)


def _is_idempotent_write(view: Any, method: str) -> bool:
    if method not in _WRITE_METHODS:
        return False
    # Imported by name: the gate lives above the kernel (idempotency app).
    return any(type(t).__name__ == "IdempotencyGate" for t in view.get_throttles())


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the plumbing's error responses and deprecation."""

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if _is_idempotent_write(self.view, self.method):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def is_deprecated(self) -> bool:
        return super().is_deprecated() or deprecation_of(self.view, self.method) is not None

    def _get_paginator(self):
        # Only a GET lists; a DELETE answering a list (cancel all, 207) is not a page.
        return super()._get_paginator() if self.method == "GET" else None

    def _error_statuses(self) -> list[int]:
        view, method = self.view, self.method
        public = _is_public(view)
        statuses = []
        if not public or method in _WRITE_METHODS or self._has_parameters():
            statuses.append(400)
        if not public:
            statuses += [401, 403, 404]
        if method in _WRITE_METHODS:
            statuses += [413, 415]
        if _is_idempotent_write(view, method):
            statuses += [409, 422]
        if rate_class_of(view) is not None:
            statuses.append(429)
        # What a view answers beyond the plumbing (a login brake's 429, ...).
        statuses += getattr(view, "schema_error_statuses", ())
        return sorted(set(statuses))

    def _has_parameters(self) -> bool:
        return bool(self._get_parameters())

    def _get_response_bodies(self, direction: Any = "response") -> dict:
        responses = super()._get_response_bodies(direction=direction)
        for status in self._error_statuses():
            key = str(status)
            if key not in responses:
                responses[key] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status]),
                    key,
                    direction=direction,
                )
        return responses

    def _get_response_headers_for_code(self, status_code: Any, direction: Any = "response"):
        headers = super()._get_response_headers_for_code(status_code, direction=direction)
        if deprecation_of(self.view, self.method) is not None:
            headers["Deprecation"] = {
                "schema": {"type": "string"},
                "description": "When the operation was deprecated (RFC 9745: `@<unix time>`).",
            }
            headers["Sunset"] = {
                "schema": {"type": "string"},
                "description": "When the operation will be removed (RFC 8594, an HTTP date).",
            }
        return headers


class DecimalFieldExtension(OpenApiSerializerFieldExtension):
    """A Decimal input is an ASCII decimal string or a JSON number; an output is the string."""

    target_class = "kernel.serializers.DecimalField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict:
        text = {"type": "string", "pattern": DECIMAL_PATTERN, "example": "101.25"}
        if direction == "response":
            return {**text, "format": "decimal"}
        return {"oneOf": [text, {"type": "number"}]}
