"""Fixtures for backtest tests: accounts, a trader's clients, GOOG with its daily candles."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from access.tests.helpers import key_make, simple_client
from backtests.tests.helpers import goog_import, random_walk_rows
from marketdata.services import candles_import
from marketdata.tests.factories import InstrumentFactory


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests call endpoints many times a second with one credential."""
    settings.RATE_LIMITS = {"data": "10000/s", "trading": "10000/s"}


@pytest.fixture
def account(db):
    return AccountFactory(name="Alpha")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="Beta")


@pytest.fixture
def trader(db, account):
    user = UserFactory(username="tom", roles=["trader"])
    MembershipFactory(user=user, account=account, is_default=True)
    return user


@pytest.fixture
def client(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


@pytest.fixture
def reader(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    return simple_client(api_key, secret)


@pytest.fixture
def other_client(other_account):
    user = UserFactory(username="olga", roles=["trader"])
    MembershipFactory(user=user, account=other_account, is_default=True)
    api_key, secret = key_make(user=user, account=other_account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


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
