"""Every error the client raises.

`TradingError` is the root. The server's answers become `APIError` subclasses: one class per
error `code` of the server's catalogue (docs/errors.md), each under a class per HTTP status, so
`except NotFoundError` catches `ORDER_NOT_FOUND` and `SYMBOL_NOT_FOUND` alike. A code this
version does not know becomes its status class (or `APIError`) with the code kept in `.code`.
Transport failures are `NetworkError` (`ConnectError`, `RequestTimeoutError`).

`retryable` says whether the client's retry policy retries the error by itself (transient:
network failures, 429, 502, 503, 504); a raised retryable error means the attempts or the
deadline ran out.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar


class TradingError(Exception):
    """Base class of every error raised by `trading_client`."""

    retryable: ClassVar[bool] = False


class ConfigurationError(TradingError):
    """The client is set up wrongly (a missing optional dependency, an unusable key, ...)."""


class ResponseFormatError(TradingError):
    """A successful response whose body is not what the API promises (not JSON, a missing
    field)."""

    def __init__(self, message: str, *, status: int, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class NetworkError(TradingError):
    """No complete response arrived: the connection failed, broke or timed out."""

    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, method: str = "", url: str = "", attempts: int = 1):
        super().__init__(message)
        self.method = method
        self.url = url
        self.attempts = attempts

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.args[0]}{where}{tries}"


class ConnectError(NetworkError):
    """The connection could not be made: the request never reached the server."""


class RequestTimeoutError(NetworkError):
    """The server did not answer within the timeout (the request may have been processed)."""


class APIError(TradingError):
    """The server answered with an error.

    Attributes: `status` (HTTP), `code` (stable, UPPER_SNAKE; for a body that is not the API's
    error shape, e.g. a proxy's page, the status phrase such as `BAD_GATEWAY`), `message`,
    `details` (dict or None), `request_id` (equals the `X-Request-ID` header), `headers`,
    `attempts` (how many attempts the call made).
    """

    status_code: ClassVar[int | None] = None
    code_name: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.request_id = request_id
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.attempts = attempts

    def __str__(self) -> str:
        request = f" [request_id={self.request_id}]" if self.request_id else ""
        return f"{self.code} ({self.status}): {self.message}{request}"

    def detail(self, name: str, default: Any = None) -> Any:
        """Return `details[name]`, or `default` when details are absent or lack it."""
        return self.details.get(name, default) if isinstance(self.details, dict) else default

    def to_dict(self) -> dict[str, Any]:
        """Return the error in the API's shape (`{"error": {...}}`) plus the status."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": self.details,
                "request_id": self.request_id,
            },
            "status": self.status,
        }


# --- one class per HTTP status --------------------------------------------------------------


class BadRequestError(APIError):
    status_code = 400


class AuthenticationError(APIError):
    status_code = 401


class ForbiddenError(APIError):
    status_code = 403


class NotFoundError(APIError):
    status_code = 404
    code_name = "NOT_FOUND"


class MethodNotAllowedError(APIError):
    status_code = 405
    code_name = "METHOD_NOT_ALLOWED"


class NotAcceptableError(APIError):
    status_code = 406
    code_name = "NOT_ACCEPTABLE"


class ConflictError(APIError):
    status_code = 409
    code_name = "CONFLICT"


class PreconditionFailedError(APIError):
    status_code = 412


class PayloadTooLargeError(APIError):
    """413: the body is over the server's limit; `details.max_bytes` gives it."""

    status_code = 413
    code_name = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaTypeError(APIError):
    status_code = 415
    code_name = "UNSUPPORTED_MEDIA_TYPE"


class UnprocessableError(APIError):
    status_code = 422


class RateLimitedError(APIError):
    """429: over the credential's limit; `retry_after` is the server's `Retry-After` in seconds."""

    status_code = 429
    code_name = "RATE_LIMITED"
    retryable = True

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers.get("retry-after"))


class ServerError(APIError):
    status_code = 500


class BadGatewayError(ServerError):
    status_code = 502
    retryable = True


class ServiceUnavailableError(ServerError):
    """503: a dependency is down (no live quote, database unreachable); `details` names it."""

    status_code = 503
    code_name = "SERVICE_UNAVAILABLE"
    retryable = True


class CacheUnavailableError(ServiceUnavailableError):
    """503: the server's shared cache (Redis) is down and this request needs it (a signed
    request's replay protection, login, live prices for an order); retried like any 503."""

    code_name = "CACHE_UNAVAILABLE"


class GatewayTimeoutError(ServerError):
    status_code = 504
    retryable = True


# --- one class per error code (docs/errors.md) ----------------------------------------------

# 400


class ValidationError(BadRequestError):
    """A field failed validation; `fields` maps each field (dotted) to its messages."""

    code_name = "VALIDATION_ERROR"

    @property
    def fields(self) -> dict[str, list[str]]:
        return dict(self.detail("fields") or {})


