"""The strategy registry: every strategy by name."""

from backtests.strategies.base import FLAT, LONG, SHORT, ParameterError, Strategy
from backtests.strategies.builtin import (
    BollingerBreakout,
    BuyAndHold,
    RsiMeanReversion,
    SmaCrossover,
)
from backtests.strategies.runner import StrategyRunner

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (SmaCrossover, RsiMeanReversion, BollingerBreakout, BuyAndHold)
}

__all__ = [
    "FLAT",
    "LONG",
    "SHORT",
    "STRATEGIES",
    "ParameterError",
    "Strategy",
    "StrategyRunner",
]
