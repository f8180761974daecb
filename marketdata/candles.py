"""OHLCV bars in memory: bucket arithmetic and the 1-minute builder the feed folds ticks into."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal


def bucket_start(timestamp: datetime, seconds: int) -> datetime:
    """Return the start (UTC) of the `seconds`-wide bucket holding `timestamp`."""
    epoch = int(timestamp.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


@dataclass
class Bar:
    symbol: str
    interval: str
    ts: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    source: str

    def add(self, *, price: Decimal, size: Decimal) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += size

    def as_dict(self, *, closed: bool | None = None) -> dict:
        data = {
            "symbol": self.symbol,
            "interval": self.interval,
            "timestamp": self.ts,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
            "source": self.source,
        }
        if closed is not None:
            data["closed"] = closed
        return data


class CandleBuilder:
    """Folds trades into 1-minute bars per symbol; a trade in a later minute closes the bar."""

    interval = "1m"
    seconds = 60

    def __init__(self) -> None:
        self.bars: dict[str, Bar] = {}

    def add(
        self, *, symbol: str, price: Decimal, size: Decimal, timestamp: datetime, source: str
    ) -> tuple[Bar, Bar | None]:
        """Add one trade; return (the bar it went into, the bar it closed or None)."""
        ts = bucket_start(timestamp, self.seconds)
        bar = self.bars.get(symbol)
        closed = None
        if bar is not None and ts < bar.ts + timedelta(seconds=self.seconds):
            bar.add(price=price, size=size)
            return bar, None
        closed = bar
        bar = Bar(symbol, self.interval, ts, price, price, price, price, size, source)
        self.bars[symbol] = bar
        return bar, closed

    def flush(self) -> list[Bar]:
        """Return and forget the bars still open (on shutdown)."""
        bars = list(self.bars.values())
        self.bars.clear()
        return bars
