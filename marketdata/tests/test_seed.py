"""The demo seeder: instruments and simulated history, idempotent and reproducible."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from marketdata.models import Candle, Instrument
from marketdata.seed import DEMO_INSTRUMENTS, candles_simulate, market_data_seed

NOW = datetime(2026, 3, 2, 15, 0, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _one_day(settings):
    settings.MARKET_SEED_HISTORY_DAYS = 1


@pytest.mark.django_db
def test_seed_creates_instruments_and_a_day_of_minutes_then_changes_nothing():
    first = market_data_seed(now=NOW)
    rows = list(Candle.objects.order_by("id").values())

    second = market_data_seed(now=NOW + timedelta(hours=1))

    assert first == "5 instrument(s) created, 0 kept; 7200 one-minute candle(s) backfilled"
    assert second == "0 instrument(s) created, 5 kept; 0 one-minute candle(s) backfilled"
    assert list(Candle.objects.order_by("id").values()) == rows
    assert sorted(Instrument.objects.values_list("symbol", flat=True)) == sorted(
        spec["symbol"] for spec in DEMO_INSTRUMENTS
    )
    aapl = Candle.objects.filter(instrument__symbol="AAPL").order_by("ts")
    assert aapl.first().ts == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert aapl.last().ts == datetime(2026, 3, 2, 14, 59, tzinfo=UTC)
    assert set(aapl.values_list("source", flat=True)) == {"simulator"}


@pytest.mark.django_db
def test_seeded_history_is_continuous_on_tick_and_reproducible():
    market_data_seed(now=NOW)
    instrument = Instrument.objects.get(symbol="EURUSD")

    again = candles_simulate(
        instrument=instrument,
        start=datetime(2026, 3, 1, 15, 0, tzinfo=UTC),
        minutes=1440,
        seed=f"{instrument.sim_seed}:history",
    )

    stored = list(Candle.objects.filter(instrument=instrument).order_by("ts"))
    fields = ("ts", "open", "high", "low", "close", "volume")
    assert [tuple(getattr(c, f) for f in fields) for c in stored] == [
        tuple(getattr(c, f) for f in fields) for c in again
    ]
    for previous, candle in pairwise(stored):
        assert candle.open == previous.close
        assert candle.low <= min(candle.open, candle.close)
        assert candle.high >= max(candle.open, candle.close)
        assert candle.close % instrument.tick_size == 0
        assert candle.volume % instrument.lot_size == 0