class MalformedRequestError(BadRequestError):
    code_name = "MALFORMED_REQUEST"


class IdempotencyKeyInvalidError(BadRequestError):
    code_name = "IDEMPOTENCY_KEY_INVALID"


class AccountRequiredError(BadRequestError):
    """The credential may act on several accounts: name one (`account=`)."""

    code_name = "ACCOUNT_REQUIRED"


class InvalidAmountError(BadRequestError):
    code_name = "INVALID_AMOUNT"


class InvalidPeriodError(BadRequestError):
    code_name = "INVALID_PERIOD"


# 401


class NotAuthenticatedError(AuthenticationError):
    code_name = "NOT_AUTHENTICATED"


class AuthenticationFailedError(AuthenticationError):
    code_name = "AUTHENTICATION_FAILED"


class TokenExpiredError(AuthenticationError):
    code_name = "TOKEN_EXPIRED"


class ApiKeyExpiredError(AuthenticationError):
    code_name = "API_KEY_EXPIRED"


class ApiKeyRevokedError(AuthenticationError):
    code_name = "API_KEY_REVOKED"


class IpNotAllowedError(AuthenticationError):
    code_name = "IP_NOT_ALLOWED"


class InvalidSignatureError(AuthenticationError):
    code_name = "INVALID_SIGNATURE"


class TimestampOutOfWindowError(AuthenticationError):
    """The signed timestamp is too old or too far ahead; `server_time_ms` is the server's clock."""

    code_name = "TIMESTAMP_OUT_OF_WINDOW"

    @property
    def server_time_ms(self) -> int | None:
        value = self.detail("server_time_ms")
        return int(value) if value is not None else None


class ReplayedRequestError(AuthenticationError):
    code_name = "REPLAYED_REQUEST"


# 403


class PermissionDeniedError(ForbiddenError):
    code_name = "PERMISSION_DENIED"


class OverrideSelfApprovalError(ForbiddenError):
    code_name = "OVERRIDE_SELF_APPROVAL"


class OverrideApproverLacksScopeError(ForbiddenError):
    code_name = "OVERRIDE_APPROVER_LACKS_SCOPE"


# 404


class SymbolNotFoundError(NotFoundError):
    code_name = "SYMBOL_NOT_FOUND"


class OrderNotFoundError(NotFoundError):
    code_name = "ORDER_NOT_FOUND"


class PositionNotFoundError(NotFoundError):
    code_name = "POSITION_NOT_FOUND"


class OverrideNotFoundError(NotFoundError):
    code_name = "OVERRIDE_NOT_FOUND"


class StrategyNotFoundError(NotFoundError):
    code_name = "STRATEGY_NOT_FOUND"


class BacktestNotFoundError(NotFoundError):
    code_name = "BACKTEST_NOT_FOUND"


class SweepNotFoundError(NotFoundError):
    code_name = "SWEEP_NOT_FOUND"


class OperationNotFoundError(NotFoundError):
    code_name = "OPERATION_NOT_FOUND"


class DeploymentNotFoundError(NotFoundError):
    code_name = "DEPLOYMENT_NOT_FOUND"


# 409


class IdempotencyInFlightError(ConflictError):
    """A request with this Idempotency-Key is still running. Not retried by the client; call
    again later with the same `idempotency_key=` to get its outcome."""

    code_name = "IDEMPOTENCY_IN_FLIGHT"


class DuplicateClientOrderIdError(ConflictError):
    code_name = "DUPLICATE_CLIENT_ORDER_ID"


class InvalidOrderStateError(ConflictError):
    code_name = "INVALID_ORDER_STATE"


class OrderNotCancelableError(ConflictError):
    code_name = "ORDER_NOT_CANCELABLE"


class OrderNotModifiableError(ConflictError):
    code_name = "ORDER_NOT_MODIFIABLE"


class VenueFencedError(ConflictError):
    """A venue whose epoch is no longer the current one tried to act: another venue leads."""

    code_name = "VENUE_FENCED"


class PositionAlreadyClosingError(ConflictError):
    code_name = "POSITION_ALREADY_CLOSING"


class FillRefusedError(ConflictError):
    code_name = "FILL_REFUSED"


class TradingStoppedError(ConflictError):
    """Trading is `stopped` or `halted` for the account; `trading_state` names which."""

    code_name = "TRADING_STOPPED"

    @property
    def trading_state(self) -> str | None:
        return self.detail("trading_state")


class TradingReduceOnlyError(ConflictError):
    code_name = "TRADING_REDUCE_ONLY"


class RiskConfigVersionConflictError(ConflictError):
    """The risk configuration moved past the `version` sent; `version` is the current one."""

    code_name = "RISK_CONFIG_VERSION_CONFLICT"

    @property
    def version(self) -> int | None:
        value = self.detail("version")
        return int(value) if value is not None else None


class CircuitBreakerNotTrippedError(ConflictError):
    code_name = "CIRCUIT_BREAKER_NOT_TRIPPED"


