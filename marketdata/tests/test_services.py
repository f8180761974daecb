"""Writes: the feed's candles (merged on restart) and the replay source's clock."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketdata.candles import Bar
from marketdata.feed import MarketDataFeed
from marketdata.models import Candle
from marketdata.replay import ReplaySource
from marketdata.services import candles_record
from marketdata.tests.factories import CandleFactory, InstrumentFactory
from marketdata.tests.test_simulator import make_spec

D = Decimal
MINUTE = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_candles_record_merges_into_a_minute_stored_before_a_restart():
    # given the first part of a minute stored at shutdown
    instrument = InstrumentFactory(symbol="MRG")
    CandleFactory(
        instrument=instrument,
        ts=MINUTE,
        open=D("10"),
        high=D("11"),
        low=D("9.5"),
        close=D("10.5"),
        volume=D("3"),
    )

    # when the restarted feed stores the rest of that minute
    written = candles_record(
        bars=[
            Bar("MRG", "1m", MINUTE, D("10.4"), D("12"), D("10"), D("11.5"), D("4"), "simulator")
        ],
        instrument_ids={"MRG": instrument.id},
    )

    # then the open stays, extremes widen, the close is the newer one and volumes add up
    row = Candle.objects.get()
    assert written == 1
    assert (row.open, row.high, row.low, row.close, row.volume) == (
        D("10"),
        D("12"),
        D("9.5"),
        D("11.5"),
        D("7"),
    )


def test_replay_loops_back_to_the_first_bar():
    spec = make_spec(symbol="LOOP")
    day = datetime(2024, 1, 2, tzinfo=UTC)
    bars = [Bar("LOOP", "1d", day, D("10"), D("12"), D("9"), D("11"), D("4"), "import")]
    replay = ReplaySource(
        specs=[spec], bars={"LOOP": bars}, interval_seconds=86_400, speed=D(86_400), loop=True
    )

    first_lap = replay.advance(wall_seconds=D(1), levels=1)
    second_lap = replay.advance(wall_seconds=D(1), levels=1)

    assert [t.trade.price for t, _ in first_lap] == [D("10"), D("9"), D("12"), D("11")]
    assert [(t.trade.timestamp, t.trade.price) for t, _ in second_lap] == [(day, D("10"))]
    assert replay.laps == 1


def test_replay_without_loop_stops_at_the_end():
    spec = make_spec(symbol="ONCE")
    day = datetime(2024, 1, 2, tzinfo=UTC)
    bars = [Bar("ONCE", "1d", day, D("10"), D("12"), D("9"), D("11"), D("4"), "import")]
    replay = ReplaySource(
        specs=[spec], bars={"ONCE": bars}, interval_seconds=86_400, speed=D(43_200), loop=False
    )

    played = [replay.advance(wall_seconds=D(1), levels=1) for _ in range(4)]

    assert [len(step) for step in played] == [3, 1, 0, 0]
    assert [bar for _, bar in played[0]] == [None, None, None]
    assert played[1][0][1] is bars[0]
    assert replay.is_finished
    assert replay.clock == day + timedelta(days=1)


def test_an_unknown_source_is_a_configuration_error():
    with pytest.raises(
        ImproperlyConfigured, match="MARKET_DATA_SOURCE must be simulator or replay"
    ):
        MarketDataFeed(source="tape")
