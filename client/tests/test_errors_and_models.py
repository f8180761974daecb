"""Without a server: the error catalogue against docs/errors.md, error parsing, models, JSON,
and the retry policy's arithmetic."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from trading_client import ConnectError, NetworkError, RetryPolicy
from trading_client._json import dumps, loads, query_value
from trading_client.errors import (
    ERROR_CLASSES,
    APIError,
    BadGatewayError,
    ConflictError,
    NotFoundError,
    OrderNotFoundError,
    RateLimitedError,
    ResponseFormatError,
    RiskRejectedError,
    ServerError,
    ServiceUnavailableError,
    error_from_response,
    retry_after_seconds,
)
from trading_client.models import CloseResult, Operation, OperationError, Order, Quote
from trading_client.models.analytics import Performance

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _catalogue() -> set[tuple[str, int]]:
    """(code, status) of every row of every table in docs/errors.md."""
    found = set()
    for line in CATALOGUE.read_text().splitlines():
        cells = (
            [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        )
        if len(cells) < 2:
            continue
        codes = [m for c in cells[:2] for m in re.findall(r"^`([A-Z][A-Z0-9_]+)`$", c)]
        statuses = [int(c) for c in cells[:2] if re.fullmatch(r"\d{3}", c)]
        if codes and statuses:
            found.add((codes[0], statuses[0]))
    return found


def test_every_code_of_the_catalogue_has_its_class_under_its_status():
    catalogue = _catalogue()
    assert len(catalogue) > 40
    for code, status in catalogue:
        cls = ERROR_CLASSES.get(code)
        assert cls is not None, f"no exception class for {code}"
        assert cls.status_code == status, f"{code}: {cls.__name__} is {cls.status_code}"


ROOT = CATALOGUE.parents[1]
_SERVER_CODE = re.compile(r'^class \w+\((\w+)\):\n(?:    .*\n|\n)*?    code = "([A-Z][A-Z0-9_]+)"\n'
                          r'(?:    status_code = (\d{3})\n)?', re.M)  # fmt: skip
_BASE_STATUS = {"ConflictError": 409, "ObjectNotFound": 404}


def _server_codes() -> dict[str, int | None]:
    """code -> status of every error class the server's own modules (not its tests) define."""
    found: dict[str, int | None] = {}
    for path in ROOT.glob("*/**/*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {"client", "tests", "bench", "scripts", ".venv", "node_modules"}:
            continue
        if "tests" in parts or "migrations" in parts:
            continue
        for match in _SERVER_CODE.finditer(path.read_text()):
            base, code, status = match.groups()
            found[code] = int(status) if status else _BASE_STATUS.get(base)
    return found


def test_every_code_the_server_defines_has_its_class_under_its_status():
    codes = _server_codes()
    assert {"DEPLOYMENT_NOT_FOUND", "OPERATION_NOT_CANCELABLE", "ORDER_NOT_FOUND"} <= set(codes)
    for code, status in codes.items():
        cls = ERROR_CLASSES.get(code)
        assert cls is not None, f"no exception class for the server's {code}"
        if status is not None:
            assert cls.status_code == status, f"{code}: {cls.__name__} is {cls.status_code}"


def _error(status, code, details=None, headers=None):
    body = {"error": {"code": code, "message": "m", "details": details, "request_id": "r1"}}
    return error_from_response(status=status, body=body, headers=headers or {})


def test_an_error_body_becomes_its_class_with_every_field():
    error = _error(404, "ORDER_NOT_FOUND")

    assert isinstance(error, OrderNotFoundError)
    assert isinstance(error, NotFoundError)
    assert (error.status, error.code, error.message, error.request_id) == (
        404,
        "ORDER_NOT_FOUND",
        "m",
        "r1",
    )
    assert not error.retryable
    assert str(error) == "ORDER_NOT_FOUND (404): m [request_id=r1]"


def test_unknown_codes_fall_back_to_their_status_class():
    assert type(_error(409, "SOMETHING_NEW")) is ConflictError
    assert type(_error(418, "TEAPOT")) is APIError
    assert type(_error(507, "FULL")) is ServerError
    proxy_page = error_from_response(status=502, body=None, headers={"x-request-id": "x"})
    assert isinstance(proxy_page, BadGatewayError)
    assert proxy_page.code == "BAD_GATEWAY"
    assert proxy_page.retryable


def test_details_are_typed_where_the_catalogue_defines_them():
    violation = {"rule": "max_order_notional", "limit": "100", "value": "150", "message": "no"}
    rejected = _error(422, "RISK_REJECTED", {"order_id": 7, "violations": [violation]})
    limited = _error(429, "RATE_LIMITED", headers={"Retry-After": "3"})

    assert isinstance(rejected, RiskRejectedError)
    assert rejected.order_id == 7
    assert rejected.violations[0].rule == "max_order_notional"
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after == 3.0
    assert ServiceUnavailableError.retryable
    assert NetworkError.retryable


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:10 GMT", now=1767225600.0) == 10.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_models_keep_decimals_exact_times_aware_and_unknown_fields():
    quote = Quote.from_dict(
        loads(
            b'{"symbol": "AAPL", "bid": "0.1", "ask": 0.30, "timestamp": "2026-01-02T03:04:05",'
            b' "new_field": {"x": 1}}'
        )
    )

    assert quote.bid == Decimal("0.1")
    assert quote.ask == Decimal("0.30")
    assert quote.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert quote.extra == {"new_field": {"x": 1}}
    assert quote.to_dict()["new_field"] == {"x": 1}
    assert quote.to_dict()["bid"] == "0.1"


def test_codes_that_arrive_in_a_success_are_typed_where_they_arrive():
    # docs/errors.md: a failed job's code is in its operation's `error` (200), a close cut short
    # is an item of a 207; neither is raised, so each has its field instead of a class.
    operation = Operation.from_dict(
        {
            "id": 7,
            "type": "backtest_sweep",
            "status": "failed",
            "progress": {"percentage": "100", "phase": "failed"},
            "error": {
                "code": "CHILD_OPERATIONS_FAILED",
                "message": "1 of 2 child operations did not complete: 9",
                "details": {"failed": [9], "cancelled": []},
            },
        }
    )
    close = CloseResult.from_dict(
        {
            "symbol": "AAPL",
            "status_code": 422,
            "order_id": 12,
            "status": "pending",
            "unplaced_quantity": "35",
            "error": {"code": "CLOSE_UNFUNDED", "message": "Only 65 of AAPL could be closed"},
        }
    )

    assert isinstance(operation.error, OperationError)
    assert operation.error.code == "CHILD_OPERATIONS_FAILED"
    assert operation.error.details == {"failed": [9], "cancelled": []}
    assert operation.to_dict()["error"]["code"] == "CHILD_OPERATIONS_FAILED"
    assert Operation.from_dict({**operation.to_dict(), "error": None}).error is None
    assert close.error is not None
    assert (close.error.code, close.unplaced_quantity, close.ok) == (
        "CLOSE_UNFUNDED",
        Decimal("35"),
        False,
    )


def test_renamed_fields_read_and_write_their_json_names():
    perf = Performance.from_dict(
        {
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-01-31T00:00:00Z",
            "trades": 0,
            "wins": 0,
            "losses": 0,
            "total_pnl": "0",
        }
    )
    assert perf.start.month == perf.end.month == 1
    assert perf.to_dict()["from"] == "2026-01-01T00:00:00Z"


def test_a_response_that_does_not_fit_is_a_format_error():
    with pytest.raises(ResponseFormatError):
        Order.from_dict({"id": 1})
    with pytest.raises(ResponseFormatError):
        Quote.from_dict({"symbol": "A", "bid": "not a number", "ask": "1"})


def test_request_json_refuses_floats_and_writes_decimals_as_strings():
    assert json.loads(
        dumps({"price": Decimal("0.10"), "at": datetime(2026, 1, 1, tzinfo=UTC)})
    ) == {
        "price": "0.10",
        "at": "2026-01-01T00:00:00Z",
    }
    with pytest.raises(TypeError):
        dumps({"price": 0.1})
    with pytest.raises(TypeError):
        query_value(0.1)
    assert query_value(["AAPL", "MSFT"]) == "AAPL,MSFT"
    assert query_value(True) == "true"


def test_backoff_is_full_jitter_over_a_capped_exponential():
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=3)

    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(3, lambda: 0.0) == 0.0
    assert policy.backoff(3, lambda: 0.25) == 0.5


