"""Fixtures for order tests: an account with cash, a trader, instruments with quotes."""

from decimal import Decimal

import pytest

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from marketdata.tests.factories import InstrumentFactory
from orders.tests.helpers import quote_set
from portfolio.services import balance_deposit


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests send many orders per second with one credential; limits are tested apart."""
    settings.RATE_LIMITS = {"data": "10000/s", "trading": "10000/s"}


@pytest.fixture
def account(db):
    account = AccountFactory(name="Alpha")
    balance_deposit(account=account, currency="USD", amount=Decimal("100000"))
    return account


@pytest.fixture
def other_account(db):
    account = AccountFactory(name="Beta")
    balance_deposit(account=account, currency="USD", amount=Decimal("100000"))
    return account


@pytest.fixture
def trader(db, account):
    user = UserFactory(username="tom", roles=["trader"])
    MembershipFactory(user=user, account=account, is_default=True)
    return user


@pytest.fixture
def aapl(db):
    instrument = InstrumentFactory(symbol="AAPL", tick_size=Decimal("0.01"), lot_size=Decimal("1"))
    quote_set("AAPL", bid="99.90", ask="100.10")
    return instrument


@pytest.fixture
def btc(db):
    instrument = InstrumentFactory(
        symbol="BTCUSD",
        asset_class="crypto",
        tick_size=Decimal("0.5"),
        lot_size=Decimal("0.001"),
        min_quantity=Decimal("0.001"),
    )
    quote_set("BTCUSD", bid="50000", ask="50001")
    return instrument
