"""Round-trip trades and performance (`/trades`, `/performance`) and signals (`/signals`)."""

from __future__ import annotations

from datetime import datetime

from trading_client._call import Call, body, one, page, query
from trading_client.models.analytics import Performance, Signal, Trade
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, Number, SyncResource


def _trades(
    symbol: str | None, start: datetime | None, end: datetime | None, limit: int | None
) -> Call[Page[Trade]]:
    params = query([("symbol", symbol), ("from", start), ("to", end), ("limit", limit)])
    return Call("GET", "/trades", parse=page(Trade), params=params)


def _performance(
    days: int | None, start: datetime | None, end: datetime | None
) -> Call[Performance]:
    params = query([("days", days), ("from", start), ("to", end)])
    return Call("GET", "/performance", parse=one(Performance), params=params)


def _signal_post(
    strategy: str,
    symbol: str,
    direction: str,
    decision: str,
    strength: Number | None,
    reason: str | None,
    order: int | None,
    idempotency_key: str | None,
) -> Call[Signal]:
    fields = body(
        [
            ("strategy", strategy),
            ("symbol", symbol),
            ("direction", direction),
            ("decision", decision),
            ("strength", strength),
            ("reason", reason),
            ("order", order),
        ]
    )
    return Call("POST", "/signals", parse=one(Signal), body=fields, idempotency_key=idempotency_key)


def _signals(
    strategy: str | None,
    symbol: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> Call[Page[Signal]]:
    params = query(
        [
            ("strategy", strategy),
            ("symbol", symbol),
            ("from", start),
            ("to", end),
            ("limit", limit),
        ]
    )
    return Call("GET", "/signals", parse=page(Signal), params=params)


class AnalyticsResource(SyncResource):
    """`client.analytics`: round-trip trades and performance figures."""

    def trades(
        self,
        *,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Paginator[Trade]:
        """Returns a Paginator over round-trip trades, newest first. With `start`/`end` the
        trades closed in [start, end); without, open trades are listed too."""
        return self._paginate(_trades(symbol, start, end, limit))

    def performance(
        self,
        *,
        days: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Performance:
        """Returns the figures of the trades closed in the last `days` (default 30) or in
        [start, end). Raises InvalidPeriodError, ValidationError."""
        return self._run(_performance(days, start, end))


class AsyncAnalyticsResource(AsyncResource):
    """`client.analytics` of AsyncClient."""

    def trades(
        self,
        *,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Trade]:
        """As AnalyticsResource.trades (an AsyncPaginator)."""
        return self._paginate(_trades(symbol, start, end, limit))

    async def performance(
        self,
        *,
        days: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Performance:
        """As AnalyticsResource.performance."""
        return await self._run(_performance(days, start, end))


class SignalsResource(SyncResource):
    """`client.signals`: what strategies decided, and later the outcome in R."""

    def post(
        self,
        strategy: str,
        symbol: str,
        *,
        direction: str,
        decision: str,
        strength: Number | None = None,
        reason: str | None = None,
        order: int | None = None,
        idempotency_key: str | None = None,
    ) -> Signal:
        """Record a decision (`direction` long/short/flat, `decision` taken/skipped/rejected,
        optionally the `order` it placed). Returns the Signal. Raises ValidationError,
        OrderNotFoundError (an order that is not the account's)."""
        return self._run(
            _signal_post(
                strategy, symbol, direction, decision, strength, reason, order, idempotency_key
            )
        )

    def list(
        self,
        *,
        strategy: str | None = None,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Paginator[Signal]:
        """Returns a Paginator over signals, newest first, filtered by strategy, symbol and
        creation time."""
        return self._paginate(_signals(strategy, symbol, start, end, limit))


class AsyncSignalsResource(AsyncResource):
    """`client.signals` of AsyncClient."""

    async def post(
        self,
        strategy: str,
        symbol: str,
        *,
        direction: str,
        decision: str,
        strength: Number | None = None,
        reason: str | None = None,
        order: int | None = None,
        idempotency_key: str | None = None,
    ) -> Signal:
        """As SignalsResource.post."""
        return await self._run(
            _signal_post(
                strategy, symbol, direction, decision, strength, reason, order, idempotency_key
            )
        )

    def list(
        self,
        *,
        strategy: str | None = None,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Signal]:
        """As SignalsResource.list (an AsyncPaginator)."""
        return self._paginate(_signals(strategy, symbol, start, end, limit))
