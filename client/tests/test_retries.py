"""Retries through a fault-injecting proxy in front of the real server: what is retried, how
long the client waits (via the injected sleep), that one Idempotency-Key covers every attempt,
that signed requests are signed afresh, and that exactly one order results."""

import json
import threading
import time

import pytest
from faultproxy import Drop, FaultProxy, Respond, Stall
from support import AsyncRecordingSleep, FakeClock, RecordingSleep
from trading_client import ConnectError, HmacAuth, NetworkError, RequestTimeoutError, RetryPolicy
from trading_client.errors import (
    BadGatewayError,
    DuplicateClientOrderIdError,
    GatewayTimeoutError,
    InternalServerError,
    InvalidSignatureError,
    OrderNotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RiskRejectedError,
    ServiceUnavailableError,
    ValidationError,
)

ORDERS = "/api/v1/orders"
POLICY = RetryPolicy(max_attempts=4, initial_delay=0.2, multiplier=2, max_delay=5, deadline=30)
HALF = lambda: 0.5  # noqa: E731  (the jitter draw)


def _error_body(code: str, message: str = "") -> bytes:
    return json.dumps(
        {"error": {"code": code, "message": message, "details": None, "request_id": "proxy"}}
    ).encode()


@pytest.fixture
def proxy(server):
    with FaultProxy(server.base_url) as running:
        yield running


@pytest.fixture
def sleep():
    return RecordingSleep()


@pytest.fixture
def client(server, proxy, sleep):
    return server.client("retry", base_url=proxy.url, retry=POLICY, sleep=sleep, random=HALF)


def _order_ids(server) -> set[int]:
    return {o.id for o in server.client("retry").orders.list(limit=500).page()}


def _limit_order(client):
    return client.orders.submit("AAPL", "buy", "1", order_type="limit", limit_price="100")


def test_a_dropped_response_is_retried_with_the_same_key_and_one_order_results(
    server, proxy, client, sleep
):
    before = _order_ids(server)
    proxy.plan("POST", ORDERS, Drop())

    order = _limit_order(client)

    first, second = proxy.requests("POST", ORDERS)
    assert first.upstream_status == 201  # the server placed the order; its answer was lost
    assert second.headers["idempotency-key"] == first.headers["idempotency-key"]
    assert second.upstream_headers["idempotent-replayed"] == "true"
    assert second.headers["x-timestamp"] != first.headers["x-timestamp"]  # signed afresh
    assert second.headers["x-signature"] != first.headers["x-signature"]
    assert sleep.calls == [0.5 * 0.2]
    assert _order_ids(server) - before == {order.id}


def test_503_twice_then_success_waits_with_exponential_full_jitter(server, proxy, client, sleep):
    before = _order_ids(server)
    unavailable = Respond(
        503, {"Content-Type": "application/json"}, _error_body("SERVICE_UNAVAILABLE")
    )
    proxy.plan("POST", ORDERS, unavailable, unavailable)

    order = _limit_order(client)

    attempts = proxy.requests("POST", ORDERS)
    assert len(attempts) == 3
    assert len({a.headers["idempotency-key"] for a in attempts}) == 1
    assert [a.upstream_status for a in attempts] == [None, None, 201]
    assert sleep.calls == [0.5 * 0.2, 0.5 * 0.4]
    assert _order_ids(server) - before == {order.id}


def test_429_waits_exactly_retry_after(server, proxy, client, sleep):
    limited = Respond(
        429, {"Retry-After": "2", "Content-Type": "application/json"}, _error_body("RATE_LIMITED")
    )
    proxy.plan("POST", ORDERS, limited)

    order = _limit_order(client)

    assert len(proxy.requests("POST", ORDERS)) == 2
    assert sleep.calls == [2.0]
    assert client.orders.get(order.id).id == order.id


