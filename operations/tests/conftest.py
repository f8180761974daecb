"""Fixtures for operation tests: two accounts, a trader of the first, API clients."""

import pytest

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from access.tests.helpers import key_make, simple_client


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
