"""Strategies (`/strategies`), backtests and sweeps (`/backtests`). Their operations (progress,
metrics, cancel) are `client.operations`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from trading_client._call import Call, body, one, page, query
from trading_client.models.backtests import (
    Backtest,
    BacktestStarted,
    Strategy,
    Sweep,
    SweepStarted,
)
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, Number, SyncResource
from trading_client.signing import quote_segment


def _strategies() -> Call[Page[Strategy]]:
    return Call("GET", "/strategies", parse=page(Strategy))


def _strategy(name: str) -> Call[Strategy]:
    return Call("GET", f"/strategies/{quote_segment(name)}", parse=one(Strategy))


def _run_fields(
    strategy: str,
    symbol: str,
    interval: str | None,
    start: datetime | None,
    end: datetime | None,
    initial_capital: Number | None,
    parameters: dict[str, Any] | None,
    commission: Number | None,
    slippage_bps: Number | None,
) -> list[tuple[str, Any]]:
    return [
        ("strategy", strategy),
        ("symbol", symbol),
        ("interval", interval),
        ("start", start),
        ("end", end),
        ("initial_capital", initial_capital),
        ("parameters", parameters),
        ("commission", commission),
        ("slippage_bps", slippage_bps),
    ]


def _backtest_run(
    fields: list[tuple[str, Any]], idempotency_key: str | None
) -> Call[BacktestStarted]:
    return Call(
        "POST",
        "/backtests",
        parse=one(BacktestStarted),
        body=body(fields),
        idempotency_key=idempotency_key,
    )


def _sweep_run(
    fields: list[tuple[str, Any]],
    grid: Mapping[str, Sequence[Any]],
    rank_by: str | None,
    idempotency_key: str | None,
) -> Call[SweepStarted]:
    return Call(
        "POST",
        "/backtests/sweeps",
        parse=one(SweepStarted),
        body=body([*fields, ("grid", {k: list(v) for k, v in grid.items()}), ("rank_by", rank_by)]),
        idempotency_key=idempotency_key,
    )


def _sweep(sweep_id: int, rank_by: str | None) -> Call[Sweep]:
    params = query([("rank_by", rank_by)])
    return Call("GET", f"/backtests/sweeps/{sweep_id}", parse=one(Sweep), params=params)


def _backtest(backtest_id: int) -> Call[Backtest]:
    return Call("GET", f"/backtests/{backtest_id}", parse=one(Backtest))


def _backtests(
    strategy: str | None,
    symbol: str | None,
    sweep: int | None,
    status: str | None,
    limit: int | None,
) -> Call[Page[Backtest]]:
    params = query(
        [
            ("strategy", strategy),
            ("symbol", symbol),
            ("sweep", sweep),
            ("status", status),
            ("limit", limit),
        ]
    )
    return Call("GET", "/backtests", parse=page(Backtest), params=params)


class BacktestsResource(SyncResource):
    """`client.backtests`: strategies, backtests and parameter sweeps."""

    def strategies(self) -> Paginator[Strategy]:
        """Returns a Paginator over the registered strategies."""
        return self._paginate(_strategies())

    def strategy(self, name: str) -> Strategy:
        """Returns one strategy with its parameters' schema. Raises StrategyNotFoundError."""
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
        commission: Number | None = None,
        slippage_bps: Number | None = None,
        idempotency_key: str | None = None,
    ) -> BacktestStarted:
        """Starts a backtest on a worker; returns its ids. Follow `operation_id` with
        `client.operations.get` (or the `operations` stream), then `get(backtest_id)`.
        Raises ValidationError, StrategyNotFoundError, SymbolNotFoundError."""
        fields = _run_fields(
            strategy, symbol, interval, start, end, initial_capital, parameters, commission,
            slippage_bps,
        )  # fmt: skip
        return self._run(_backtest_run(fields, idempotency_key))

    def get(self, backtest_id: int) -> Backtest:
        """Returns a backtest, with its statistics once it ran. Raises BacktestNotFoundError."""
        return self._run(_backtest(backtest_id))

    def list(
        self,
        *,
        strategy: str | None = None,
        symbol: str | None = None,
        sweep: int | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> Paginator[Backtest]:
        """Returns a Paginator over the account's backtests, newest first."""
        return self._paginate(_backtests(strategy, symbol, sweep, status, limit))

    def run_sweep(
        self,
        strategy: str,
        symbol: str,
        grid: Mapping[str, Sequence[Any]],
        *,
        interval: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        initial_capital: Number | None = None,
        parameters: dict[str, Any] | None = None,
        commission: Number | None = None,
        slippage_bps: Number | None = None,
        rank_by: str | None = None,
        idempotency_key: str | None = None,
    ) -> SweepStarted:
        """Starts one backtest per combination of `grid` ({parameter: [values]}; `parameters`
        fixes the others) under one parent operation; returns the ids. Raises ValidationError
        (`grid.<name>`, too many combinations)."""
        fields = _run_fields(
            strategy, symbol, interval, start, end, initial_capital, parameters, commission,
            slippage_bps,
        )  # fmt: skip
        return self._run(_sweep_run(fields, grid, rank_by, idempotency_key))

    def get_sweep(self, sweep_id: int, *, rank_by: str | None = None) -> Sweep:
        """Returns a sweep with its backtests ranked best first by `rank_by` (default the
        sweep's own), unfinished ones last. Raises SweepNotFoundError."""
        return self._run(_sweep(sweep_id, rank_by))


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
        commission: Number | None = None,
        slippage_bps: Number | None = None,
        idempotency_key: str | None = None,
    ) -> BacktestStarted:
        """As BacktestsResource.run."""
        fields = _run_fields(
            strategy, symbol, interval, start, end, initial_capital, parameters, commission,
            slippage_bps,
        )  # fmt: skip
        return await self._run(_backtest_run(fields, idempotency_key))

    async def get(self, backtest_id: int) -> Backtest:
        """As BacktestsResource.get."""
        return await self._run(_backtest(backtest_id))

    def list(
        self,
        *,
        strategy: str | None = None,
        symbol: str | None = None,
        sweep: int | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Backtest]:
        """As BacktestsResource.list."""
        return self._paginate(_backtests(strategy, symbol, sweep, status, limit))

    async def run_sweep(
        self,
        strategy: str,
        symbol: str,
        grid: Mapping[str, Sequence[Any]],
        *,
        interval: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        initial_capital: Number | None = None,
        parameters: dict[str, Any] | None = None,
        commission: Number | None = None,
        slippage_bps: Number | None = None,
        rank_by: str | None = None,
        idempotency_key: str | None = None,
    ) -> SweepStarted:
        """As BacktestsResource.run_sweep."""
        fields = _run_fields(
            strategy, symbol, interval, start, end, initial_capital, parameters, commission,
            slippage_bps,
        )  # fmt: skip
        return await self._run(_sweep_run(fields, grid, rank_by, idempotency_key))

    async def get_sweep(self, sweep_id: int, *, rank_by: str | None = None) -> Sweep:
        """As BacktestsResource.get_sweep."""
        return await self._run(_sweep(sweep_id, rank_by))
