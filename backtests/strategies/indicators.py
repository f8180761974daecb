"""Causal, start-independent indicators on float arrays (numpy).

Every function returns an array aligned with its input whose element `i` depends only on the
`n` inputs ending at `i`, always summed in the same order. So the value at a bar is bit for bit
the same whether it is computed over a whole history (a backtest) or over just the last
`window` closed bars (live trading): no running sums whose rounding depends on where the data
starts, no recursive smoothing with infinite memory. Elements without enough history are NaN.
"""

import numpy as np


def _window_sums(x: np.ndarray, n: int) -> np.ndarray:
    """Sums of the `len(x) - n + 1` windows of length n (window k starts at x[k]).

    Blocks of power-of-two lengths are built by pairwise addition (block 2b at k = block b at k
    + block b at k+b) and a window adds its blocks largest first: O(len(x) log n), and the order
    of the additions depends on n alone, never on the window's position.
    """
    count = len(x) - n + 1
    if count <= 0:
        return np.empty(0)
    blocks = {1: x}
    size = 1
    while size * 2 <= n:
        block = blocks[size]
        blocks[size * 2] = block[: len(block) - size] + block[size:]
        size *= 2
    total = None
    offset = 0
    for size in sorted(blocks, reverse=True):
        if n - offset >= size:
            part = blocks[size][offset : offset + count]
            total = part.copy() if total is None else total + part
            offset += size
    assert total is not None, "the block sizes always cover the window"
    return total


def rolling_sum(x: np.ndarray, n: int) -> np.ndarray:
    """Return the sum of the last `n` values at each element (NaN before the n-th)."""
    out = np.full(len(x), np.nan)
    if n <= len(x):
        out[n - 1 :] = _window_sums(np.asarray(x, dtype=np.float64), n)
    return out


def sma(x: np.ndarray, n: int) -> np.ndarray:
    """Return the simple moving average of the last `n` values."""
    return rolling_sum(x, n) / n


def rolling_std(x: np.ndarray, n: int) -> np.ndarray:
    """Return the population standard deviation (ddof 0) of the last `n` values.

    Two-pass (mean first, then squared deviations added in a fixed order) for accuracy.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.full(len(x), np.nan)
    count = len(x) - n + 1
    if count <= 0:
        return out
    mean = _window_sums(x, n) / n
    squares = np.zeros(count)
    for k in range(n):
        deviation = x[k : k + count] - mean
        squares += deviation * deviation
    out[n - 1 :] = np.sqrt(squares / n)
    return out


def rsi(close: np.ndarray, n: int) -> np.ndarray:
    """Return the relative strength index over `n` changes (simple averages, Cutler's RSI).

    100 when the window has gains and no losses, 50 when it has neither. Needs n + 1 closes.
    """
    close = np.asarray(close, dtype=np.float64)
    change = np.full(len(close), np.nan)
    change[1:] = close[1:] - close[:-1]
    gains = np.where(change > 0, change, 0.0)
    losses = np.where(change < 0, -change, 0.0)
    gains[0] = losses[0] = np.nan
    average_gain = np.full(len(close), np.nan)
    average_loss = np.full(len(close), np.nan)
    if len(close) > n:
        average_gain[n:] = _window_sums(gains[1:], n) / n
        average_loss[n:] = _window_sums(losses[1:], n) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + average_gain / average_loss)
    value = np.where((average_loss == 0) & (average_gain > 0), 100.0, value)
    value = np.where((average_loss == 0) & (average_gain == 0), 50.0, value)
    return value
