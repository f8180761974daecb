"""Balances, positions (and closing them), the portfolio summary and the equity curve."""

from __future__ import annotations

from datetime import datetime

from trading_client._call import Call, array, one, query, results
from trading_client.models.orders import Order
from trading_client.models.portfolio import Balance, CloseResult, EquityPoint, Portfolio, Position
from trading_client.resources._base import AsyncResource, SyncResource
from trading_client.signing import quote_segment

Balances = list[Balance]
Positions = list[Position]
CloseResults = list[CloseResult]
EquityCurve = list[EquityPoint]


def _balances() -> Call[Balances]:
    return Call("GET", "/balances", parse=results(Balance))


def _positions() -> Call[Positions]:
    return Call("GET", "/positions", parse=results(Position))


def _position(symbol: str) -> Call[Position]:
    return Call("GET", f"/positions/{quote_segment(symbol)}", parse=one(Position))


def _close(symbol: str, idempotency_key: str | None) -> Call[Order]:
    path = f"/positions/{quote_segment(symbol)}"
    return Call("DELETE", path, parse=one(Order), idempotency_key=idempotency_key)


def _close_all(idempotency_key: str | None) -> Call[CloseResults]:
    return Call("DELETE", "/positions", parse=array(CloseResult), idempotency_key=idempotency_key)


def _summary() -> Call[Portfolio]:
    return Call("GET", "/portfolio", parse=one(Portfolio))


def _equity(
    start: datetime | None, end: datetime | None, interval: str | None
) -> Call[EquityCurve]:
    params = query([("from", start), ("to", end), ("interval", interval)])
    return Call("GET", "/portfolio/equity", parse=results(EquityPoint), params=params)


class PortfolioResource(SyncResource):
    """`client.portfolio`: balances, positions, the summary and the equity curve."""

    def balances(self) -> Balances:
        """Returns one Balance per currency (total = available + locked)."""
        return self._run(_balances())

    def positions(self) -> Positions:
        """Returns the open positions, marked at the side a close would take."""
        return self._run(_positions())

    def position(self, symbol: str) -> Position:
        """Returns the open position in `symbol`; raises PositionNotFoundError."""
        return self._run(_position(symbol))

    def close_position(self, symbol: str, *, idempotency_key: str | None = None) -> Order:
        """Close the position in `symbol` with a market order; returns that order. Raises
        PositionNotFoundError, ServiceUnavailableError (no live quote)."""
        return self._run(_close(symbol, idempotency_key))

    def close_all_positions(self, *, idempotency_key: str | None = None) -> CloseResults:
        """Close every open position; returns one CloseResult per position with its own
        status code (the server answers 207)."""
        return self._run(_close_all(idempotency_key))

    def summary(self) -> Portfolio:
        """Returns cash, equity, PnL, exposure, drawdown, zone and risk level, computed live.
        Raises CurrencyMismatchError when a position is quoted in another currency."""
        return self._run(_summary())

    def equity(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        interval: str | None = None,
    ) -> EquityCurve:
        """Returns the equity curve from the engine's snapshots, oldest first (with `interval`
        the last snapshot of each bucket; at most the newest 1000 points)."""
        return self._run(_equity(start, end, interval))


class AsyncPortfolioResource(AsyncResource):
    """`client.portfolio` of AsyncClient: PortfolioResource's methods, awaited."""

    async def balances(self) -> Balances:
        """As PortfolioResource.balances."""
        return await self._run(_balances())

    async def positions(self) -> Positions:
        """As PortfolioResource.positions."""
        return await self._run(_positions())

    async def position(self, symbol: str) -> Position:
        """As PortfolioResource.position."""
        return await self._run(_position(symbol))

    async def close_position(self, symbol: str, *, idempotency_key: str | None = None) -> Order:
        """As PortfolioResource.close_position."""
        return await self._run(_close(symbol, idempotency_key))

    async def close_all_positions(self, *, idempotency_key: str | None = None) -> CloseResults:
        """As PortfolioResource.close_all_positions."""
        return await self._run(_close_all(idempotency_key))

    async def summary(self) -> Portfolio:
        """As PortfolioResource.summary."""
        return await self._run(_summary())

    async def equity(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        interval: str | None = None,
    ) -> EquityCurve:
        """As PortfolioResource.equity."""
        return await self._run(_equity(start, end, interval))
