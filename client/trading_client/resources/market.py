"""Market data: `/instruments`, `/quotes`, `/candles`, `/orderbook` (read scope)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from trading_client._call import Call, one, page, query
from trading_client.models.market import Candles, Instrument, OrderBook, Quote, Quotes
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, SyncResource
from trading_client.signing import quote_segment


def _instruments(
    asset_class: str | None, status: str | None, limit: int | None
) -> Call[Page[Instrument]]:
    params = query([("asset_class", asset_class), ("status", status), ("limit", limit)])
    return Call("GET", "/instruments", parse=page(Instrument), params=params)


def _instrument(symbol: str) -> Call[Instrument]:
    return Call("GET", f"/instruments/{quote_segment(symbol)}", parse=one(Instrument))


def _quote(symbol: str) -> Call[Quote]:
    return Call("GET", f"/quotes/{quote_segment(symbol)}", parse=one(Quote))


def _quotes(symbols: Sequence[str] | None) -> Call[Quotes]:
    params = query([("symbols", None if symbols is None else list(symbols))])
    return Call("GET", "/quotes", parse=one(Quotes), params=params)


def _candles(
    symbol: str,
    interval: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> Call[Candles]:
    params = query([("interval", interval), ("from", start), ("to", end), ("limit", limit)])
    return Call("GET", f"/candles/{quote_segment(symbol)}", parse=one(Candles), params=params)


def _order_book(symbol: str, depth: int | None) -> Call[OrderBook]:
    params = query([("depth", depth)])
    return Call("GET", f"/orderbook/{quote_segment(symbol)}", parse=one(OrderBook), params=params)


class MarketResource(SyncResource):
    """`client.market`: instruments, quotes, candles and order books."""

    def instruments(
        self,
        *,
        asset_class: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> Paginator[Instrument]:
        """Returns a Paginator over the instruments by symbol (filters: `asset_class` such as
        `equity`, `status` `trading` or `halted`)."""
        return self._paginate(_instruments(asset_class, status, limit))

    def instrument(self, symbol: str) -> Instrument:
        """Returns one instrument; raises SymbolNotFoundError."""
        return self._run(_instrument(symbol))

    def quote(self, symbol: str) -> Quote:
        """Returns the latest live quote. Raises SymbolNotFoundError, and
        ServiceUnavailableError (retried first) when the feed has not quoted it lately."""
        return self._run(_quote(symbol))

    def quotes(self, symbols: Sequence[str] | None = None) -> Quotes:
        """Returns the live quotes of `symbols` (every trading instrument by default) and the
        symbols without one (`unavailable`). Raises SymbolNotFoundError for an unknown one."""
        return self._run(_quotes(symbols))

    def candles(
        self,
        symbol: str,
        *,
        interval: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Candles:
        """Returns OHLCV candles oldest first (`interval` 1m 5m 15m 1h 1d, default 1m; at most
        `limit`, default 500: from `start` on, else the last ones up to `end` or now).
        Raises SymbolNotFoundError, ValidationError."""
        return self._run(_candles(symbol, interval, start, end, limit))

    def order_book(self, symbol: str, *, depth: int | None = None) -> OrderBook:
        """Returns the live order book, `depth` levels a side (1-50, default 10). Raises
        SymbolNotFoundError, ServiceUnavailableError."""
        return self._run(_order_book(symbol, depth))


class AsyncMarketResource(AsyncResource):
    """`client.market` of AsyncClient: MarketResource's methods, awaited."""

    def instruments(
        self,
        *,
        asset_class: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Instrument]:
        """As MarketResource.instruments (an AsyncPaginator)."""
        return self._paginate(_instruments(asset_class, status, limit))

    async def instrument(self, symbol: str) -> Instrument:
        """As MarketResource.instrument."""
        return await self._run(_instrument(symbol))

    async def quote(self, symbol: str) -> Quote:
        """As MarketResource.quote."""
        return await self._run(_quote(symbol))

    async def quotes(self, symbols: Sequence[str] | None = None) -> Quotes:
        """As MarketResource.quotes."""
        return await self._run(_quotes(symbols))

    async def candles(
        self,
        symbol: str,
        *,
        interval: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Candles:
        """As MarketResource.candles."""
        return await self._run(_candles(symbol, interval, start, end, limit))

    async def order_book(self, symbol: str, *, depth: int | None = None) -> OrderBook:
        """As MarketResource.order_book."""
        return await self._run(_order_book(symbol, depth))
