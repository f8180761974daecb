"""The engine component: ticks stored in the cache, candles in the database, events on groups."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.layers import channel_layers
from django.core.cache import cache
from django.db import IntegrityError

from marketdata.enums import InstrumentStatus
from marketdata.feed import MarketDataFeed
from marketdata.keys import book_cache_key, market_group, quote_cache_key
from marketdata.models import Candle
from marketdata.tests.factories import CandleFactory, InstrumentFactory

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, 10, tzinfo=UTC)
pytestmark = pytest.mark.django_db(transaction=True)


def fresh_layer():
    """A channel layer of this test's own, bound to this test's event loop."""
    return channel_layers.make_backend("default")


async def listen(layer, channel: str, symbol: str) -> str:
    name = await layer.new_channel()
    await layer.group_add(market_group(channel, symbol), name)
    return name


async def receive(layer, name: str, count: int) -> list[dict]:
    """The next `count` messages on `name`; each must arrive within the deadline."""
    return [await asyncio.wait_for(layer.receive(name), timeout=10) for _ in range(count)]


async def test_ticks_publish_quote_trade_orderbook_and_candle_events():
    # given one trading instrument and a listener on each of its groups
    await sync_to_async(InstrumentFactory)(symbol="AAPL", sim_seed=11)
    layer = fresh_layer()
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5, channel_layer=layer)
    await feed.start()
    listeners = {
        channel: await listen(layer, channel, "AAPL")
        for channel in ("quotes", "trades", "orderbook", "candles")
    }

    # when the feed ticks three times within a minute
    ticks = [await feed.step(now=T0 + timedelta(seconds=i)) for i in range(3)]

    # then each group received one event per tick
    quotes = await receive(layer, listeners["quotes"], 3)
    trades = await receive(layer, listeners["trades"], 3)
    books = await receive(layer, listeners["orderbook"], 3)
    candles = await receive(layer, listeners["candles"], 3)
    assert [m["type"] for m in quotes] == ["md.quote"] * 3
    assert [m["type"] for m in trades] == ["md.trade"] * 3
    assert [m["type"] for m in books] == ["md.orderbook"] * 3
    assert [m["type"] for m in candles] == ["md.candle"] * 3
    last = ticks[-1][0]
    assert quotes[-1] == {
        "type": "md.quote",
        "group": "md.quotes.AAPL",
        "channel": "quotes",
        "symbol": "AAPL",
        "data": {
            "symbol": "AAPL",
            "bid": str(last.quote.bid),
            "ask": str(last.quote.ask),
            "bid_size": str(last.quote.bid_size),
            "ask_size": str(last.quote.ask_size),
            "last": str(last.quote.last),
            "volume": str(last.quote.volume),
            "timestamp": "2026-03-02T15:00:12Z",
            "source": "simulator",
        },
    }
    assert trades[-1]["data"]["price"] == str(last.trade.price)
    assert trades[-1]["data"]["id"] == 3
    assert len(books[-1]["data"]["bids"]) == 10
    assert books[-1]["data"]["bids"][0] == {
        "price": str(last.quote.bid),
        "size": str(last.quote.bid_size),
        "count": last.book.bids[0].count,
    }
    forming = candles[-1]["data"]
    prints = [t[0].trade.price for t in ticks]
    assert forming["closed"] is False
    assert forming["timestamp"] == "2026-03-02T15:00:00Z"
    assert forming["open"] == str(prints[0])
    assert forming["close"] == str(prints[-1])
    assert forming["high"] == str(max(prints))
    assert forming["low"] == str(min(prints))
    assert feed.status() == {
        "state": "up",
        "source": "simulator",
        "symbols": 1,
        "ticks": 3,
        "last_tick_at": "2026-03-02T15:00:12+00:00",
    }


async def test_latest_quote_and_book_are_in_the_cache_after_a_tick():
    await sync_to_async(InstrumentFactory)(symbol="MSFT")
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5, channel_layer=fresh_layer())
    await feed.start()

    [tick] = await feed.step(now=T0)

    quote = await sync_to_async(cache.get)(quote_cache_key("MSFT"))
    book = await sync_to_async(cache.get)(book_cache_key("MSFT"))
    assert quote == tick.quote.as_dict()
    assert book == tick.book.as_dict()
    assert len(book["bids"]) == 50


async def test_a_new_minute_stores_the_closed_one_minute_candle():
    instrument = await sync_to_async(InstrumentFactory)(symbol="SPY")
    layer = fresh_layer()
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5, channel_layer=layer)
    await feed.start()
    candles = await listen(layer, "candles", "SPY")

    first = [await feed.step(now=T0 + timedelta(seconds=s)) for s in (0, 20, 40)]
    await feed.step(now=T0 + timedelta(seconds=60))

    prints = [tick[0].trade for tick in first]
    row = await sync_to_async(Candle.objects.get)(instrument=instrument, interval="1m")
    assert (row.ts, row.open, row.high, row.low, row.close, row.volume, row.source) == (
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        prints[0].price,
        max(p.price for p in prints),
        min(p.price for p in prints),
        prints[-1].price,
        sum((p.size for p in prints), D(0)),
        "simulator",
    )
    # three forming updates, then the closed minute and the new forming one
    events = [m["data"] for m in await receive(layer, candles, 5)]
    closed = [e for e in events if e["closed"]]
    assert [e["timestamp"] for e in closed] == ["2026-03-02T15:00:00Z"]
    assert closed[0]["close"] == str(prints[-1].price)


async def test_stop_stores_the_open_minute_and_a_restart_continues_from_its_close():
    instrument = await sync_to_async(InstrumentFactory)(symbol="BTCUSD")
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5, channel_layer=fresh_layer())
    await feed.start()
    [tick] = await feed.step(now=T0)

    await feed.stop()

    row = await sync_to_async(Candle.objects.get)(instrument=instrument, interval="1m")
    assert row.close == tick.trade.price
    assert feed.status()["state"] == "down"
    restarted = MarketDataFeed(source="simulator", channel_layer=fresh_layer())
    await restarted.start()
    assert restarted.simulators["BTCUSD"].walk.price == tick.trade.price


async def test_halted_instruments_are_not_ticked():
    await sync_to_async(InstrumentFactory)(symbol="LIVE")
    await sync_to_async(InstrumentFactory)(symbol="HALT", status=InstrumentStatus.HALTED)
    feed = MarketDataFeed(source="simulator", channel_layer=fresh_layer())
    await feed.start()

    ticks = await feed.step(now=T0)

    assert [t.quote.symbol for t in ticks] == ["LIVE"]


async def test_instrument_with_its_own_slower_interval_ticks_less_often():
    await sync_to_async(InstrumentFactory)(symbol="FAST")
    await sync_to_async(InstrumentFactory)(symbol="SLOW", sim_tick_interval_s=D("2"))
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5, channel_layer=fresh_layer())
    await feed.start()

    symbols = []
    for step in range(8):
        ticks = await feed.step(now=T0 + timedelta(milliseconds=500 * step))
        symbols.append(sorted(t.quote.symbol for t in ticks))

    assert [s.count("SLOW") for s in symbols] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert all("FAST" in s for s in symbols)


async def test_replay_plays_stored_bars_as_prints_and_candles(settings):
    # given two daily bars
    settings.MARKET_REPLAY_INTERVAL = "1d"
    settings.MARKET_REPLAY_SPEED = 86_400.0
    settings.MARKET_REPLAY_LOOP = False
    instrument = await sync_to_async(InstrumentFactory)(symbol="HIST")
    day = datetime(2024, 1, 2, tzinfo=UTC)
    await sync_to_async(CandleFactory)(
        instrument=instrument,
        interval="1d",
        ts=day,
        open=D("10"),
        high=D("12"),
        low=D("9"),
        close=D("11"),
        volume=D("400"),
        source="import",
    )
    await sync_to_async(CandleFactory)(
        instrument=instrument,
        interval="1d",
        ts=day + timedelta(days=1),
        open=D("11"),
        high=D("11.5"),
        low=D("8"),
        close=D("8.5"),
        volume=D("80"),
        source="import",
    )
    layer = fresh_layer()
    feed = MarketDataFeed(source="replay", tick_interval_s=0.25, channel_layer=layer)
    await feed.start()
    candles = await listen(layer, "candles", "HIST")

    # when the replay runs past both bars (a quarter day of history per step)
    prints = []
    for _ in range(10):
        prints += [(t.trade.timestamp, t.trade.price, t.trade.size) for t in await feed.step()]

    # then each bar became open, nearer extreme, other extreme, close
    assert prints == [
        (day, D("10"), D("100")),
        (day + timedelta(hours=6), D("9"), D("100")),
        (day + timedelta(hours=12), D("12"), D("100")),
        (day + timedelta(hours=18), D("11"), D("100")),
        (day + timedelta(days=1), D("11"), D("20")),
        (day + timedelta(days=1, hours=6), D("11.5"), D("20")),
        (day + timedelta(days=1, hours=12), D("8"), D("20")),
        (day + timedelta(days=1, hours=18), D("8.5"), D("20")),
    ]
    events = [m["data"] for m in await receive(layer, candles, 2)]
    assert [(e["timestamp"], e["close"], e["source"], e["closed"]) for e in events] == [
        ("2024-01-02T00:00:00Z", "11", "import", True),
        ("2024-01-03T00:00:00Z", "8.5", "import", True),
    ]
    quote = await sync_to_async(cache.get)(quote_cache_key("HIST"))
    assert quote["source"] == "replay"
    assert quote["last"] == D("8.5")
    assert quote["bid"] <= D("8.5") <= quote["ask"]
    # a replay writes no candles of its own
    assert await sync_to_async(Candle.objects.filter(interval="1m").count)() == 0
    assert feed.status()["source"] == "replay"


async def test_run_ticks_until_cancelled_and_then_reports_down():
    await sync_to_async(InstrumentFactory)(symbol="RUN")
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.01, channel_layer=fresh_layer())

    task = asyncio.create_task(feed.run(engine=None))
    deadline = asyncio.get_running_loop().time() + 10
    while feed.ticks < 3 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert feed.status()["state"] == "up"
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert feed.ticks >= 3
    assert feed.status()["state"] == "down"
    assert await sync_to_async(cache.get)(quote_cache_key("RUN")) is not None


async def test_a_candle_that_failed_to_store_is_stored_on_the_next_step():
    instrument = await sync_to_async(InstrumentFactory)(symbol="RETRY")
    feed = MarketDataFeed(source="simulator", channel_layer=fresh_layer())
    await feed.start()
    await feed.step(now=T0)
    # A row id that does not exist makes the insert fail in the database itself.
    feed.instrument_ids["RETRY"] = instrument.id + 10_000

    with pytest.raises(IntegrityError):
        await feed.step(now=T0 + timedelta(seconds=60))

    assert [bar.ts for bar in feed.unsaved_bars] == [datetime(2026, 3, 2, 15, 0, tzinfo=UTC)]
    feed.instrument_ids["RETRY"] = instrument.id
    await feed.step(now=T0 + timedelta(seconds=120))
    stored = await sync_to_async(list)(
        Candle.objects.filter(instrument=instrument).order_by("ts").values_list("ts", flat=True)
    )
    assert stored == [
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 15, 1, tzinfo=UTC),
    ]
    assert feed.unsaved_bars == []
