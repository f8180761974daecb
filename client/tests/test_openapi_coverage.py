"""Every operation of the server's OpenAPI schema (docs/openapi.yaml) has a client method, and
every public method of Client reaches the endpoint it names, against the real server.

One script calls each method once on an account of its own; an httpx event hook records every
request sent and the answer's error code. The test then checks both ways: the script calls every
public method (so a new method needs a line here), and the requests cover every operation of the
schema (so a new endpoint fails here until the client has a method for it). The behaviour of each
method is checked in depth by the group's own tests."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from support import wait_until
from trading_client import Client, JWTAuth
from trading_client.errors import (
    APIError,
    CircuitBreakerNotTrippedError,
    OperationNotCancelableError,
    OverrideNotPendingError,
)

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete"}
# Operations that are not a method of their own, and what covers them.
ALIASES = {"operations_cancel_post": "POST alias of DELETE /operations/{id}/cancel"}
# Public members of Client that send nothing themselves.
LOCAL = {"with_options", "close", "auth", "account"}


def schema_operations() -> dict[str, tuple[str, re.Pattern[str], int]]:
    """operationId -> (method, path pattern, literal segments) of every operation."""
    document = yaml.safe_load(SCHEMA.read_text())
    found = {}
    for path, item in document["paths"].items():
        segments = path.rstrip("/").split("/")
        pattern = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
        literal = sum(not s.startswith("{") for s in segments)
        for method, operation in item.items():
            if method in METHODS:
                found[operation["operationId"]] = (method.upper(), re.compile(pattern), literal)
    return found


def operation_of(
    operations: dict[str, tuple[str, re.Pattern[str], int]], method: str, path: str
) -> str | None:
    """The operation a request reached (the most specific template wins), or None."""
    matches = [
        (literal, name)
        for name, (verb, pattern, literal) in operations.items()
        if verb == method and pattern.fullmatch(path.rstrip("/"))
    ]
    return max(matches)[1] if matches else None


def public_methods() -> set[str]:
    """`group.method` of every resource group of Client, and Client's own calls."""
    client = Client("http://127.0.0.1:1")
    names = {name for name, _ in inspect.getmembers(client) if not name.startswith("_")} - LOCAL
    found = set()
    for name in names:
        member = getattr(client, name)
        if inspect.ismethod(member):
            found.add(name)
            continue
        found |= {
            f"{name}.{method}"
            for method, _ in inspect.getmembers(member, inspect.ismethod)
            if not method.startswith("_")
        }
    client.close()
    return found


