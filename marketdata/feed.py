"""The engine's market-data component: ticks a source, keeps candles, the cache and groups fed."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from redis.exceptions import RedisError

from engine.runner import cancellation_checkpoint
from engine.sync import SyncWorker
from kernel.api.renderers import json_dumps
from kernel.decimals import decimal_normal
from marketdata.candles import Bar, CandleBuilder
from marketdata.enums import INTERVAL_SECONDS, MarketDataSource
from marketdata.keys import market_group
from marketdata.models import Candle
from marketdata.replay import ReplaySource
from marketdata.selectors import BASE_INTERVAL, candle_last, instrument_trading_list
from marketdata.services import candles_record, market_state_store
from marketdata.simulator import InstrumentSimulator, InstrumentSpec, MarketTick

logger = logging.getLogger(__name__)

# Levels kept in the cache (the most /orderbook serves) and levels sent with each event.
BOOK_LEVELS = 50
PUBLISHED_BOOK_LEVELS = 10
# How often the feed rereads the instrument table (new instruments, halts, resumptions).
INSTRUMENT_REFRESH_S = 30
# Failures the feed survives: it logs them and tries again on the next tick.
_TRANSIENT_ERRORS = (DatabaseError, RedisError, OSError, ChannelFull)


def _wire(payload: dict[str, Any]) -> dict[str, Any]:
    """Return `payload` with Decimals as strings and datetimes as ISO strings.

    The Redis channel layer serializes with msgpack, which knows neither type.
    """
    return orjson.loads(json_dumps(payload))


def _load_simulation(
    *, default_tick_interval_s: Decimal
) -> list[tuple[InstrumentSpec, int, Decimal | None]]:
    """Return (spec, id, start price) per trading instrument; start at the last stored close."""
    loaded = []
    for instrument in instrument_trading_list():
        spec = InstrumentSpec.from_instrument(
            instrument, default_tick_interval_s=default_tick_interval_s
        )
        last = candle_last(instrument=instrument, interval=BASE_INTERVAL)
        loaded.append((spec, instrument.id, last.close if last else None))
    return loaded


def _load_replay(
    *, interval: str, default_tick_interval_s: Decimal
) -> tuple[list[InstrumentSpec], dict[str, list[Bar]], dict[str, int]]:
    specs, bars, ids = [], {}, {}
    for instrument in instrument_trading_list():
        specs.append(
            InstrumentSpec.from_instrument(
                instrument, default_tick_interval_s=default_tick_interval_s
            )
        )
        ids[instrument.symbol] = instrument.id
        bars[instrument.symbol] = [
            Bar(
                symbol=instrument.symbol,
                interval=interval,
                ts=c.ts,
                open=decimal_normal(c.open),
                high=decimal_normal(c.high),
                low=decimal_normal(c.low),
                close=decimal_normal(c.close),
                volume=decimal_normal(c.volume),
                source=c.source,
            )
            for c in Candle.objects.filter(instrument=instrument, interval=interval).order_by("ts")
        ]
    return specs, bars, ids


class MarketDataFeed:
    """Engine component "market_data": simulator or replay, per settings.MARKET_DATA_SOURCE.

    Each step stores the latest quotes and books in the cache (every web process reads them
    there), folds simulator prints into 1-minute candles stored when their minute ends, and
    publishes `md.quote`, `md.trade`, `md.candle` and `md.orderbook` messages to the groups
    `md.<quotes|trades|candles|orderbook>.<SYMBOL>`.
    """

    name = "market_data"

    def __init__(
        self,
        *,
        source: str | None = None,
        tick_interval_s: float | None = None,
        clock: Callable[[], datetime] | None = None,
        channel_layer: Any = None,
    ):
        self.source = source or settings.MARKET_DATA_SOURCE
        if self.source not in (MarketDataSource.SIMULATOR, MarketDataSource.REPLAY):
            raise ImproperlyConfigured(
                f"MARKET_DATA_SOURCE must be simulator or replay, not {self.source!r}"
            )
        if settings.MARKET_REPLAY_INTERVAL not in INTERVAL_SECONDS:
            raise ImproperlyConfigured(
                f"MARKET_REPLAY_INTERVAL must be one of {', '.join(INTERVAL_SECONDS)}"
            )
        interval = (
            tick_interval_s if tick_interval_s is not None else settings.MARKET_TICK_INTERVAL_S
        )
        self.tick_interval_s = interval
        # Through str: the interval is a setting read as a float, the walk's dt is a Decimal.
        self.tick_interval = Decimal(str(interval))
        self.clock = clock or (lambda: datetime.now(UTC))
        self.channel_layer = channel_layer
        self.simulators: dict[str, InstrumentSimulator] = {}
        self.next_due: dict[str, datetime] = {}
        self.replay: ReplaySource | None = None
        self.instrument_ids: dict[str, int] = {}
        self.builder = CandleBuilder()
        self.unsaved_bars: list[Bar] = []
        self.is_up = False
        self.ticks = 0
        self.last_tick_at: datetime | None = None
        self.loaded_at: datetime | None = None
        # Awaited with each step's ticks after they are stored and published (the paper venue).
        self.tick_listeners: list[Callable[[list[MarketTick]], Awaitable[None]]] = []
        self._worker = SyncWorker("market-data")

    def status(self) -> dict[str, Any]:
        """Return the component's state for the engine heartbeat (JSON-able)."""
        symbols = self.replay.specs if self.replay is not None else self.simulators
        return {
            "state": "up" if self.is_up else "down",
            "source": self.source,
            "symbols": len(symbols),
            "ticks": self.ticks,
            "last_tick_at": self.last_tick_at.isoformat() if self.last_tick_at else None,
        }

    def _sync(self, function: Callable, /, **kwargs) -> Any:
        """Run a blocking ORM or cache call on the feed's own worker thread, in order."""
        return self._worker.call(function, **kwargs)

    async def start(self) -> None:
        """Load instruments (and, for replay, their history) and attach the channel layer."""
        if self.channel_layer is None:
            self.channel_layer = get_channel_layer()
        if self.source == MarketDataSource.REPLAY:
            specs, bars, ids = await self._sync(
                _load_replay,
                interval=settings.MARKET_REPLAY_INTERVAL,
                default_tick_interval_s=self.tick_interval,
            )
            self.instrument_ids = ids
            self.replay = ReplaySource(
                specs=specs,
                bars=bars,
                interval_seconds=INTERVAL_SECONDS[settings.MARKET_REPLAY_INTERVAL],
                speed=Decimal(str(settings.MARKET_REPLAY_SPEED)),
                loop=settings.MARKET_REPLAY_LOOP,
            )
        else:
            await self.refresh_instruments()
        self.is_up = True

    async def refresh_instruments(self) -> None:
        """Follow the instrument table: new trading instruments join, halted ones stop ticking."""
        loaded = await self._sync(_load_simulation, default_tick_interval_s=self.tick_interval)
        self.instrument_ids = {spec.symbol: instrument_id for spec, instrument_id, _ in loaded}
        for spec, _, start_price in loaded:
            current = self.simulators.get(spec.symbol)
            if current is None or current.spec != spec:
                price = current.walk.price if current is not None else start_price
                self.simulators[spec.symbol] = InstrumentSimulator(spec, start_price=price)
        for symbol in set(self.simulators) - set(self.instrument_ids):
            del self.simulators[symbol]
        self.loaded_at = self.clock()

    def _simulate(self, now: datetime) -> list[MarketTick]:
        ticks = []
        # Half a step of slack, so an instrument ticking every second on a half-second feed
        # does not skip a beat when a step starts a little early.
        slack = timedelta(microseconds=int(self.tick_interval * 500_000))
        for symbol, simulator in self.simulators.items():
            due = self.next_due.get(symbol)
            if due is not None and due - slack > now:
                continue
            ticks.append(simulator.tick(timestamp=now, levels=BOOK_LEVELS))
            own_interval = simulator.spec.tick_interval_s
            if own_interval > self.tick_interval:
                self.next_due[symbol] = now + timedelta(microseconds=int(own_interval * 1_000_000))
        return ticks

    async def step(self, *, now: datetime | None = None) -> list[MarketTick]:
        """Produce one round of ticks, store and publish them; return the ticks."""
        now = now or self.clock()
        candle_events: list[dict[str, Any]] = []
        closed_bars: list[Bar] = []
        if self.replay is not None:
            produced = self.replay.advance(wall_seconds=self.tick_interval, levels=BOOK_LEVELS)
            ticks = [tick for tick, _ in produced]
            candle_events = [bar.as_dict(closed=True) for _, bar in produced if bar is not None]
        else:
            if self.loaded_at and now - self.loaded_at >= timedelta(seconds=INSTRUMENT_REFRESH_S):
                await self.refresh_instruments()
            ticks = self._simulate(now)
            for tick in ticks:
                bar, closed = self.builder.add(
                    symbol=tick.trade.symbol,
                    price=tick.trade.price,
                    size=tick.trade.size,
                    timestamp=tick.trade.timestamp,
                    source=tick.trade.source,
                )
                if closed is not None:
                    closed_bars.append(closed)
                    candle_events.append(closed.as_dict(closed=True))
                candle_events.append(bar.as_dict(closed=False))
        if not ticks:
            return ticks
        await self._store(ticks, closed_bars)
        await self._publish(ticks, candle_events)
        self.ticks += len(ticks)
        self.last_tick_at = now
        for listener in self.tick_listeners:
            await listener(ticks)
        return ticks

    async def _store(self, ticks: list[MarketTick], closed_bars: list[Bar]) -> None:
        # Per symbol the newest tick wins: a replay step can carry several.
        quotes = {tick.quote.symbol: tick.quote.as_dict() for tick in ticks}
        books = {tick.book.symbol: tick.book.as_dict() for tick in ticks}
        await self._sync(
            market_state_store,
            quotes=list(quotes.values()),
            books=list(books.values()),
            ttl_s=settings.MARKET_QUOTE_TTL_S,
        )
        bars = [*self.unsaved_bars, *closed_bars]
        if bars:
            try:
                await self._sync(candles_record, bars=bars, instrument_ids=self.instrument_ids)
            except _TRANSIENT_ERRORS:
                # Kept for the next step: a locked or unreachable database delays a candle,
                # it does not lose it.
                self.unsaved_bars = bars
                raise
            self.unsaved_bars = []

    async def _publish(self, ticks: list[MarketTick], candle_events: list[dict[str, Any]]) -> None:
        messages = []
        for tick in ticks:
            symbol = tick.quote.symbol
            messages.append(("quotes", "md.quote", symbol, tick.quote.as_dict()))
            messages.append(("trades", "md.trade", symbol, tick.trade.as_dict()))
            book = tick.book.as_dict(depth=PUBLISHED_BOOK_LEVELS)
            messages.append(("orderbook", "md.orderbook", symbol, book))
        for candle in candle_events:
            messages.append(("candles", "md.candle", candle["symbol"], candle))
        for channel, message_type, symbol, data in messages:
            group = market_group(channel, symbol)
            await self.channel_layer.group_send(
                group,
                {
                    "type": message_type,
                    "group": group,
                    "channel": channel,
                    "symbol": symbol,
                    "data": _wire(data),
                },
            )

    async def stop(self) -> None:
        """Store the 1-minute bars still open, so a restart continues them."""
        self.is_up = False
        bars = [*self.unsaved_bars, *self.builder.flush()]
        self.unsaved_bars = []
        try:
            if bars:
                await self._sync(candles_record, bars=bars, instrument_ids=self.instrument_ids)
        finally:
            self._worker.shutdown()

    async def run(self, engine: Any) -> None:
        """Tick every MARKET_TICK_INTERVAL_S until cancelled; transient failures are retried."""
        loop = asyncio.get_running_loop()
        interval = self.tick_interval_s
        try:
            await self.start()
            logger.info(
                "market data feed up (%s, %s symbols)", self.source, self.status()["symbols"]
            )
            while True:
                began = loop.time()
                try:
                    await self.step()
                except _TRANSIENT_ERRORS:
                    logger.exception("market data step failed; retrying on the next tick")
                cancellation_checkpoint()
                await asyncio.sleep(max(0.0, interval - (loop.time() - began)))
        finally:
            try:
                await self.stop()
            except _TRANSIENT_ERRORS:
                logger.exception("could not store the open 1-minute bars on shutdown")