def test_the_policy_refuses_to_retry_final_statuses():
    for status in (400, 401, 403, 404, 409, 412, 422):
        with pytest.raises(ValueError, match="never retried"):
            RetryPolicy(retry_statuses=frozenset({status}))
    assert RetryPolicy(retry_statuses=frozenset({429, 500})).retry_statuses == {429, 500}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 422, 500])
def test_final_answers_get_no_delay(status):
    error = _error(status, "X")
    assert (
        RetryPolicy().delay_for(error, attempt=1, elapsed=0, idempotent=True, random=lambda: 1)
        is None
    )


def test_what_may_have_arrived_is_retried_only_when_idempotent():
    policy, jitter = RetryPolicy(initial_delay=1), lambda: 1.0
    dropped = NetworkError("connection failed")
    refused = ConnectError("could not connect")
    unavailable = _error(503, "SERVICE_UNAVAILABLE")
    limited = _error(429, "RATE_LIMITED", headers={"retry-after": "2"})

    def delay(error, idempotent):
        return policy.delay_for(error, attempt=1, elapsed=0, idempotent=idempotent, random=jitter)

    assert delay(dropped, True) == 1.0
    assert delay(dropped, False) is None
    assert delay(refused, False) == 1.0
    assert delay(unavailable, False) is None
    assert delay(limited, False) == 2.0


def test_retry_after_beyond_the_cap_or_the_deadline_is_not_waited_for():
    limited = _error(429, "RATE_LIMITED", headers={"retry-after": "90"})
    assert (
        RetryPolicy().delay_for(limited, attempt=1, elapsed=0, idempotent=True, random=lambda: 1)
        is None
    )
    soon = _error(429, "RATE_LIMITED", headers={"retry-after": "5"})
    assert (
        RetryPolicy(deadline=10).delay_for(
            soon, attempt=1, elapsed=6, idempotent=True, random=lambda: 1
        )
        is None
    )
