"""Market-data reads: instruments, live state from the cache, candles at any interval."""

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, DateTimeField, Func, Max, Min, QuerySet
from redis.exceptions import RedisError

from kernel.db.expressions import ExactMax, ExactMin, ExactSum
from kernel.decimals import decimal_text
from marketdata.candles import bucket_start
from marketdata.enums import INTERVAL_SECONDS, CandleInterval, InstrumentStatus
from marketdata.errors import MarketDataUnavailable, SymbolNotFound
from marketdata.keys import book_cache_key, quote_cache_key
from marketdata.models import Candle, Instrument

BASE_INTERVAL = CandleInterval.M1.value
_CANDLE_FIELDS = ("ts", "open", "high", "low", "close", "volume", "source")


class EpochBucket(Func):
    """Start of the `seconds`-wide UTC bucket of a datetime column, as Unix seconds (SQLite)."""

    output_field = BigIntegerField()

    def __init__(self, expression: str, *, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        n = self.seconds
        if sqlite3.sqlite_version_info >= (3, 38):
            # unixepoch() parses about a third faster than strftime('%s') (measured).
            return f"(unixepoch({sql}) / {n} * {n})", params
        # '%%' because the SQLite backend turns the query's '%s' placeholders into '?'.
        return f"(CAST(strftime('%%s', {sql}) AS INTEGER) / {n} * {n})", params


class BucketStart(Func):
    """Start of the `seconds`-wide UTC bucket of a timestamptz column (PostgreSQL)."""

    output_field = DateTimeField()

    def __init__(self, expression: str, *, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        n = self.seconds
        if connection.pg_version >= 140000:
            # date_bin groups about twice as fast as epoch arithmetic on numeric (measured).
            return f"date_bin('{n} seconds', {sql}, TIMESTAMPTZ '1970-01-01 00:00:00+00')", params
        return f"to_timestamp(FLOOR(EXTRACT(EPOCH FROM {sql}) / {n}) * {n})", params


def _bucket_expression(seconds: int) -> Func:
    if connection.vendor == "postgresql":
        return BucketStart("ts", seconds=seconds)
    return EpochBucket("ts", seconds=seconds)


def _bucket_datetime(value: int | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(value, tz=UTC)


def instrument_list(*, asset_class: str | None = None, status: str | None = None) -> QuerySet:
    """Return instruments, optionally of one asset class and status."""
    queryset = Instrument.objects.all()
    if asset_class:
        queryset = queryset.filter(asset_class=asset_class)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def instrument_get(*, symbol: str) -> Instrument:
    """Return the instrument; raise SymbolNotFound. Symbols match case-insensitively."""
    try:
        return Instrument.objects.get(symbol=symbol.upper())
    except Instrument.DoesNotExist:
        raise SymbolNotFound(f"Symbol {symbol} not found", details={"symbol": symbol}) from None


def instrument_trading_list() -> list[Instrument]:
    """Return the instruments the feed should tick."""
    return list(Instrument.objects.filter(status=InstrumentStatus.TRADING).order_by("symbol"))


def _unavailable(instrument: Instrument, what: str) -> MarketDataUnavailable:
    last = candle_last(instrument=instrument)
    return MarketDataUnavailable(
        f"No live {what} for {instrument.symbol}: the market data feed is not running",
        details={
            "symbol": instrument.symbol,
            "last_close": None
            if last is None
            else {
                "price": decimal_text(last.close),
                "timestamp": last.ts,
                "interval": last.interval,
            },
        },
    )


def _cached(key: str) -> Any:
    """The feed's latest value, or None when it is missing or the cache is unreachable (both
    mean: no live price)."""
    try:
        return cache.get(key)
    except RedisError:
        return None


def quote_get(*, symbol: str) -> dict[str, Any]:
    """Return the latest quote of `symbol` as the feed left it in the cache.

    Raises SymbolNotFound, or MarketDataUnavailable (503) when no feed has quoted it lately.
    """
    # Only the feed writes a quote, and only for a known instrument: a cached quote needs no
    # lookup (order entry and every position update ask here).
    quote = _cached(quote_cache_key(symbol.upper()))
    if quote is not None:
        return quote
    raise _unavailable(instrument_get(symbol=symbol), "quote")


def quote_list(*, symbols: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Return (the latest quotes, the symbols without one); all trading instruments by default.

    Raises SymbolNotFound naming the first unknown symbol.
    """
    if symbols is None:
        wanted = [i.symbol for i in instrument_trading_list()]
    else:
        wanted = list(dict.fromkeys(symbol.upper() for symbol in symbols))
        known = set(Instrument.objects.filter(symbol__in=wanted).values_list("symbol", flat=True))
        for symbol in wanted:
            if symbol not in known:
                raise SymbolNotFound(f"Symbol {symbol} not found", details={"symbol": symbol})
    try:
        found = cache.get_many([quote_cache_key(symbol) for symbol in wanted])
    except RedisError:
        found = {}
    quotes = [found[quote_cache_key(s)] for s in wanted if quote_cache_key(s) in found]
    missing = [s for s in wanted if quote_cache_key(s) not in found]
    return quotes, missing


def orderbook_get(*, symbol: str, depth: int) -> dict[str, Any]:
    """Return the top `depth` levels of each side (bids descending, asks ascending).

    Raises SymbolNotFound, or MarketDataUnavailable when no feed has quoted the symbol lately.
    """
    instrument = instrument_get(symbol=symbol)
    book = _cached(book_cache_key(instrument.symbol))
    if book is None:
        raise _unavailable(instrument, "order book")
    return {**book, "bids": book["bids"][:depth], "asks": book["asks"][:depth]}


def candle_last(*, instrument: Instrument, interval: str | None = None) -> Candle | None:
    """Return the newest stored candle (of `interval`, else of any interval), or None."""
    queryset = Candle.objects.filter(instrument=instrument)
    if interval:
        queryset = queryset.filter(interval=interval)
    return queryset.order_by("-ts").first()


def _as_row(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "timestamp": values["ts"],
        "open": values["open"],
        "high": values["high"],
        "low": values["low"],
        "close": values["close"],
        "volume": values["volume"],
        "source": values["source"],
    }


def _stored(
    *,
    instrument: Instrument,
    interval: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    queryset = Candle.objects.filter(instrument=instrument, interval=interval)
    if start is not None:
        queryset = queryset.filter(ts__gte=start)
    if end is not None:
        queryset = queryset.filter(ts__lte=end)
    if start is not None:
        rows = list(queryset.order_by("ts").values(*_CANDLE_FIELDS)[:limit])
    else:
        rows = list(queryset.order_by("-ts").values(*_CANDLE_FIELDS)[:limit])[::-1]
    return [_as_row(row) for row in rows]


def _derived(
    *,
    instrument: Instrument,
    interval: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Aggregate stored 1-minute candles into `interval` buckets in the database.

    Only whole buckets whose start lies in [start, end] are read. The scan is bounded by the
    `limit * minutes-per-bucket`-th 1-minute row in the reading direction: that many rows fill
    at least `limit` buckets, so nothing beyond that row can be among the answer.
    """
    seconds = INTERVAL_SECONDS[interval]
    per_bucket = seconds // INTERVAL_SECONDS[BASE_INTERVAL]
    base = Candle.objects.filter(instrument=instrument, interval=BASE_INTERVAL)
    if start is not None:
        first_bucket = bucket_start(start, seconds)
        if first_bucket < start:
            first_bucket += timedelta(seconds=seconds)
        base = base.filter(ts__gte=first_bucket)
    if end is not None:
        base = base.filter(ts__lt=bucket_start(end, seconds) + timedelta(seconds=seconds))
    reach = limit * per_bucket
    if start is not None:
        bound = list(base.order_by("ts").values_list("ts", flat=True)[reach - 1 : reach])
        if bound:
            base = base.filter(ts__lt=bucket_start(bound[0], seconds) + timedelta(seconds=seconds))
    else:
        bound = list(base.order_by("-ts").values_list("ts", flat=True)[reach - 1 : reach])
        if bound:
            base = base.filter(ts__gte=bucket_start(bound[0], seconds))
    buckets: list[dict[str, Any]] = list(
        base.annotate(bucket=_bucket_expression(seconds))
        .values("bucket")
        .annotate(high=ExactMax("high"), low=ExactMin("low"), volume=ExactSum("volume"))
        .annotate(first_ts=Min("ts"), last_ts=Max("ts"))
        .order_by("bucket" if start is not None else "-bucket")[:limit]  # type: ignore[arg-type]
    )
    if not buckets:
        return []
    edges = {b["first_ts"] for b in buckets} | {b["last_ts"] for b in buckets}
    ends = {
        ts: (open_, close, source)
        for ts, open_, close, source in Candle.objects.filter(
            instrument=instrument, interval=BASE_INTERVAL, ts__in=edges
        ).values_list("ts", "open", "close", "source")
    }
    rows = [
        {
            "timestamp": _bucket_datetime(b["bucket"]),
            "open": ends[b["first_ts"]][0],
            "high": b["high"],
            "low": b["low"],
            "close": ends[b["last_ts"]][1],
            "volume": b["volume"],
            "source": ends[b["last_ts"]][2],
        }
        for b in buckets
    ]
    rows.sort(key=lambda row: row["timestamp"])
    return rows


def candle_list(
    *,
    instrument: Instrument,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """Return up to `limit` OHLCV rows of `interval`, bucket start in [start, end], oldest first.

    With `start`, the first `limit` buckets from it; without, the last `limit` up to `end`.
    Coarser intervals are derived from 1-minute candles; a stored candle of the interval itself
    (an import, say) wins over the derived one of the same bucket.
    """
    rows = {
        row["timestamp"]: row
        for row in _stored(
            instrument=instrument, interval=interval, start=start, end=end, limit=limit
        )
    }
    if interval != BASE_INTERVAL:
        derived = _derived(
            instrument=instrument, interval=interval, start=start, end=end, limit=limit
        )
        for row in derived:
            rows.setdefault(row["timestamp"], row)
    ordered = [rows[ts] for ts in sorted(rows)]
    return ordered[:limit] if start is not None else ordered[-limit:]
