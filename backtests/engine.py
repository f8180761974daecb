"""The backtest engine: a strategy over closed bars, with the paper venue's fills, in Decimal.

Pure Python and numpy, no ORM, no I/O. Rules (the paper venue's, docs/venue.md):

- A target decided on bar i becomes market orders that fill at bar i+1's open, moved
  `slippage_bps` against the trader and rounded to the tick against the trader (buy up, sell
  down). A change of side first closes the position, then opens the new one (exclusive orders).
- The fee of each fill is quantity x price x commission rate, rounded half up to `fee_quantum`
  (the quote currency's minor unit).
- All-in sizing: the most whole lots whose notional plus fee fits in the equity at that open
  (the same for shorts: no leverage). An entry that cannot buy one lot is skipped.
- Cash and positions are exact Decimals. Equity at each bar is cash + position x close.
- A position still open after the last bar stays open, marked at the last close.
"""

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

import numpy as np

from backtests.strategies.base import BAR_FIELDS, FLAT, LONG, Strategy
from kernel.decimals import step_ceil, step_floor

ZERO = Decimal(0)
ONE = Decimal(1)
_BPS = Decimal(10_000)
# How many bars pass between two calls of the progress callback.
PROGRESS_EVERY_BARS = 4096


@dataclass(frozen=True)
class Costs:
    """What a fill costs: commission rate, slippage and the instrument's grid."""

    commission_rate: Decimal
    slippage_bps: Decimal
    tick_size: Decimal
    lot_size: Decimal
    fee_quantum: Decimal

    @cached_property
    def _up(self) -> Decimal:
        return ONE + self.slippage_bps / _BPS

    @cached_property
    def _down(self) -> Decimal:
        return ONE - self.slippage_bps / _BPS

    def fee(self, notional: Decimal) -> Decimal:
        """Return the fee of a fill of `notional`, rounded half up to the fee quantum."""
        return (notional * self.commission_rate).quantize(self.fee_quantum, rounding=ROUND_HALF_UP)

    def buy_price(self, reference: Decimal) -> Decimal:
        """Return the fill price of a market buy at `reference` (slipped up, on the tick)."""
        price = reference * self._up
        # Most prices are on the tick already; rounding them would change nothing.
        return price if price % self.tick_size == 0 else step_ceil(price, self.tick_size)

    def sell_price(self, reference: Decimal) -> Decimal:
        """Return the fill price of a market sell at `reference` (slipped down, on the tick)."""
        price = reference * self._down
        return price if price % self.tick_size == 0 else step_floor(price, self.tick_size)


@dataclass
class Bars:
    """Closed bars, oldest first: epoch seconds, exact opens and closes, float OHLCV arrays."""

    timestamps: list[int]
    open: list[Decimal]
    close: list[Decimal]
    floats: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.timestamps)

    @classmethod
    def from_columns(
        cls,
        *,
        timestamps: Sequence[int],
        open: Sequence[Decimal],
        high: Sequence[Decimal],
        low: Sequence[Decimal],
        close: Sequence[Decimal],
        volume: Sequence[Decimal],
    ) -> "Bars":
        """Build bars from exact columns (floats are derived for the indicators)."""
        columns = {"open": open, "high": high, "low": low, "close": close, "volume": volume}
        floats = {name: np.array(columns[name], dtype=np.float64) for name in BAR_FIELDS}
        return cls(timestamps=list(timestamps), open=list(open), close=list(close), floats=floats)


@dataclass
class Trade:
    """One round trip; `exit_*` are None while it is open."""

    side: str
    quantity: Decimal
    entry_bar: int
    entry_price: Decimal
    entry_fee: Decimal
    exit_bar: int | None = None
    exit_price: Decimal | None = None
    exit_fee: Decimal | None = None

    @property
    def sign(self) -> int:
        return 1 if self.side == "long" else -1

    @property
    def fees(self) -> Decimal:
        return self.entry_fee + (self.exit_fee or ZERO)

    def pnl(self, mark: Decimal | None = None) -> Decimal:
        """Return the net PnL (both fees out); an open trade is marked at `mark`."""
        price = self.exit_price if self.exit_price is not None else mark
        if price is None:
            raise ValueError("an open trade needs a mark price")
        return self.sign * self.quantity * (price - self.entry_price) - self.fees


@dataclass
class Simulation:
    """What a run produced: equity per bar, trades, decisions and counters."""

    equity: list[Decimal]
    # The same curve in floats, for statistics (computed per stretch with numpy, not converted).
    equity_floats: np.ndarray
    trades: list[Trade]
    open_trade: Trade | None
    decisions: list[tuple[int, int]]
    exposed_bars: int
    fills: int
    skipped_entries: int
    cash: Decimal
    position: Decimal
    metrics: dict[str, Any] = field(default_factory=dict)


