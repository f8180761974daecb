"""Fixtures of analytics tests: those of the order tests (account, trader, instruments)."""

from orders.tests.conftest import (  # noqa: F401
    _generous_rate_limits,
    aapl,
    account,
    other_account,
    trader,
)