class Recorder:
    """The requests sent through the clients of the script, with each answer's error code."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, int, str | None]] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        code = None
        if response.status_code >= 400:
            try:
                code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = "?"
        request = response.request
        self.sent.append((request.method, request.url.path, response.status_code, code))

    def http(self) -> httpx.Client:
        return httpx.Client(event_hooks={"response": [self]})


class Script:
    """Runs the calls, remembering which method each one was."""

    def __init__(self) -> None:
        self.ran: set[str] = set()

    def __call__(
        self, name: str, run: Callable[[], Any], *, refused: tuple[type[APIError], ...] = ()
    ) -> Any:
        self.ran.add(name)
        if not refused:
            return run()
        try:
            return run()
        except refused as error:
            return error


def _every_method(server, client: Client, recorder: Recorder) -> set[str]:
    call = Script()
    soon = datetime.now(UTC) + timedelta(minutes=10)

    call("system.health", client.system.health)
    call("system.status", client.system.status)
    call("system.me", client.system.me)

    call("market.instruments", lambda: client.market.instruments(limit=2).page())
    call("market.instrument", lambda: client.market.instrument("AAPL"))
    call("market.quote", lambda: client.market.quote("AAPL"))
    call("market.quotes", lambda: client.market.quotes(["AAPL", "MSFT"]))
    call("market.candles", lambda: client.market.candles("AAPL", limit=2))
    call("market.order_book", lambda: client.market.order_book("AAPL", depth=1))

    call(
        "orders.preview",
        lambda: client.orders.preview("AAPL", "buy", "1", order_type="limit", limit_price="50"),
    )
    resting = call(
        "orders.submit",
        lambda: client.orders.submit(
            "AAPL", "buy", "1", order_type="limit", limit_price="50", client_order_id="cov-1"
        ),
    )
    call("orders.get_by_client_id", lambda: client.orders.get_by_client_id("cov-1"))
    opened = wait_until(
        lambda: (
            (o := call("orders.get", lambda: client.orders.get(resting.id))).status == "open" and o
        ),
        timeout=30,
        what="the resting order to open",
    )
    call("orders.modify", lambda: client.orders.modify(resting.id, limit_price="51",
                                                       version=opened.version))  # fmt: skip
    call("orders.list", lambda: client.orders.list(limit=5).page())
    call("orders.cancel", lambda: client.orders.cancel(resting.id))
    call("orders.cancel_all", client.orders.cancel_all)

    bought = client.orders.submit("AAPL", "buy", "1")
    wait_until(
        lambda: client.orders.get(bought.id).status == "filled", timeout=30, what="the market fill"
    )
    call("fills.list", lambda: client.fills.list(order=bought.id).page())
    call("portfolio.position", lambda: client.portfolio.position("AAPL"))
    call("portfolio.positions", client.portfolio.positions)
    call("portfolio.balances", client.portfolio.balances)
    call("portfolio.summary", client.portfolio.summary)
    call("portfolio.equity", client.portfolio.equity)
    call("portfolio.close_position", lambda: client.portfolio.close_position("AAPL"))
    call("portfolio.close_all_positions", client.portfolio.close_all_positions)
    call("analytics.trades", lambda: client.analytics.trades(symbol="AAPL").page())
    call("analytics.performance", lambda: client.analytics.performance(days=1))
    call("signals.post", lambda: client.signals.post("coverage", "AAPL", direction="long",
                                                     decision="taken"))  # fmt: skip
    call("signals.list", lambda: client.signals.list(strategy="coverage").page())

    call("risk.get", client.risk.get)
    call("risk.reset_circuit_breaker", lambda: client.risk.reset_circuit_breaker("coverage"),
         refused=(CircuitBreakerNotTrippedError,))  # fmt: skip
    call("config.get", client.config.get)
    call("config.risk", client.config.risk)
    call("config.update_risk", lambda: client.config.update_risk(max_open_orders=40))
    override = call(
        "overrides.create",
        lambda: client.overrides.create(
            "trading_state", value="reduce_only", reason="coverage", expires_at=soon
        ),
    )
    call("overrides.get", lambda: client.overrides.get(override.id))
    call("overrides.list", lambda: client.overrides.list().page())
    call("overrides.approve", lambda: client.overrides.approve(override.id),
         refused=(OverrideNotPendingError,))  # fmt: skip
    call("overrides.revoke", lambda: client.overrides.revoke(override.id))
    call("trading.get", client.trading.get)
    call("trading.reduce_only", lambda: client.trading.reduce_only("coverage"))
    call("trading.stop", lambda: client.trading.stop("coverage", close_positions=False))
    call("trading.start", lambda: client.trading.start("coverage"))

    key = call("api_keys.create", lambda: client.api_keys.create("coverage-read", ["read"]))
    call("api_keys.get", lambda: client.api_keys.get(key.id))
    call("api_keys.list", lambda: client.api_keys.list().page())
    call("api_keys.revoke", lambda: client.api_keys.revoke(key.id))
    call("audit.list", lambda: client.audit.list(limit=5).page())
    call("audit.verify", client.audit.verify)

    call("backtests.strategies", lambda: client.backtests.strategies().page())
    call("backtests.strategy", lambda: client.backtests.strategy("sma_crossover"))
    started = call("backtests.run", lambda: client.backtests.run("buy_and_hold", "AAPL",
                                                                 interval="1h"))  # fmt: skip
    call("backtests.get", lambda: client.backtests.get(started.backtest_id))
    call("backtests.list", lambda: client.backtests.list(limit=5).page())
    sweep = call("backtests.run_sweep", lambda: client.backtests.run_sweep(
        "sma_crossover", "AAPL", {"fast": [5]}, interval="1h"))  # fmt: skip
    call("backtests.get_sweep", lambda: client.backtests.get_sweep(sweep.sweep_id))
    call("operations.get", lambda: client.operations.get(started.operation_id))
    call("operations.list", lambda: client.operations.list(limit=5).page())
    call("operations.metrics", lambda: client.operations.metrics(started.operation_id))
    call("operations.cancel", lambda: client.operations.cancel(sweep.operation_id),
         refused=(OperationNotCancelableError,))  # fmt: skip

    deployment = call("deployments.start", lambda: client.deployments.start(
        "buy_and_hold", "MSFT", capital="1000", interval="1d"))  # fmt: skip
    many = call("deployments.start_many", lambda: client.deployments.start_many(
        "buy_and_hold", ["SPY"], capital="1000", interval="1d"))  # fmt: skip
    call("deployments.list", lambda: client.deployments.list().page())
    call("deployments.get", lambda: client.deployments.get(deployment.id))
    call("deployments.pause", lambda: client.deployments.pause(deployment.id))
    call("deployments.resume", lambda: client.deployments.resume(deployment.id))
    call("deployments.stop", lambda: client.deployments.stop(deployment.id))
    client.deployments.stop(many[0].id)

    # JWT: log in, renew with the refresh token alone (a rotation), log out.
    with Client(server.base_url, auth=server.jwt(), http=recorder.http()) as jwt:
        pair = call("login", jwt.login)
    renewing = JWTAuth(refresh=pair.refresh)
    with Client(server.base_url, auth=renewing, http=recorder.http()) as jwt:
        assert jwt.system.me().credential.type == "jwt"
        assert renewing.refresh_token != pair.refresh
        call("logout", jwt.logout)
    return call.ran


@pytest.fixture(scope="module")
def coverage(server):
    recorder = Recorder()
    with Client(server.base_url, auth=server.auth("coverage"), http=recorder.http()) as client:
        ran = _every_method(server, client, recorder)
    return ran, recorder.sent


def test_the_script_calls_every_public_method_of_the_client(coverage):
    ran, _ = coverage
    assert ran == public_methods()


def test_every_operation_of_the_schema_is_reached_by_a_client_method(coverage):
    _, sent = coverage
    operations = schema_operations()
    assert len(operations) > 60
    reached = {operation_of(operations, method, path) for method, path, _, _ in sent}
    missing = set(operations) - reached - set(ALIASES)
    assert not missing, f"no client method sends these operations: {sorted(missing)}"
    assert set(ALIASES) <= set(operations), "an alias left the schema: update ALIASES"


def test_every_request_is_a_documented_operation_that_the_server_routed(coverage):
    _, sent = coverage
    operations = schema_operations()
    for method, path, status, code in sent:
        assert operation_of(operations, method, path), f"{method} {path} is not in the schema"
        # The generic codes mean no such route or method: a wrong path, not a refusal.
        assert code not in {"NOT_FOUND", "METHOD_NOT_ALLOWED", "?"}, (method, path, status)
        assert status < 500, (method, path, status, code)
