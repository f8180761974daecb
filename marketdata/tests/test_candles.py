"""Candles: aggregation of 1-minute bars into coarser intervals, windows, the 1-minute builder."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketdata.candles import CandleBuilder, bucket_start
from marketdata.enums import CandleInterval, MarketDataSource
from marketdata.selectors import candle_list
from marketdata.tests.factories import CandleFactory, InstrumentFactory

D = Decimal
DAY1 = datetime(2026, 1, 5, tzinfo=UTC)
DAY2 = datetime(2026, 1, 6, tzinfo=UTC)

# (ts, open, high, low, close, volume) of 1-minute bars around midnight UTC.
MINUTES = [
    (DAY2 - timedelta(minutes=2), "10", "12", "9", "11", "1"),
    (DAY2 - timedelta(minutes=1), "11", "13", "10", "12", "2"),
    (DAY2, "12", "12.5", "11.5", "12", "3"),
    (DAY2 + timedelta(minutes=1), "12", "14", "12", "13.5", "4"),
    (DAY2 + timedelta(minutes=4), "13.5", "13.6", "13", "13.2", "5"),
    (DAY2 + timedelta(minutes=5), "13.2", "13.3", "8", "9", "6"),
]


@pytest.fixture
def instrument(db):
    instrument = InstrumentFactory(symbol="AGG")
    for ts, open_, high, low, close, volume in MINUTES:
        CandleFactory(
            instrument=instrument,
            ts=ts,
            open=D(open_),
            high=D(high),
            low=D(low),
            close=D(close),
            volume=D(volume),
        )
    return instrument


def ohlcv(rows):
    return [
        (row["timestamp"], row["open"], row["high"], row["low"], row["close"], row["volume"])
        for row in rows
    ]


def bar(ts, open_, high, low, close, volume):
    return (ts, D(open_), D(high), D(low), D(close), D(volume))


def test_one_minute_candles_come_back_as_stored_oldest_first(instrument):
    rows = candle_list(instrument=instrument, interval="1m", limit=500)

    assert ohlcv(rows) == [bar(*minute) for minute in MINUTES]
    assert {row["source"] for row in rows} == {"simulator"}


def test_five_minute_candles_from_one_minute(instrument):
    rows = candle_list(instrument=instrument, interval="5m", limit=500)

    assert ohlcv(rows) == [
        bar(DAY2 - timedelta(minutes=5), "10", "13", "9", "12", "3"),
        bar(DAY2, "12", "14", "11.5", "13.2", "12"),
        bar(DAY2 + timedelta(minutes=5), "13.2", "13.3", "8", "9", "6"),
    ]


def test_fifteen_minute_candles_from_one_minute(instrument):
    rows = candle_list(instrument=instrument, interval="15m", limit=500)

    assert ohlcv(rows) == [
        bar(DAY2 - timedelta(minutes=15), "10", "13", "9", "12", "3"),
        bar(DAY2, "12", "14", "8", "9", "18"),
    ]


def test_hourly_candles_from_one_minute(instrument):
    rows = candle_list(instrument=instrument, interval="1h", limit=500)

    assert ohlcv(rows) == [
        bar(DAY2 - timedelta(hours=1), "10", "13", "9", "12", "3"),
        bar(DAY2, "12", "14", "8", "9", "18"),
    ]


def test_daily_candles_from_one_minute_split_at_utc_midnight(instrument):
    rows = candle_list(instrument=instrument, interval="1d", limit=500)

    assert ohlcv(rows) == [
        bar(DAY1, "10", "13", "9", "12", "3"),
        bar(DAY2, "12", "14", "8", "9", "18"),
    ]
    assert [row["source"] for row in rows] == ["simulator", "simulator"]


def test_stored_daily_candle_wins_over_the_derived_one(instrument):
    # given an imported bar for the second day
    CandleFactory(
        instrument=instrument,
        interval=CandleInterval.D1,
        ts=DAY2,
        open=D("20"),
        high=D("25"),
        low=D("19"),
        close=D("24"),
        volume=D("1000"),
        source=MarketDataSource.IMPORT,
    )

    rows = candle_list(instrument=instrument, interval="1d", limit=500)

    assert ohlcv(rows) == [
        bar(DAY1, "10", "13", "9", "12", "3"),
        bar(DAY2, "20", "25", "19", "24", "1000"),
    ]
    assert [row["source"] for row in rows] == ["simulator", "import"]


def test_from_selects_whole_buckets_starting_at_or_after_it(instrument):
    rows = candle_list(
        instrument=instrument, interval="5m", start=DAY2 - timedelta(minutes=3), limit=500
    )

    assert [row["timestamp"] for row in rows] == [DAY2, DAY2 + timedelta(minutes=5)]


def test_to_includes_the_whole_bucket_that_starts_before_it(instrument):
    rows = candle_list(
        instrument=instrument, interval="5m", end=DAY2 + timedelta(minutes=2), limit=500
    )

    assert ohlcv(rows)[-1] == bar(DAY2, "12", "14", "11.5", "13.2", "12")
    assert len(rows) == 2


def test_limit_without_from_keeps_the_latest(instrument):
    rows = candle_list(instrument=instrument, interval="5m", limit=2)

    assert [row["timestamp"] for row in rows] == [DAY2, DAY2 + timedelta(minutes=5)]


def test_limit_with_from_keeps_the_earliest(instrument):
    rows = candle_list(instrument=instrument, interval="5m", start=DAY1, limit=2)

    assert [row["timestamp"] for row in rows] == [DAY2 - timedelta(minutes=5), DAY2]


@pytest.mark.django_db
def test_bounded_scan_finds_the_latest_buckets_across_gaps():
    # given ten full minutes, a gap, and two lone minutes
    instrument = InstrumentFactory(symbol="GAPS")
    minutes = [*range(10), 30, 31]
    for minute in minutes:
        price = D(100 + minute)
        CandleFactory(
            instrument=instrument,
            ts=DAY2 + timedelta(minutes=minute),
            open=price,
            high=price + 1,
            low=price - 1,
            close=price,
            volume=D(1),
        )

    latest = candle_list(instrument=instrument, interval="5m", limit=2)
    earliest = candle_list(instrument=instrument, interval="5m", start=DAY2, limit=2)

    assert ohlcv(latest) == [
        bar(DAY2 + timedelta(minutes=5), "105", "110", "104", "109", "5"),
        bar(DAY2 + timedelta(minutes=30), "130", "132", "129", "131", "2"),
    ]
    assert ohlcv(earliest) == [
        bar(DAY2, "100", "105", "99", "104", "5"),
        bar(DAY2 + timedelta(minutes=5), "105", "110", "104", "109", "5"),
    ]


@pytest.mark.django_db
def test_no_candles_is_an_empty_list():
    instrument = InstrumentFactory(symbol="EMPTY")

    assert candle_list(instrument=instrument, interval="1h", limit=10) == []
    assert candle_list(instrument=instrument, interval="1m", limit=10) == []


def test_bucket_start_is_utc_aligned():
    ts = datetime(2026, 1, 6, 13, 47, 59, 999_000, tzinfo=UTC)

    assert bucket_start(ts, 60) == datetime(2026, 1, 6, 13, 47, tzinfo=UTC)
    assert bucket_start(ts, 900) == datetime(2026, 1, 6, 13, 45, tzinfo=UTC)
    assert bucket_start(ts, 86400) == datetime(2026, 1, 6, tzinfo=UTC)


def test_builder_folds_prints_into_minutes_and_closes_on_the_next_minute():
    builder = CandleBuilder()
    t0 = datetime(2026, 1, 6, 9, 30, 10, tzinfo=UTC)

    first, closed1 = builder.add(symbol="X", price=D("10"), size=D("1"), timestamp=t0, source="s")
    builder.add(
        symbol="X", price=D("12"), size=D("2"), timestamp=t0 + timedelta(seconds=5), source="s"
    )
    builder.add(
        symbol="X", price=D("9"), size=D("3"), timestamp=t0 + timedelta(seconds=40), source="s"
    )
    second, closed = builder.add(
        symbol="X", price=D("11"), size=D("4"), timestamp=t0 + timedelta(seconds=50), source="s"
    )

    assert closed1 is None
    assert second.ts == datetime(2026, 1, 6, 9, 31, tzinfo=UTC)
    assert (closed.ts, closed.open, closed.high, closed.low, closed.close, closed.volume) == (
        datetime(2026, 1, 6, 9, 30, tzinfo=UTC),
        D("10"),
        D("12"),
        D("9"),
        D("9"),
        D("6"),
    )
    assert first is closed
    assert [b.ts for b in builder.flush()] == [datetime(2026, 1, 6, 9, 31, tzinfo=UTC)]
    assert builder.flush() == []
