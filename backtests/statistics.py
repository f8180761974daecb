"""Statistics of a simulated run: returns, risk ratios, drawdown, trade figures, curves."""

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np

from backtests.engine import Simulation, Trade

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_SECONDS_PER_YEAR = 365.25 * 86400
# Statistics are reported to this many decimal places (money keeps its own precision).
STATISTIC_PLACES = 6
_QUANTUM = Decimal(1).scaleb(-STATISTIC_PLACES)

STATISTICS = (
    "total_return_pct",
    "cagr_pct",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown_pct",
    "win_rate",
    "profit_factor",
    "exposure_pct",
    "total_trades",
    "final_equity",
    "total_fees",
)


def _q(value: float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = Decimal(repr(value))
    result = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    return result + 0  # no "-0"


def drawdown_pct(equity: np.ndarray) -> np.ndarray:
    """Return the drawdown from the running peak at each bar, in percent (>= 0)."""
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, (peak - equity) / peak * 100.0, 0.0)


def statistics_compute(
    *,
    simulation: Simulation,
    timestamps: Sequence[int],
    initial_capital: Decimal,
    drawdown: np.ndarray,
) -> dict[str, Any]:
    """Return the statistics of a run (Decimals, an int count, or None where undefined).

    Returns and ratios come from bar-to-bar returns of the equity curve; the Sharpe and Sortino
    ratios (risk-free rate 0) are annualised by the bars per year observed in the data
    (about 252 for daily stock bars). Trade figures count closed round trips only; PnL is net
    of both fees. Max drawdown and exposure are in percent.
    """
    trades: list[Trade] = simulation.trades
    equity_floats = simulation.equity_floats
    n = len(simulation.equity)
    final = simulation.equity[-1] if n else initial_capital
    years = (timestamps[-1] - timestamps[0]) / _SECONDS_PER_YEAR if n > 1 else 0.0
    sharpe = sortino = cagr = None
    if n > 2 and years > 0:
        returns = equity_floats[1:] / equity_floats[:-1] - 1.0
        per_year = (n - 1) / years
        mean = float(np.mean(returns))
        deviation = float(np.std(returns, ddof=1))
        downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
        if deviation > 0:
            sharpe = mean / deviation * math.sqrt(per_year)
        if downside > 0:
            sortino = mean / downside * math.sqrt(per_year)
        if final > 0:
            cagr = ((float(final) / float(initial_capital)) ** (1.0 / years) - 1.0) * 100.0
    pnls = [trade.pnl() for trade in trades]
    wins = [pnl for pnl in pnls if pnl > 0]
    losses = [pnl for pnl in pnls if pnl < 0]
    gross_loss = -sum(losses, ZERO)
    fees = sum((t.fees for t in trades), ZERO)
    if simulation.open_trade is not None:
        fees += simulation.open_trade.fees
    return {
        "total_return_pct": _q((final - initial_capital) / initial_capital * HUNDRED),
        "cagr_pct": _q(cagr),
        "sharpe_ratio": _q(sharpe),
        "sortino_ratio": _q(sortino),
        "max_drawdown_pct": _q(float(drawdown.max())) if n else ZERO,
        "win_rate": _q(Decimal(len(wins)) / len(trades) * HUNDRED) if trades else None,
        "profit_factor": _q(sum(wins, ZERO) / gross_loss) if gross_loss > 0 else None,
        "exposure_pct": _q(Decimal(simulation.exposed_bars) / n * HUNDRED) if n else ZERO,
        "total_trades": len(trades),
        "final_equity": final,
        "total_fees": fees,
    }


def curve_sample_indices(length: int, *, max_points: int) -> list[int]:
    """Return evenly spaced bar indices (first and last included), at most `max_points`."""
    if length <= max_points:
        return list(range(length))
    step = math.ceil((length - 1) / (max_points - 1))
    indices = list(range(0, length - 1, step))
    indices.append(length - 1)
    return indices
