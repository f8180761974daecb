"""Fixtures for risk tests: a funded account, users of every role, instruments with quotes."""

from decimal import Decimal

import pytest

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from marketdata.tests.factories import InstrumentFactory
from orders.tests.helpers import quote_set
from portfolio.services import balance_deposit


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests send many requests per second with one credential; limits are tested apart."""
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


def _member(username, role, account):
    user = UserFactory(username=username, roles=[role])
    MembershipFactory(user=user, account=account, is_default=True)
    return user


@pytest.fixture
def trader(db, account):
    return _member("tom", "trader", account)


@pytest.fixture
def viewer(db, account):
    return _member("vera", "viewer", account)


@pytest.fixture
def risk_manager(db, account):
    return _member("rita", "risk_manager", account)


@pytest.fixture
def second_risk_manager(db, account):
    return _member("rob", "risk_manager", account)


@pytest.fixture
def outsider(db, other_account):
    """A risk manager of the other account only."""
    return _member("olga", "risk_manager", other_account)


@pytest.fixture
def aapl(db):
    instrument = InstrumentFactory(symbol="AAPL", tick_size=Decimal("0.01"), lot_size=Decimal("1"))
    quote_set("AAPL", bid="99.90", ask="100.10")
    return instrument


@pytest.fixture
def msft(db):
    instrument = InstrumentFactory(symbol="MSFT", tick_size=Decimal("0.01"), lot_size=Decimal("1"))
    quote_set("MSFT", bid="199.90", ask="200.10")
    return instrument
