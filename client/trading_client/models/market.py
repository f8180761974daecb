"""Market data: instruments, quotes, candles, order books."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from trading_client.models._base import Model, json_name


@dataclass(frozen=True, kw_only=True)
class Instrument(Model):
    symbol: str
    name: str
    asset_class: str
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    min_quantity: Decimal
    status: str


@dataclass(frozen=True, kw_only=True)
class Quote(Model):
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    last: Decimal | None = None
    volume: Decimal | None = None
    timestamp: datetime | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Quotes(Model):
    """`GET /quotes`: the live quotes and the symbols that have none right now."""

    quotes: list[Quote] = field(metadata=json_name("results"))
    unavailable: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Candle(Model):
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Candles(Model):
    """OHLCV rows of one symbol and interval, oldest first."""

    symbol: str
    interval: str
    candles: list[Candle] = field(metadata=json_name("results"))


@dataclass(frozen=True, kw_only=True)
class BookLevel(Model):
    price: Decimal
    size: Decimal
    count: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderBook(Model):
    """Bids best (highest) first, asks best (lowest) first."""

    symbol: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    timestamp: datetime | None = None
    source: str | None = None
