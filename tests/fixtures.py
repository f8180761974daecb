"""Fixtures shared by every app's tests (a pytest plugin the root conftest loads).

Accounts come funded: 100,000 USD of cash, deposited through the service (so they have a
ledger entry, a balance and an audit row). Users are members of the account, with one role
each; `trader_api` and `reader_api` are API clients with a key of the trader (trade and read
scopes, or read only). Instruments come with a live quote in the cache.
"""

from decimal import Decimal

import pytest

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from access.tests.helpers import key_make, simple_client
from marketdata.tests.factories import InstrumentFactory
from orders.tests.helpers import quote_set
from portfolio.services import balance_deposit

CASH = Decimal("100000")


@pytest.fixture
def generous_rate_limits(settings):
    """Tests that fire many requests a second with one credential; limits are tested apart."""
    settings.RATE_LIMITS = {"data": "10000/s", "trading": "10000/s"}


def _funded(name: str):
    account = AccountFactory(name=name)
    balance_deposit(account=account, currency="USD", amount=CASH)
    return account


@pytest.fixture
def account(db):
    return _funded("Alpha")


@pytest.fixture
def other_account(db):
    return _funded("Beta")


def member(username: str, role: str, account, *, is_default: bool = True):
    """A user with `role` who is a member of `account`."""
    user = UserFactory(username=username, roles=[role])
    MembershipFactory(user=user, account=account, is_default=is_default)
    return user


@pytest.fixture
def trader(db, account):
    return member("tom", "trader", account)


@pytest.fixture
def viewer(db, account):
    return member("vera", "viewer", account)


@pytest.fixture
def risk_manager(db, account):
    return member("rita", "risk_manager", account)


@pytest.fixture
def second_risk_manager(db, account):
    return member("rob", "risk_manager", account)


@pytest.fixture
def admin_member(db, account):
    """A user with the admin role (not staff: pytest-django's `admin_user` is the superuser)."""
    return member("alice", "admin", account)


@pytest.fixture
def outsider(db, other_account):
    """A risk manager of the other account only."""
    return member("olga", "risk_manager", other_account)


@pytest.fixture
def trader_api(trader, account):
    """An API client with a key of the trader: read and trade scopes."""
    api_key, secret = key_make(user=trader, account=account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


@pytest.fixture
def reader_api(trader, account):
    """An API client with a read-only key of the trader."""
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    return simple_client(api_key, secret)


@pytest.fixture
def other_trader_api(other_account):
    """An API client with a trading key of a trader of the other account."""
    user = member("oscar", "trader", other_account)
    api_key, secret = key_make(user=user, account=other_account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


def _instrument(symbol: str, *, bid: str, ask: str, **fields):
    instrument = InstrumentFactory(symbol=symbol, **fields)
    quote_set(symbol, bid=bid, ask=ask)
    return instrument


@pytest.fixture
def aapl(db):
    return _instrument(
        "AAPL", bid="99.90", ask="100.10", tick_size=Decimal("0.01"), lot_size=Decimal("1")
    )


@pytest.fixture
def msft(db):
    return _instrument(
        "MSFT", bid="199.90", ask="200.10", tick_size=Decimal("0.01"), lot_size=Decimal("1")
    )


@pytest.fixture
def btc(db):
    return _instrument(
        "BTCUSD",
        bid="50000",
        ask="50001",
        asset_class="crypto",
        tick_size=Decimal("0.5"),
        lot_size=Decimal("0.001"),
        min_quantity=Decimal("0.001"),
    )
