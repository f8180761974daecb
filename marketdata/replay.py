"""Replay of stored candles as a live feed: each bar becomes four prints on a virtual clock."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from kernel.decimals import step_floor
from marketdata.candles import Bar
from marketdata.enums import MarketDataSource
from marketdata.simulator import InstrumentSpec, MarketTick, QuoteMaker

# Prints per bar; the path runs open, the nearer extreme first, the other extreme, close.
_POINTS_PER_BAR = 4
# A fast replay may owe many prints at once; more than this per symbol and step are dropped
# (their bar still completes), so one step stays cheap whatever the speed.
_MAX_POINTS_PER_STEP = 64


@dataclass(frozen=True)
class _Point:
    at: datetime
    price: Decimal
    size: Decimal
    bar: Bar | None  # set on the last print of a bar: the bar is complete


class ReplaySource:
    """Plays stored bars of several symbols in time order at `speed` market seconds per second."""

    source = MarketDataSource.REPLAY.value

    def __init__(
        self,
        *,
        specs: list[InstrumentSpec],
        bars: dict[str, list[Bar]],
        interval_seconds: int,
        speed: Decimal,
        loop: bool,
    ):
        self.specs = {spec.symbol: spec for spec in specs if bars.get(spec.symbol)}
        self.makers = {
            s: QuoteMaker(spec=spec, source=self.source) for s, spec in self.specs.items()
        }
        self.points = {
            symbol: self._expand(bars[symbol], interval_seconds, self.specs[symbol])
            for symbol in self.specs
        }
        self.speed = speed
        self.loop = loop
        starts = [points[0].at for points in self.points.values()]
        self.start = min(starts) if starts else None
        self.clock = self.start
        self.positions = dict.fromkeys(self.points, 0)
        self.laps = 0

    @staticmethod
    def _expand(bars: list[Bar], interval_seconds: int, spec: InstrumentSpec) -> list[_Point]:
        step = timedelta(seconds=interval_seconds / _POINTS_PER_BAR)
        points = []
        for bar in bars:
            if bar.close >= bar.open:
                path = (bar.open, bar.low, bar.high, bar.close)
            else:
                path = (bar.open, bar.high, bar.low, bar.close)
            size = step_floor(bar.volume / _POINTS_PER_BAR, spec.lot_size)
            for index, price in enumerate(path):
                last = index == _POINTS_PER_BAR - 1
                points.append(_Point(bar.ts + step * index, price, size, bar if last else None))
        return points

    @property
    def is_finished(self) -> bool:
        """True when every symbol's history has been played and the replay does not loop."""
        return all(self.positions[s] >= len(p) for s, p in self.points.items())

    def advance(self, *, wall_seconds: Decimal, levels: int) -> list[tuple[MarketTick, Bar | None]]:
        """Move the virtual clock on and return the prints now due, with any bar each completes."""
        if self.clock is None:
            return []
        if self.is_finished:
            if not self.loop:
                return []
            # Start again from the first bar; day volumes restart with the new lap.
            self.clock = self.start
            self.positions = dict.fromkeys(self.points, 0)
            self.makers = {
                s: QuoteMaker(spec=spec, source=self.source) for s, spec in self.specs.items()
            }
            self.laps += 1
        else:
            self.clock += timedelta(microseconds=int(wall_seconds * self.speed * 1_000_000))
        ticks = []
        clock = self.clock
        assert clock is not None, "the replay has started"
        for symbol, points in self.points.items():
            position = self.positions[symbol]
            due = position
            while due < len(points) and points[due].at <= clock:
                due += 1
            self.positions[symbol] = due
            for point in points[max(position, due - _MAX_POINTS_PER_STEP) : due]:
                tick = self.makers[symbol].tick(
                    mid=point.price,
                    timestamp=point.at,
                    levels=levels,
                    trade_price=point.price,
                    trade_size=point.size,
                )
                ticks.append((tick, point.bar))
        return ticks