def test_a_proxy_502_page_and_504_are_retried(proxy, client, sleep):
    proxy.plan(
        "GET",
        "/api/v1/me",
        Respond(502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>"),
        Respond(504),
    )

    me = client.system.me()

    assert me.credential.key_id
    assert len(proxy.requests("GET", "/api/v1/me")) == 3
    assert sleep.calls == [0.1, 0.2]


def test_attempts_run_out_and_the_last_error_is_raised(proxy, client, sleep):
    proxy.plan("GET", "/api/v1/me", *[Respond(503, {}, _error_body("SERVICE_UNAVAILABLE"))] * 4)

    with pytest.raises(ServiceUnavailableError) as caught:
        client.system.me()

    assert caught.value.attempts == 4
    assert caught.value.retryable
    assert len(sleep.calls) == 3


def test_the_deadline_stops_retrying_before_it_passes(server, proxy):
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    policy = RetryPolicy(max_attempts=10, initial_delay=0.4, multiplier=2, deadline=1.0)
    client = server.client(
        "retry", base_url=proxy.url, retry=policy, sleep=sleep, clock=clock, random=lambda: 1.0
    )
    proxy.plan("GET", "/api/v1/me", *[Respond(502)] * 10)

    with pytest.raises(BadGatewayError) as caught:
        client.system.me()

    # 0.4 s after the first failure; the next wait (0.8 s) would end past the 1 s deadline.
    assert sleep.calls == [0.4]
    assert caught.value.attempts == 2


def test_a_timeout_is_retried(server, proxy, sleep):
    release = threading.Event()
    client = server.client(
        "retry", base_url=proxy.url, retry=POLICY, sleep=sleep, random=HALF, timeout=0.5
    )
    proxy.plan("GET", "/api/v1/me", Stall(release))
    try:
        me = client.system.me()
    finally:
        release.set()

    assert me.credential.key_id
    assert len(proxy.requests("GET", "/api/v1/me")) == 2
    assert sleep.calls == [0.1]


def test_a_refused_connection_is_retried_then_raised(server, sleep):
    with FaultProxy(server.base_url) as closed:
        url = closed.url  # a port that was just listening and is now closed
    client = server.client("retry", base_url=url, retry=POLICY, sleep=sleep, random=HALF)

    with pytest.raises(ConnectError) as caught:
        client.system.me()

    assert caught.value.attempts == 4
    assert sleep.calls == [0.1, 0.2, 0.4]


def test_a_timeout_error_is_raised_when_every_attempt_times_out(server, proxy, sleep):
    release = threading.Event()
    client = server.client(
        "retry",
        base_url=proxy.url,
        retry=RetryPolicy(max_attempts=2, initial_delay=0.1),
        sleep=sleep,
        random=HALF,
        timeout=0.3,
    )
    proxy.plan("GET", "/api/v1/status", Stall(release), Stall(release))
    try:
        with pytest.raises(RequestTimeoutError) as caught:
            client.system.status()
    finally:
        release.set()

    assert caught.value.attempts == 2


def test_api_key_creation_is_not_retried_once_it_may_have_arrived(server, proxy, client, sleep):
    before = {k.id for k in server.client("retry").api_keys.list()}
    proxy.plan("POST", "/api/v1/api-keys", Drop(), Respond(503), Respond(429, {"Retry-After": "1"}))

    with pytest.raises(NetworkError):
        client.api_keys.create("lost", ["read"])  # dropped: it was created; no second key
    with pytest.raises(ServiceUnavailableError):
        client.api_keys.create("unknown", ["read"])  # a 503 may come after the work
    created = client.api_keys.create("limited", ["read"])  # 429: refused before the work

    assert [r.upstream_status for r in proxy.requests("POST", "/api/v1/api-keys")] == [
        201,
        None,
        None,
        201,
    ]
    assert sleep.calls == [1.0]
    after = {k.id for k in server.client("retry").api_keys.list()}
    assert len(after - before) == 2
    assert created.id in after


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda c: c.orders.submit("AAPL", "buy", "1.5", order_type="limit", limit_price="1"),
            ValidationError,
        ),
        (lambda c: c.orders.get(10**9), OrderNotFoundError),
        (
            lambda c: c.orders.submit(
                "AAPL", "buy", "10000000", order_type="limit", limit_price="100"
            ),
            RiskRejectedError,
        ),
    ],
    ids=["400", "404", "422"],
)
def test_final_answers_are_never_retried(proxy, client, sleep, call, error):
    with pytest.raises(error) as caught:
        call(client)

    assert caught.value.attempts == 1
    assert len(proxy.seen) == 1
    assert sleep.calls == []


