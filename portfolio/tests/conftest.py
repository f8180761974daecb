"""Fixtures for portfolio tests: the risk tests' funded account, users and instruments."""

from risk.tests.conftest import (  # noqa: F401
    _generous_rate_limits,
    aapl,
    account,
    msft,
    other_account,
    trader,
    viewer,
)
