"""Market-data writes: live state in the cache, candles in the database."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction

from marketdata.candles import Bar
from marketdata.keys import book_cache_key, quote_cache_key
from marketdata.models import Candle, Instrument


def market_state_store(
    *, quotes: Sequence[dict[str, Any]], books: Sequence[dict[str, Any]], ttl_s: int
) -> None:
    """Store the latest quotes and order books in the shared cache, each living `ttl_s`."""
    values = {quote_cache_key(q["symbol"]): q for q in quotes}
    values.update({book_cache_key(b["symbol"]): b for b in books})
    cache.set_many(values, timeout=ttl_s)


def candles_record(*, bars: Iterable[Bar], instrument_ids: dict[str, int]) -> int:
    """Store bars built by the feed; a bar whose row exists already is merged into it.

    A merge happens when the feed restarts within a minute it had already flushed: the open of
    the stored row stays, extremes widen, the close is the newer one and volumes add up.
    Returns the number of bars written.
    """
    written = 0
    with transaction.atomic():
        for bar in bars:
            row = (
                Candle.objects.select_for_update()
                .filter(instrument_id=instrument_ids[bar.symbol], interval=bar.interval, ts=bar.ts)
                .first()
            )
            if row is None:
                Candle.objects.create(
                    instrument_id=instrument_ids[bar.symbol],
                    interval=bar.interval,
                    ts=bar.ts,
                    open=bar.open,
                    high=bar.high,
                    low=bar.low,
                    close=bar.close,
                    volume=bar.volume,
                    source=bar.source,
                )
            else:
                row.high = max(row.high, bar.high)
                row.low = min(row.low, bar.low)
                row.close = bar.close
                row.volume += bar.volume
                row.save(update_fields=["high", "low", "close", "volume"])
            written += 1
    return written


@dataclass(frozen=True)
class CandleRow:
    ts: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


_OHLCV = ("open", "high", "low", "close", "volume")


def candles_import(
    *, instrument: Instrument, interval: str, rows: Sequence[CandleRow], source: str
) -> ImportResult:
    """Upsert `rows` on (instrument, interval, ts) in one transaction.

    Rows equal to what is stored are left alone, so importing the same file twice changes
    nothing. Returns how many rows were created, updated and unchanged.
    """
    if not rows:
        return ImportResult(created=0, updated=0, unchanged=0)
    with transaction.atomic():
        existing = {
            candle.ts: candle
            for candle in Candle.objects.select_for_update().filter(
                instrument=instrument,
                interval=interval,
                ts__gte=min(row.ts for row in rows),
                ts__lte=max(row.ts for row in rows),
            )
        }
        to_create: list[Candle] = []
        to_update: list[Candle] = []
        unchanged = 0
        for row in rows:
            candle = existing.get(row.ts)
            if candle is None:
                to_create.append(
                    Candle(
                        instrument=instrument,
                        interval=interval,
                        ts=row.ts,
                        source=source,
                        **{name: getattr(row, name) for name in _OHLCV},
                    )
                )
            elif candle.source == source and all(
                getattr(candle, name) == getattr(row, name) for name in _OHLCV
            ):
                unchanged += 1
            else:
                for name in _OHLCV:
                    setattr(candle, name, getattr(row, name))
                candle.source = source
                to_update.append(candle)
        Candle.objects.bulk_create(to_create, batch_size=2000)
        Candle.objects.bulk_update(to_update, [*_OHLCV, "source"], batch_size=2000)
    return ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)


def candles_bulk_insert(*, candles: Sequence[Candle]) -> int:
    """Insert candles, skipping existing (instrument, interval, ts); return the count given."""
    Candle.objects.bulk_create(candles, batch_size=2000, ignore_conflicts=True)
    return len(candles)
