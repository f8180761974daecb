"""Running a strategy bar by bar on closed candles, as live trading does."""

from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from backtests.strategies.base import BAR_FIELDS, FLAT, Strategy


class StrategyRunner:
    """Feeds closed bars to a strategy one at a time and returns its decisions.

    Keeps the last `strategy.window` closed bars, computes the indicators over exactly those
    and asks `decide` about the newest. The indicators are start-independent, so each decision
    equals the backtest's on the same bars (tested): the live loop calls `on_closed_bar` with
    each candle the feed closes and sends a returned target to the order service.
    """

    def __init__(self, strategy: Strategy, *, position: int = FLAT):
        self.strategy = strategy
        self.position = position
        self.bars: deque[Mapping[str, Any]] = deque(maxlen=strategy.window)

    def on_closed_bar(self, bar: Mapping[str, Any]) -> int | None:
        """Take one closed bar (open, high, low, close, volume); return a new target or None."""
        self.bars.append(bar)
        if len(self.bars) < self.strategy.window:
            return None
        arrays = {
            name: np.array([float(b[name]) for b in self.bars], dtype=np.float64)
            for name in BAR_FIELDS
        }
        values = {name: array.tolist() for name, array in arrays.items()}
        values.update(
            {name: array.tolist() for name, array in self.strategy.indicators(arrays).items()}
        )
        decision = self.strategy.decide(len(self.bars) - 1, values, self.position)
        if decision is None or decision == self.position:
            return None
        self.position = decision
        return decision
