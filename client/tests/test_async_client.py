"""Every AsyncClient method against the real server (Ed25519-signed), and the same surface as
Client's."""

import asyncio
import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from trading_client import AsyncClient, AsyncPaginator, Client
from trading_client.errors import (
    CircuitBreakerNotTrippedError,
    InvalidDeploymentStateError,
    OperationNotCancelableError,
    OverrideNotPendingError,
    TradingStoppedError,
)


def _groups(client) -> list[str]:
    """The resource groups of a client (every public attribute that is not a method)."""
    return [
        name
        for name, member in inspect.getmembers(client)
        if not name.startswith("_") and not callable(member) and name not in {"auth", "account"}
    ]


def _public(obj) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(obj, callable)
        if not name.startswith("_")
    }


def test_the_async_client_has_the_same_surface_as_the_sync_one():
    sync, asynchronous = Client("http://x"), AsyncClient("http://x")
    # The WebSocket stream is an async iterator: AsyncClient only.
    assert set(_public(sync)) - {"close"} == set(_public(asynchronous)) - {"aclose", "stream"}
    groups = _groups(sync)
    assert {"backtests", "operations", "deployments"} <= set(groups)
    assert groups == _groups(asynchronous)
    for group in groups:
        sync_methods = _public(getattr(sync, group))
        async_methods = _public(getattr(asynchronous, group))
        assert set(sync_methods) == set(async_methods), group
        for name, signature in sync_methods.items():
            assert list(signature.parameters) == list(async_methods[name].parameters), name
    sync.close()


async def _until(predicate, what: str, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)  # polling interval, not synchronisation


async def _filled(client, order_id: int):
    async def check():
        order = await client.orders.get(order_id)
        return order if order.status == "filled" else None

    return await _until(check, f"order {order_id} filled")


@pytest.fixture
async def client(server):
    async with server.async_client("async") as running:
        yield running


async def test_system_market_and_keys(server, client):
    assert (await client.system.health()).status == "ok"
    assert (await client.system.status()).engine.state == "running"
    assert (await client.system.me()).credential.scheme == "ed25519"

    instruments = client.market.instruments(limit=2)
    assert isinstance(instruments, AsyncPaginator)
    assert len(await instruments.to_list()) >= 5
    assert (await instruments.page()).has_next
    assert (await client.market.instrument("MSFT")).symbol == "MSFT"
    assert (await client.market.quote("AAPL")).ask > 0
    assert [q.symbol for q in (await client.market.quotes(["SPY"])).quotes] == ["SPY"]
    assert len((await client.market.candles("AAPL", interval="5m", limit=3)).candles) == 3
    assert len((await client.market.order_book("AAPL", depth=2)).asks) == 2

    created = await client.api_keys.create("async-bot", ["read"])
    assert (await client.api_keys.get(created.id)).key_id == created.key_id
    assert created.id in {k.id async for k in client.api_keys.list()}
    assert (await client.api_keys.revoke(created.id)).revoked

    assert [a.action async for a in client.audit.list(object_ref=f"api_key:{created.id}")] == [
        "api_key.revoked",
        "api_key.created",
    ]
    assert (await client.audit.verify()).intact


async def test_orders_positions_and_analytics(client):
    started = datetime.now(UTC) - timedelta(seconds=1)
    preview = await client.orders.preview("AAPL", "buy", "1", order_type="limit", limit_price="50")
    assert preview.accepted
    resting = await client.orders.submit(
        "AAPL", "buy", "1", order_type="limit", limit_price="50", client_order_id="async-rest"
    )
    assert (await client.orders.get_by_client_id("async-rest")).id == resting.id

    async def opened():
        order = await client.orders.get(resting.id)
        return order if order.status == "open" else None

    version = (await _until(opened, "the resting order to open")).version
    modified = await client.orders.modify(resting.id, limit_price="51", version=version)
    assert modified.version == version + 1
    assert (await client.orders.cancel(resting.id)).status == "canceled"
    assert await client.orders.cancel_all() == []
    assert resting.id in {o.id async for o in client.orders.list(start=started)}

    bought = await _filled(
        client, (await client.orders.submit("AAPL", "buy", "1", stop_loss="1")).id
    )
    assert [f.order_id async for f in client.fills.list(order=bought.id)] == [bought.id]
    assert (await client.portfolio.position("AAPL")).quantity == Decimal(1)
    assert [p.symbol for p in await client.portfolio.positions()] == ["AAPL"]
    assert (await client.portfolio.balances())[0].currency == "USD"
    assert (await client.portfolio.summary()).exposure.gross > 0
    await _filled(client, (await client.portfolio.close_position("AAPL")).id)
    assert await client.portfolio.close_all_positions() == []

    async def closed_trades():
        return [t async for t in client.analytics.trades(symbol="AAPL") if t.closed_at]

    (trade,) = await _until(closed_trades, "the closed trade")
    assert trade.r_multiple is not None
    assert (await client.analytics.performance(days=1)).trades == 1
    assert await _until(lambda: client.portfolio.equity(start=started), "an equity snapshot")

    signal = await client.signals.post(
        "async", "AAPL", direction="long", decision="taken", order=bought.id
    )
    assert signal.outcome_r == trade.r_multiple
    assert [s.id async for s in client.signals.list(strategy="async")] == [signal.id]


