"""Seeded market simulator: a geometric Brownian motion per instrument, quotes, prints, books."""

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from kernel.decimals import step_ceil, step_floor
from marketdata.enums import MarketDataSource

_SECONDS_PER_YEAR = Decimal(365 * 24 * 3600)
_BPS = Decimal(10_000)
_TWO = Decimal(2)
_ONE = Decimal(1)
# Precision of the unrounded mid price; quotes are then rounded to the tick.
_WALK_PRECISION = 20
# Random sizes are whole multiples of the instrument's minimum quantity in these ranges.
_QUOTE_SIZE_MULTIPLES = (1, 100)
_TRADE_SIZE_MULTIPLES = (1, 20)
_BOOK_COUNT_RANGE = (1, 12)


@dataclass(frozen=True)
class InstrumentSpec:
    """What the simulator needs of an instrument; free of the ORM so it runs anywhere."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    min_quantity: Decimal
    initial_price: Decimal
    drift: Decimal
    volatility: Decimal
    spread_bps: Decimal
    tick_interval_s: Decimal
    seed: int

    @classmethod
    def from_instrument(
        cls, instrument: Any, *, default_tick_interval_s: Decimal
    ) -> "InstrumentSpec":
        """Return the spec of an `Instrument` row."""
        # normalize(): the columns carry ten places, quotes should carry the tick's own.
        return cls(
            symbol=instrument.symbol,
            tick_size=instrument.tick_size.normalize(),
            lot_size=instrument.lot_size.normalize(),
            min_quantity=instrument.min_quantity.normalize(),
            initial_price=instrument.sim_initial_price,
            drift=instrument.sim_drift,
            volatility=instrument.sim_volatility,
            spread_bps=instrument.sim_spread_bps,
            tick_interval_s=instrument.sim_tick_interval_s or default_tick_interval_s,
            seed=instrument.sim_seed,
        )


@dataclass(frozen=True)
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last: Decimal
    volume: Decimal
    timestamp: datetime
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "bid": self.bid,
            "ask": self.ask,
            "bid_size": self.bid_size,
            "ask_size": self.ask_size,
            "last": self.last,
            "volume": self.volume,
            "timestamp": self.timestamp,
            "source": self.source,
        }


@dataclass(frozen=True)
class Trade:
    symbol: str
    trade_id: int
    price: Decimal
    size: Decimal
    side: str  # the aggressor: "buy" lifted the ask, "sell" hit the bid
    timestamp: datetime
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "id": self.trade_id,
            "price": self.price,
            "size": self.size,
            "side": self.side,
            "timestamp": self.timestamp,
            "source": self.source,
        }


@dataclass(frozen=True)
class BookLevel:
    price: Decimal
    size: Decimal
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"price": self.price, "size": self.size, "count": self.count}


@dataclass(frozen=True)
class OrderBook:
    symbol: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    timestamp: datetime
    source: str

    def as_dict(self, depth: int | None = None) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "bids": [level.as_dict() for level in self.bids[:depth]],
            "asks": [level.as_dict() for level in self.asks[:depth]],
            "timestamp": self.timestamp,
            "source": self.source,
        }


@dataclass(frozen=True)
class MarketTick:
    """Everything one tick of one instrument produced."""

    quote: Quote
    trade: Trade
    book: OrderBook


@dataclass
class QuoteMaker:
    """Builds a quote, a print and a book around a mid price, with sizes from its own PRNG.

    The sizes draw from a generator separate from the price walk, so asking for a deeper book
    or more prints never changes the prices a seed produces.
    """

    spec: InstrumentSpec
    source: str
    rng: random.Random = field(init=False)
    volume: Decimal = field(init=False, default=Decimal(0))
    volume_day: Any = field(init=False, default=None)
    trade_count: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.spec.seed}:flow")

    def _size(self, multiples: tuple[int, int]) -> Decimal:
        size = self.spec.min_quantity * self.rng.randint(*multiples)
        return max(step_floor(size, self.spec.lot_size), self.spec.lot_size)

    def tick(
        self,
        *,
        mid: Decimal,
        timestamp: datetime,
        levels: int,
        trade_price: Decimal | None = None,
        trade_size: Decimal | None = None,
    ) -> MarketTick:
        """Return the quote, print and `levels`-deep book at `mid`; bid < ask always.

        Without `trade_price` the print lifts the ask or hits the bid; a replay passes the
        recorded price, which lies between the bid and the ask built around it.
        """
        spec = self.spec
        tick = spec.tick_size
        half_spread = mid * spec.spread_bps / _BPS / _TWO
        bid = step_floor(mid - half_spread, tick)
        ask = step_ceil(mid + half_spread, tick)
        if ask <= bid:
            ask = bid + tick
        if bid <= 0:
            bid, ask = tick, tick * 2
        bid_size = self._size(_QUOTE_SIZE_MULTIPLES)
        ask_size = self._size(_QUOTE_SIZE_MULTIPLES)
        side = "buy" if self.rng.random() < 0.5 else "sell"
        price = (ask if side == "buy" else bid) if trade_price is None else trade_price
        size = self._size(_TRADE_SIZE_MULTIPLES) if trade_size is None else trade_size
        day = timestamp.date()
        if day != self.volume_day:
            # Quote volume is the traded volume of the current UTC day.
            self.volume_day, self.volume = day, Decimal(0)
        self.volume += size
        self.trade_count += 1
        quote = Quote(
            symbol=spec.symbol,
            bid=bid,
            ask=ask,
            bid_size=bid_size,
            ask_size=ask_size,
            last=price,
            volume=self.volume,
            timestamp=timestamp,
            source=self.source,
        )
        trade = Trade(
            symbol=spec.symbol,
            trade_id=self.trade_count,
            price=price,
            size=size,
            side=side,
            timestamp=timestamp,
            source=self.source,
        )
        return MarketTick(quote=quote, trade=trade, book=self.book(quote=quote, levels=levels))

    def book(self, *, quote: Quote, levels: int) -> OrderBook:
        """Return a book whose best levels are the quote, one tick apart, sizes on the lot."""
        tick = self.spec.tick_size
        bids = [BookLevel(quote.bid, quote.bid_size, self.rng.randint(*_BOOK_COUNT_RANGE))]
        asks = [BookLevel(quote.ask, quote.ask_size, self.rng.randint(*_BOOK_COUNT_RANGE))]
        for step in range(1, levels):
            bid_price = quote.bid - tick * step
            if bid_price > 0:
                bids.append(
                    BookLevel(
                        bid_price,
                        self._size(_QUOTE_SIZE_MULTIPLES),
                        self.rng.randint(*_BOOK_COUNT_RANGE),
                    )
                )
            asks.append(
                BookLevel(
                    quote.ask + tick * step,
                    self._size(_QUOTE_SIZE_MULTIPLES),
                    self.rng.randint(*_BOOK_COUNT_RANGE),
                )
            )
        return OrderBook(
            symbol=self.spec.symbol,
            bids=bids,
            asks=asks,
            timestamp=quote.timestamp,
            source=quote.source,
        )


class PriceWalk:
    """Geometric Brownian motion of the mid price, in Decimal.

    Each step multiplies the price by exp((mu - sigma^2 / 2) dt + sigma sqrt(dt) Z). Z is the one
    float (random.gauss); it enters the Decimal arithmetic exactly, so a seed gives the same
    prices on every platform and run.
    """

    def __init__(self, *, seed: int | str, price: Decimal, drift: Decimal, volatility: Decimal):
        self.rng = random.Random(seed)
        self.price = price
        self.drift = drift
        self.volatility = volatility
        self._terms: dict[Decimal, tuple[Decimal, Decimal]] = {}

    def _terms_for(self, dt_s: Decimal) -> tuple[Decimal, Decimal]:
        terms = self._terms.get(dt_s)
        if terms is None:
            dt = dt_s / _SECONDS_PER_YEAR
            terms = ((self.drift - self.volatility**2 / _TWO) * dt, self.volatility * dt.sqrt())
            self._terms[dt_s] = terms
        return terms

    def step(self, dt_s: Decimal) -> Decimal:
        """Advance `dt_s` seconds; return the new (unrounded) mid price."""
        drift_term, shock_scale = self._terms_for(dt_s)
        shock = Decimal.from_float(self.rng.gauss(0.0, 1.0))
        with localcontext() as ctx:
            ctx.prec = _WALK_PRECISION
            self.price = self.price * (drift_term + shock_scale * shock).exp()
        return self.price


class InstrumentSimulator:
    """One instrument's simulated market: a price walk plus the quote maker around it."""

    def __init__(self, spec: InstrumentSpec, *, start_price: Decimal | None = None):
        self.spec = spec
        self.walk = PriceWalk(
            seed=spec.seed,
            price=start_price or spec.initial_price,
            drift=spec.drift,
            volatility=spec.volatility,
        )
        self.maker = QuoteMaker(spec=spec, source=MarketDataSource.SIMULATOR.value)

    def tick(self, *, timestamp: datetime, levels: int = 10) -> MarketTick:
        """Advance one tick interval and return the quote, print and book at `timestamp`."""
        mid = self.walk.step(self.spec.tick_interval_s)
        return self.maker.tick(mid=mid, timestamp=timestamp, levels=levels)
