"""Fixtures for backtest tests: accounts, a trader's clients, GOOG with its daily candles."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backtests.tests.helpers import goog_import, random_walk_rows
from marketdata.services import candles_import
from marketdata.tests.factories import InstrumentFactory


@pytest.fixture(autouse=True)
def _rate_limits(generous_rate_limits):
    """These tests call endpoints many times a second with one credential."""


# This app's tests call the API through a trader's keys under these names.
@pytest.fixture
def client(trader_api):
    return trader_api


@pytest.fixture
def reader(reader_api):
    return reader_api


@pytest.fixture
def other_client(other_trader_api):
    return other_trader_api


@pytest.fixture
def goog(db):
    instrument = InstrumentFactory(
        symbol="GOOG", currency="USD", tick_size=Decimal("0.01"), lot_size=Decimal("1")
    )
    goog_import(instrument)
    return instrument


@pytest.fixture
def minutes(db):
    """An instrument with three days of seeded 1-minute candles (4,320 bars)."""
    instrument = InstrumentFactory(
        symbol="WALK", currency="USD", tick_size=Decimal("0.01"), lot_size=Decimal("1")
    )
    rows = random_walk_rows(
        3 * 1440, seed=7, start=datetime(2026, 1, 5, tzinfo=UTC), step=timedelta(minutes=1)
    )
    candles_import(instrument=instrument, interval="1m", rows=rows, source="import")
    return instrument