def test_401_403_409_and_500_are_never_retried(server, proxy, sleep):
    options = {"base_url": proxy.url, "retry": POLICY, "sleep": sleep}
    bad_secret = server.client(HmacAuth(server.keys["retry"]["key_id"], "nope"), **options)
    reader = server.client("orders-read", **options)
    client = server.client("retry-simple", **options)
    client_order_id = f"once-{time.time_ns()}"
    client.orders.submit(
        "AAPL", "buy", "1", order_type="limit", limit_price="100", client_order_id=client_order_id
    )
    proxy.plan("GET", "/api/v1/status", Respond(500, {}, _error_body("INTERNAL_ERROR")))

    with pytest.raises(InvalidSignatureError):
        bad_secret.system.me()
    with pytest.raises(PermissionDeniedError):
        reader.orders.submit("AAPL", "buy", "1")
    with pytest.raises(DuplicateClientOrderIdError):
        client.orders.submit(
            "AAPL", "buy", "1", order_type="limit", limit_price="9", client_order_id=client_order_id
        )
    with pytest.raises(InternalServerError):
        client.system.status()

    assert len(proxy.seen) == 5  # the first order and one attempt of each refusal
    assert sleep.calls == []


def test_the_real_rate_limiter_is_honoured(server):
    # A key limited to 1 trading request a second: an order in the same one-second window as
    # the one before gets the server's own 429 and Retry-After; the client really waits that
    # long, then succeeds. Three orders sent back to back span less than a second, so two of
    # them share a window whatever the phase of the clock (two orders alone may straddle one).
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)

    client = server.client("retry-1ps", sleep=sleep)
    orders = [_limit_order(client) for _ in range(3)]

    assert len({order.id for order in orders}) == 3
    assert waited
    assert waited[0] >= 1.0
    assert RateLimitedError.retryable


async def test_the_async_client_retries_a_dropped_order_once(server, proxy):
    before = _order_ids(server)
    sleep = AsyncRecordingSleep()
    proxy.plan("POST", ORDERS, Drop())
    async with server.async_client(
        "retry", base_url=proxy.url, retry=POLICY, sleep=sleep, random=HALF
    ) as client:
        order = await _async_limit_order(client)

    first, second = proxy.requests("POST", ORDERS)
    assert second.headers["idempotency-key"] == first.headers["idempotency-key"]
    assert second.upstream_headers["idempotent-replayed"] == "true"
    assert sleep.calls == [0.1]
    assert _order_ids(server) - before == {order.id}


async def _async_limit_order(client):
    return await client.orders.submit("AAPL", "buy", "1", order_type="limit", limit_price="100")


def test_a_chosen_idempotency_key_resumes_an_order_after_a_crash(server, proxy, client):
    # A process that placed an order and died before hearing the answer retries with its key.
    before = _order_ids(server)
    proxy.plan("POST", ORDERS, Drop())
    crashed = server.client("retry", base_url=proxy.url, retry=RetryPolicy.disabled())

    with pytest.raises(NetworkError):
        crashed.orders.submit(
            "AAPL",
            "buy",
            "1",
            order_type="limit",
            limit_price="100",
            idempotency_key="resume-me-" + str(time.time_ns()),
        )
    key = proxy.requests("POST", ORDERS)[0].headers["idempotency-key"]
    order = client.orders.submit(
        "AAPL", "buy", "1", order_type="limit", limit_price="100", idempotency_key=key
    )

    assert _order_ids(server) - before == {order.id}
    assert GatewayTimeoutError.retryable