class CurrencyMismatchError(ConflictError):
    code_name = "CURRENCY_MISMATCH"


class OverrideNotPendingError(ConflictError):
    code_name = "OVERRIDE_NOT_PENDING"


class OverrideNotRevocableError(ConflictError):
    code_name = "OVERRIDE_NOT_REVOCABLE"


class OperationNotCancelableError(ConflictError):
    """The operation has finished: there is nothing to cancel."""

    code_name = "OPERATION_NOT_CANCELABLE"


class InvalidOperationStateError(ConflictError):
    code_name = "INVALID_OPERATION_STATE"


class InvalidDeploymentStateError(ConflictError):
    """The deployment's lifecycle has no such move (a stopped deployment is final)."""

    code_name = "INVALID_DEPLOYMENT_STATE"


# 412


class VersionMismatchError(PreconditionFailedError):
    """`If-Match` named another version; `version` is the order's, `expected` the one sent."""

    code_name = "VERSION_MISMATCH"

    @property
    def version(self) -> int | None:
        value = self.detail("version")
        return int(value) if value is not None else None

    @property
    def expected(self) -> int | None:
        value = self.detail("expected")
        return int(value) if value is not None else None


# 422


class ApplicationError(UnprocessableError):
    code_name = "APPLICATION_ERROR"


class IdempotencyKeyReusedError(UnprocessableError):
    code_name = "IDEMPOTENCY_KEY_REUSED"


class BacktestNoDataError(UnprocessableError):
    code_name = "BACKTEST_NO_DATA"


class BacktestTooLargeError(UnprocessableError):
    code_name = "BACKTEST_TOO_LARGE"


@dataclass(frozen=True)
class Violation:
    """One failed pre-trade rule: `rule`, `limit`, `value` and `message` as the server words
    them (limit and value are strings: a number, a symbol list, ...)."""

    rule: str
    limit: str | None
    value: str | None
    message: str


class RiskRejectedError(UnprocessableError):
    """Pre-trade checks failed: `violations` lists every rule; on submit the rejected order is
    kept (`order_id`)."""

    code_name = "RISK_REJECTED"

    @property
    def order_id(self) -> int | None:
        value = self.detail("order_id")
        return int(value) if value is not None else None

    @property
    def violations(self) -> list[Violation]:
        return [
            Violation(
                rule=str(item.get("rule", "")),
                limit=None if item.get("limit") is None else str(item["limit"]),
                value=None if item.get("value") is None else str(item["value"]),
                message=str(item.get("message", "")),
            )
            for item in self.detail("violations") or []
            if isinstance(item, dict)
        ]


# 500


class InternalServerError(ServerError):
    code_name = "INTERNAL_ERROR"


# --- building errors from responses ---------------------------------------------------------


def _subclasses(root: type[APIError]) -> list[type[APIError]]:
    found: list[type[APIError]] = []
    for cls in root.__subclasses__():
        found.append(cls)
        found.extend(_subclasses(cls))
    return found


#: error code -> exception class, for every code in the server's catalogue.
ERROR_CLASSES: dict[str, type[APIError]] = {
    cls.code_name: cls
    for cls in _subclasses(APIError)
    if "code_name" in cls.__dict__ and cls.code_name is not None
}
#: HTTP status -> exception class, for codes this version does not know.
STATUS_CLASSES: dict[int, type[APIError]] = {
    cls.status_code: cls
    for cls in reversed(_subclasses(APIError))
    if "status_code" in cls.__dict__ and cls.status_code is not None
}


def _status_class(status: int) -> type[APIError]:
    if status in STATUS_CLASSES:
        return STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    return APIError


def error_class_for(*, status: int, code: str | None) -> type[APIError]:
    """Return the exception class for an error `code` (falling back to the status's class)."""
    cls = ERROR_CLASSES.get(code or "")
    if cls is not None:
        return cls
    return _status_class(status)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.upper().replace(" ", "_").replace("-", "_")
    except ValueError:
        return f"HTTP_{status}"


def error_from_response(
    *, status: int, body: Any, headers: Mapping[str, str], attempts: int = 1
) -> APIError:
    """Build the exception for an error response; `body` is the parsed JSON or None."""
    error = body.get("error") if isinstance(body, dict) else None
    request_id = headers.get("x-request-id") or headers.get("X-Request-ID")
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code = error["code"]
        return error_class_for(status=status, code=code)(
            status=status,
            code=code,
            message=str(error.get("message") or ""),
            details=error.get("details"),
            request_id=error.get("request_id") or request_id,
            headers=headers,
            attempts=attempts,
        )
    return _status_class(status)(
        status=status,
        code=_status_phrase(status),
        message=f"HTTP {status} without the API's error body",
        details=None,
        request_id=request_id,
        headers=headers,
        attempts=attempts,
    )


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse `Retry-After` (seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(int(value)))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))