async def test_risk_config_overrides_and_control(server):
    async with server.async_client("async") as unscoped:
        client = unscoped.with_options(account=server.accounts["Cl-Async"], timeout=5)
        assert client.account == server.accounts["Cl-Async"]
        assert (await client.risk.get()).trading_state == "running"
        assert (await client.config.get()).risk.version == (await client.config.risk()).version
        version = (await client.config.risk()).version
        updated = await client.config.update_risk(max_open_orders=50, version=version)
        assert updated.max_open_orders == 50
        with pytest.raises(CircuitBreakerNotTrippedError):
            await client.risk.reset_circuit_breaker("not tripped")

        override = await client.overrides.create(
            "trading_state",
            value="reduce_only",
            reason="async test",
            expires_at=datetime.now(UTC) + timedelta(minutes=5),
        )
        assert (await client.overrides.get(override.id)).status == "active"
        assert override.id in {o.id async for o in client.overrides.list(status="active")}
        assert (await client.trading.get()).effective_state == "reduce_only"
        with pytest.raises(OverrideNotPendingError):
            await client.overrides.approve(override.id)
        assert (await client.overrides.revoke(override.id)).status == "revoked"

        assert (await client.trading.reduce_only("test")).state == "reduce_only"
        stopped = await client.trading.stop("async stop", close_positions=False)
        assert stopped.state == "stopped"
        with pytest.raises(TradingStoppedError):
            await client.orders.submit("AAPL", "buy", "1")
        assert (await client.trading.start("async start")).state == "running"


async def test_jwt_login_and_logout(server):
    auth = server.jwt()
    async with server.async_client(auth) as client:
        pair = await client.login()
        assert (await client.system.me()).user.username == "cl-trader"
        await client.logout()

    assert auth.refresh_token is None
    assert pair.refresh


async def test_backtests_sweeps_operations_and_deployments(client):
    assert "sma_crossover" in {s.name async for s in client.backtests.strategies()}
    assert (await client.backtests.strategy("buy_and_hold")).name == "buy_and_hold"
    started = await client.backtests.run("buy_and_hold", "MSFT", interval="1h")
    sweep = await client.backtests.run_sweep("sma_crossover", "MSFT", {"fast": [5]}, interval="1h")

    async def finished():
        operation = await client.operations.get(sweep.operation_id)
        return operation if operation.finished else None

    assert (await _until(finished, "the sweep", timeout=60)).status == "completed"
    ranked = await client.backtests.get_sweep(sweep.sweep_id)
    assert [b.id for b in ranked.results] == sweep.backtest_ids
    assert (await client.backtests.get(started.backtest_id)).strategy == "buy_and_hold"
    assert started.backtest_id in {b.id async for b in client.backtests.list(symbol="MSFT")}
    assert sweep.operation_id in {o.id async for o in client.operations.list()}
    assert (await client.operations.metrics(sweep.operation_id)).type == "backtest_sweep"
    with pytest.raises(OperationNotCancelableError):
        await client.operations.cancel(sweep.operation_id)

    (deployment,) = await client.deployments.start_many(
        "buy_and_hold", ["MSFT"], capital="1000", interval="1d"
    )
    assert (await client.deployments.pause(deployment.id)).status == "paused"
    assert (await client.deployments.resume(deployment.id)).status == "running"
    assert (await client.deployments.get(deployment.id)).signals == []
    assert deployment.id in {d.id async for d in client.deployments.list(symbol="MSFT")}
    assert (await client.deployments.stop(deployment.id, "done")).stopped
    with pytest.raises(InvalidDeploymentStateError):
        await client.deployments.stop(deployment.id)
    single = await client.deployments.start("buy_and_hold", "SPY", capital="1000", interval="1d")
    assert (await client.deployments.stop(single.id)).stopped
