"""The built-in strategies: SMA crossover, RSI mean reversion, Bollinger breakout, buy and hold."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from backtests.strategies.base import FLAT, LONG, SHORT, Strategy
from backtests.strategies.indicators import rolling_std, rsi, sma

_ALLOW_SHORT = {
    "type": "boolean",
    "default": False,
    "description": "Go short on the opposite signal instead of flat.",
}


def _integer(default: int, minimum: int, maximum: int, description: str) -> dict[str, Any]:
    return {
        "type": "integer",
        "default": default,
        "minimum": minimum,
        "maximum": maximum,
        "description": description,
    }


def _number(default: float, minimum: float, maximum: float, description: str) -> dict[str, Any]:
    return {
        "type": "number",
        "default": default,
        "minimum": minimum,
        "maximum": maximum,
        "description": description,
    }


def _schema(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


class SmaCrossover(Strategy):
    name = "sma_crossover"
    title = "SMA crossover"
    description = (
        "Long when the fast simple moving average of closes crosses above the slow one; flat "
        "(or short) when it crosses below. A cross needs fast < slow on the previous bar and "
        "fast > slow on this one (strict, as backtesting.py's `crossover`)."
    )
    parameters_schema = _schema(
        fast=_integer(10, 1, 1000, "Bars in the fast average; less than `slow`."),
        slow=_integer(20, 2, 2000, "Bars in the slow average."),
        allow_short=_ALLOW_SHORT,
    )

    @classmethod
    def parameters_check(cls, parameters: dict[str, Any]) -> dict[str, list[str]]:
        if parameters["fast"] >= parameters["slow"]:
            return {"fast": [f"Must be less than slow ({parameters['slow']})."]}
        return {}

    @property
    def window(self) -> int:
        return self.parameters["slow"] + 1

    def indicators(self, bars: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        close = bars["close"]
        return {
            "fast": sma(close, self.parameters["fast"]),
            "slow": sma(close, self.parameters["slow"]),
        }

    def decide(self, i: int, values: Mapping[str, Sequence[float]], position: int) -> int | None:
        fast, slow = values["fast"], values["slow"]
        if fast[i - 1] < slow[i - 1] and fast[i] > slow[i]:
            return LONG
        if fast[i - 1] > slow[i - 1] and fast[i] < slow[i]:
            return SHORT if self.parameters["allow_short"] else FLAT
        return None

    def candidates(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        fast, slow = arrays["fast"], arrays["slow"]
        mask = np.zeros(len(fast), dtype=bool)
        before, now = slice(None, -1), slice(1, None)
        mask[1:] = ((fast[before] < slow[before]) & (fast[now] > slow[now])) | (
            (fast[before] > slow[before]) & (fast[now] < slow[now])
        )
        return mask


class RsiMeanReversion(Strategy):
    name = "rsi_mean_reversion"
    title = "RSI mean reversion"
    description = (
        "Long when the RSI (simple averages of gains and losses over `period` changes) falls "
        "below `oversold`; out when it rises above `overbought`, or short there if "
        "`allow_short` (the short is covered, and turned long, below `oversold`)."
    )
    parameters_schema = _schema(
        period=_integer(14, 2, 500, "Price changes the RSI averages."),
        oversold=_number(30.0, 1.0, 50.0, "RSI below this buys."),
        overbought=_number(70.0, 50.0, 99.0, "RSI above this sells."),
        allow_short=_ALLOW_SHORT,
    )

    @classmethod
    def parameters_check(cls, parameters: dict[str, Any]) -> dict[str, list[str]]:
        if parameters["oversold"] >= parameters["overbought"]:
            return {"oversold": [f"Must be less than overbought ({parameters['overbought']})."]}
        return {}

    @property
    def window(self) -> int:
        return self.parameters["period"] + 1

    def indicators(self, bars: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"rsi": rsi(bars["close"], self.parameters["period"])}

    def decide(self, i: int, values: Mapping[str, Sequence[float]], position: int) -> int | None:
        value = values["rsi"][i]
        if value < self.parameters["oversold"]:
            return LONG if position != LONG else None
        if value > self.parameters["overbought"]:
            target = SHORT if self.parameters["allow_short"] else FLAT
            return target if position != target else None
        return None

    def candidates(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        value = arrays["rsi"]
        return (value < self.parameters["oversold"]) | (value > self.parameters["overbought"])


class BollingerBreakout(Strategy):
    name = "bollinger_breakout"
    title = "Bollinger breakout"
    description = (
        "Long when the close breaks above the upper band (the `period`-bar simple average plus "
        "`num_std` population standard deviations); out when it closes back below the average. "
        "With `allow_short`, short below the lower band and out above the average."
    )
    parameters_schema = _schema(
        period=_integer(20, 2, 1000, "Bars in the average and the deviation."),
        num_std=_number(2.0, 0.1, 10.0, "Band width in standard deviations."),
        allow_short=_ALLOW_SHORT,
    )

    @property
    def window(self) -> int:
        return self.parameters["period"]

    def indicators(self, bars: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        close = bars["close"]
        middle = sma(close, self.parameters["period"])
        width = rolling_std(close, self.parameters["period"]) * self.parameters["num_std"]
        return {"middle": middle, "upper": middle + width, "lower": middle - width}

    def decide(self, i: int, values: Mapping[str, Sequence[float]], position: int) -> int | None:
        close = values["close"][i]
        if close > values["upper"][i]:
            return LONG if position != LONG else None
        if self.parameters["allow_short"] and close < values["lower"][i]:
            return SHORT if position != SHORT else None
        if position == LONG and close < values["middle"][i]:
            return FLAT
        if position == SHORT and close > values["middle"][i]:
            return FLAT
        return None


class BuyAndHold(Strategy):
    name = "buy_and_hold"
    title = "Buy and hold"
    description = (
        "Buys with all the capital after the first bar closes (so at the second bar's open) "
        "and holds to the end: the benchmark every other strategy should beat."
    )
    parameters_schema = _schema()

    @property
    def window(self) -> int:
        return 1

    def decide(self, i: int, values: Mapping[str, Sequence[float]], position: int) -> int | None:
        return LONG if position != LONG else None
