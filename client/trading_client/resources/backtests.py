"""Strategies (`/strategies`), backtests (`/backtests`) and long operations (`/operations`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trading_client._call import Call, body, one, page, query
from trading_client.models.backtests import Backtest, BacktestStarted, Operation, Strategy
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, Number, SyncResource


def _strategies() -> Call[Page[Strategy]]:
    return Call("GET", "/strategies", parse=page(Strategy))


def _strategy(name: str) -> Call[Strategy]:
    return Call("GET", f"/strategies/{name}", parse=one(Strategy))


def _backtest_run(
    strategy: str,
    symbol: str,
    interval: str | None,
    start: datetime | None,
    end: datetime | None,
    initial_capital: Number | None,
    parameters: dict[str, Any] | None,
    idempotency_key: str | None,
) -> Call[BacktestStarted]:
    fields = body(
        [
            ("strategy", strategy),
            ("symbol", symbol),
            ("interval", interval),
            ("start", start),
            ("end", end),
            ("initial_capital", initial_capital),
            ("parameters", parameters),
        ]
    )
    return Call(
        "POST",
        "/backtests",
        parse=one(BacktestStarted),
        body=fields,
        idempotency_key=idempotency_key,
    )


def _backtest(backtest_id: int) -> Call[Backtest]:
    return Call("GET", f"/backtests/{backtest_id}", parse=one(Backtest))


def _backtests(strategy: str | None, symbol: str | None) -> Call[Page[Backtest]]:
    params = query([("strategy", strategy), ("symbol", symbol)])
    return Call("GET", "/backtests", parse=page(Backtest), params=params)


def _operation(operation_id: int) -> Call[Operation]:
    return Call("GET", f"/operations/{operation_id}", parse=one(Operation))


def _operations(status: str | None, type_: str | None) -> Call[Page[Operation]]:
    params = query([("status", status), ("type", type_)])
    return Call("GET", "/operations", parse=page(Operation), params=params)


def _operation_cancel(operation_id: int) -> Call[Operation]:
    return Call("DELETE", f"/operations/{operation_id}/cancel", parse=one(Operation))


class BacktestsResource(SyncResource):
    """`client.backtests`: strategies, backtests and the operations that run them."""

    def strategies(self) -> Paginator[Strategy]:
        """Returns a Paginator over the registered strategies."""
        return self._paginate(_strategies())

    def strategy(self, name: str) -> Strategy:
        """Returns one strategy with its parameters' schema. Raises NotFoundError."""
        return self._run(_strategy(name))

    def run(
        self,
        strategy: str,
        symbol: str,
        *,
        interval: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        initial_capital: Number | None = None,
        parameters: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> BacktestStarted:
        """Starts a backtest on a worker; returns its ids. Follow `operation_id` with
        `operation` (or the `operations` stream), then `get(backtest_id)`. Raises
        ValidationError."""
        return self._run(
            _backtest_run(
                strategy, symbol, interval, start, end, initial_capital, parameters,
                idempotency_key,
            )
        )  # fmt: skip

    def get(self, backtest_id: int) -> Backtest:
        """Returns a backtest, with its statistics once it ran. Raises NotFoundError."""
        return self._run(_backtest(backtest_id))

    def list(
        self, *, strategy: str | None = None, symbol: str | None = None
    ) -> Paginator[Backtest]:
        """Returns a Paginator over the account's backtests, newest first."""
        return self._paginate(_backtests(strategy, symbol))

    def operation(self, operation_id: int) -> Operation:
        """Returns a long operation with its progress. Raises NotFoundError."""
        return self._run(_operation(operation_id))

    def operations(
        self, *, status: str | None = None, type: str | None = None
    ) -> Paginator[Operation]:
        """Returns a Paginator over the account's operations, newest first."""
        return self._paginate(_operations(status, type))

    def cancel(self, operation_id: int) -> Operation:
        """Cancels a pending or running operation. Raises ConflictError when it finished."""
        return self._run(_operation_cancel(operation_id))


class AsyncBacktestsResource(AsyncResource):
    """`client.backtests` of AsyncClient."""

    def strategies(self) -> AsyncPaginator[Strategy]:
        """As BacktestsResource.strategies."""
        return self._paginate(_strategies())

    async def strategy(self, name: str) -> Strategy:
        """As BacktestsResource.strategy."""
        return await self._run(_strategy(name))

    async def run(
        self,
        strategy: str,
        symbol: str,
        *,
        interval: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        initial_capital: Number | None = None,
        parameters: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> BacktestStarted:
        """As BacktestsResource.run."""
        return await self._run(
            _backtest_run(
                strategy, symbol, interval, start, end, initial_capital, parameters,
                idempotency_key,
            )
        )  # fmt: skip

    async def get(self, backtest_id: int) -> Backtest:
        """As BacktestsResource.get."""
        return await self._run(_backtest(backtest_id))

    def list(
        self, *, strategy: str | None = None, symbol: str | None = None
    ) -> AsyncPaginator[Backtest]:
        """As BacktestsResource.list."""
        return self._paginate(_backtests(strategy, symbol))

    async def operation(self, operation_id: int) -> Operation:
        """As BacktestsResource.operation."""
        return await self._run(_operation(operation_id))

    def operations(
        self, *, status: str | None = None, type: str | None = None
    ) -> AsyncPaginator[Operation]:
        """As BacktestsResource.operations."""
        return self._paginate(_operations(status, type))

    async def cancel(self, operation_id: int) -> Operation:
        """As BacktestsResource.cancel."""
        return await self._run(_operation_cancel(operation_id))
