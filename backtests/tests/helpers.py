"""Helpers for backtest tests: the GOOG reference data as candles, synthetic bars."""

import csv
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import backtesting.test

from backtests.engine import Bars
from marketdata.services import CandleRow, candles_import

D = Decimal
GOOG_CSV = Path(backtesting.test.__file__).with_name("GOOG.csv")


def goog_rows() -> list[CandleRow]:
    """The 2,148 daily GOOG bars that ship with backtesting.py, as exact rows."""
    with GOOG_CSV.open(newline="") as handle:
        return [
            CandleRow(
                ts=datetime.fromisoformat(row[""]).replace(tzinfo=UTC),
                open=D(row["Open"]),
                high=D(row["High"]),
                low=D(row["Low"]),
                close=D(row["Close"]),
                volume=D(row["Volume"]),
            )
            for row in csv.DictReader(handle)
        ]


def goog_import(instrument) -> int:
    """Store the GOOG bars as 1d candles of `instrument`; return how many."""
    rows = goog_rows()
    candles_import(instrument=instrument, interval="1d", rows=rows, source="import")
    return len(rows)


def random_walk_rows(
    count: int, *, seed: int, start: datetime, step: timedelta, price: str = "100"
) -> list[CandleRow]:
    """Seeded random-walk OHLCV rows on a 0.01 tick."""
    rng = random.Random(seed)
    cents = int(D(price) * 100)
    rows = []
    for i in range(count):
        open_ = cents
        close = max(100, open_ + rng.randint(-150, 150))
        high = max(open_, close) + rng.randint(0, 60)
        low = max(1, min(open_, close) - rng.randint(0, 60))
        rows.append(
            CandleRow(
                ts=start + i * step,
                open=D(open_) / 100,
                high=D(high) / 100,
                low=D(low) / 100,
                close=D(close) / 100,
                volume=D(rng.randint(1, 1000)),
            )
        )
        cents = close
    return rows


def bars_of(rows: list[CandleRow]) -> Bars:
    return Bars.from_columns(
        timestamps=[int(r.ts.timestamp()) for r in rows],
        open=[r.open for r in rows],
        high=[r.high for r in rows],
        low=[r.low for r in rows],
        close=[r.close for r in rows],
        volume=[r.volume for r in rows],
    )