class Values(dict):
    """Float arrays by name, turned into lists (fast to index from Python) on first use."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        super().__init__()
        self.arrays = arrays

    def __missing__(self, name: str) -> list[float]:
        values = np.asarray(self.arrays[name], dtype=np.float64).tolist()
        self[name] = values
        return values


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees everything).

    A run allocates a Decimal per bar and builds no reference cycles; with the collector on,
    its full passes over the millions of live bar values cost more than the run itself (up to
    half the time, measured). Process-wide while it lasts, restored after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


ProgressCallback = Callable[[int, int, Decimal, int], None]


def simulate(
    *,
    bars: Bars,
    strategy: Strategy,
    initial_capital: Decimal,
    costs: Costs,
    on_progress: ProgressCallback | None = None,
) -> Simulation:
    """Run `strategy` over `bars` from `initial_capital`; return the Simulation.

    `on_progress(bars_done, bars_total, equity, trades)` is called every PROGRESS_EVERY_BARS
    bars and may raise to stop the run (a cancel).
    """
    with _without_cyclic_gc():
        return _simulate(
            bars=bars,
            strategy=strategy,
            initial_capital=initial_capital,
            costs=costs,
            on_progress=on_progress,
        )


def _simulate(
    *,
    bars: Bars,
    strategy: Strategy,
    initial_capital: Decimal,
    costs: Costs,
    on_progress: ProgressCallback | None,
) -> Simulation:
    n = len(bars)
    arrays = {**bars.floats, **strategy.indicators(bars.floats)}
    values = Values(arrays)
    mask = strategy.candidates(arrays)
    book = _Book(cash=initial_capital, costs=costs, opens=bars.open)
    decide = strategy.decide
    decisions: list[tuple[int, int]] = []
    target = FLAT
    first = max(strategy.window - 1, 0)
    # Decisions do not depend on fills (a strategy sees its own target), so the fills of a
    # decision on bar i are made at once at bar i+1's open, and equity is filled in per stretch
    # of constant position afterwards.
    bars_to_ask = None if mask is None else np.flatnonzero(mask)
    for chunk in range(first, n, PROGRESS_EVERY_BARS):
        end = min(chunk + PROGRESS_EVERY_BARS, n)
        if bars_to_ask is None:
            asked = range(chunk, end)
        else:
            low, high = np.searchsorted(bars_to_ask, (chunk, end))
            asked = bars_to_ask[low:high].tolist()
        for i in asked:
            decision = decide(i, values, target)
            if decision is not None and decision != target:
                target = decision
                decisions.append((i, decision))
                if i + 1 < n:
                    book.execute(bar=i + 1, target=decision)
        if on_progress is not None:
            last = min(chunk + PROGRESS_EVERY_BARS, n) - 1
            on_progress(last + 1, n, book.value_at(last, bars.close), len(book.trades))
    equity, equity_floats, exposed = book.equity_curve(bars.close, bars.floats["close"])
    return Simulation(
        equity=equity,
        equity_floats=equity_floats,
        trades=book.trades,
        open_trade=book.current,
        decisions=decisions,
        exposed_bars=exposed,
        fills=book.fills,
        skipped_entries=book.skipped,
        cash=book.cash,
        position=book.position,
    )


class _Book:
    """Cash, the position and the fills of one run; `changes` records (bar, cash, position)."""

    def __init__(self, *, cash: Decimal, costs: Costs, opens: list[Decimal]):
        self.cash = cash
        self.position = ZERO
        self.costs = costs
        self.opens = opens
        self.trades: list[Trade] = []
        self.current: Trade | None = None
        self.fills = 0
        self.skipped = 0
        self.changes: list[tuple[int, Decimal, Decimal]] = [(0, cash, ZERO)]

    def execute(self, *, bar: int, target: int) -> None:
        """Fill the market orders that move the position to `target` at `bar`'s open."""
        costs, reference, current = self.costs, self.opens[bar], self.current
        if current is not None and current.sign != target:
            # Close first (exclusive orders).
            if current.side == "long":
                price = costs.sell_price(reference)
                notional = current.quantity * price
                fee = costs.fee(notional)
                self.cash += notional - fee
            else:
                price = costs.buy_price(reference)
                notional = current.quantity * price
                fee = costs.fee(notional)
                self.cash -= notional + fee
            current.exit_bar, current.exit_price, current.exit_fee = bar, price, fee
            self.trades.append(current)
            self.current, self.position = None, ZERO
            self.fills += 1
        if self.current is None and target != FLAT:
            is_buy = target == LONG
            price = costs.buy_price(reference) if is_buy else costs.sell_price(reference)
            quantity = _all_in(self.cash, price, costs)
            if quantity > 0:
                notional = quantity * price
                fee = costs.fee(notional)
                if is_buy:
                    self.cash -= notional + fee
                    self.position = quantity
                else:
                    self.cash += notional - fee
                    self.position = -quantity
                self.current = Trade("long" if is_buy else "short", quantity, bar, price, fee)
                self.fills += 1
            else:
                self.skipped += 1
        self.changes.append((bar, self.cash, self.position))

    def value_at(self, bar: int, closes: list[Decimal]) -> Decimal:
        """Return the equity at `bar`'s close (for progress: the book as it is now)."""
        return self.cash + self.position * closes[bar] if self.position else self.cash

    def equity_curve(
        self, closes: list[Decimal], close_floats: np.ndarray
    ) -> tuple[list[Decimal], np.ndarray, int]:
        """Return the equity at every close (exact, and in floats) and how many bars held a
        position."""
        equity: list[Decimal] = []
        floats = np.empty(len(closes), dtype=np.float64)
        exposed = 0
        bounds = [*self.changes[1:], (len(closes), ZERO, ZERO)]
        for (start, cash, position), (end, _, _) in zip(self.changes, bounds, strict=True):
            if position:
                equity.extend([cash + position * close for close in closes[start:end]])
                floats[start:end] = float(cash) + float(position) * close_floats[start:end]
                exposed += end - start
            else:
                equity.extend([cash] * (end - start))
                floats[start:end] = float(cash)
        return equity, floats, exposed


def _all_in(cash: Decimal, price: Decimal, costs: Costs) -> Decimal:
    """Return the most whole lots whose notional plus fee at `price` fits in `cash`."""
    if cash <= 0:
        return ZERO
    quantity = cash / (price * (ONE + costs.commission_rate)) // costs.lot_size * costs.lot_size
    # The fee is rounded half up, so the estimate can be one lot over; never more than a few.
    while quantity > 0 and quantity * price + costs.fee(quantity * price) > cash:
        quantity -= costs.lot_size
    return max(quantity, ZERO)
