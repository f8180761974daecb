"""Indicators: start-independent (bit for bit) and correct against plain formulas."""

import numpy as np
import pytest

from backtests.strategies.indicators import rolling_std, rolling_sum, rsi, sma

RNG = np.random.default_rng(11)
SERIES = 100 + np.cumsum(RNG.normal(0, 1, 600))


@pytest.mark.parametrize(
    ("function", "n", "needs"),
    [
        (rolling_sum, 1, 1),
        (rolling_sum, 7, 7),
        (sma, 10, 10),
        (sma, 33, 33),
        (sma, 200, 200),
        (rolling_std, 20, 20),
        (rsi, 14, 15),
        (rsi, 3, 4),
    ],
)
def test_the_value_at_a_bar_is_the_same_over_any_history_that_covers_it(function, n, needs):
    full = function(SERIES, n)
    for i in range(needs - 1, len(SERIES), 7):
        for extra in (0, 1, 5):
            start = max(0, i - needs + 1 - extra)
            window = function(SERIES[start : i + 1], n)
            assert window[-1] == full[i] or (np.isnan(window[-1]) and np.isnan(full[i]))


def test_not_enough_history_is_nan():
    assert np.isnan(sma(SERIES[:5], 10)).all()
    assert np.isnan(sma(SERIES, 10)[:9]).all()
    assert not np.isnan(sma(SERIES, 10)[9:]).any()
    assert np.isnan(rsi(SERIES, 14)[:14]).all()
    assert not np.isnan(rsi(SERIES, 14)[14:]).any()


def test_values_match_the_plain_formulas():
    n = 20
    for i in (n - 1, 100, len(SERIES) - 1):
        window = SERIES[i - n + 1 : i + 1]
        assert sma(SERIES, n)[i] == pytest.approx(window.mean(), rel=1e-12)
        assert rolling_std(SERIES, n)[i] == pytest.approx(window.std(), rel=1e-9)
    changes = np.diff(SERIES[100 - 14 : 101])
    gain = changes[changes > 0].sum() / 14
    loss = -changes[changes < 0].sum() / 14
    assert rsi(SERIES, 14)[100] == pytest.approx(100 - 100 / (1 + gain / loss), rel=1e-12)


def test_rsi_edges():
    rising = np.arange(1.0, 20.0)
    flat = np.full(20, 5.0)
    assert rsi(rising, 5)[-1] == 100.0
    assert rsi(flat, 5)[-1] == 50.0
    assert rsi(rising[::-1], 5)[-1] == 0.0
