"""Fixtures for access-control tests: users with roles, accounts and an Ed25519 key pair."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests fire many requests per second with one credential; limits are tested apart."""
    settings.RATE_LIMITS = {"data": "10000/s", "trading": "10000/s"}


@pytest.fixture
def account(db):
    return AccountFactory(name="Alpha")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="Beta")


@pytest.fixture
def admin_user(db, account):
    user = UserFactory(username="alice", roles=["admin"])
    MembershipFactory(user=user, account=account, is_default=True)
    return user


@pytest.fixture
def trader(db, account):
    user = UserFactory(username="tom", roles=["trader"])
    MembershipFactory(user=user, account=account)
    return user


@pytest.fixture
def other_admin(db, other_account):
    """Holds the admin role but acts here through keys of the other account."""
    user = UserFactory(username="bob", roles=["admin"])
    MembershipFactory(user=user, account=other_account)
    return user


@pytest.fixture
def ed25519_private_key():
    return Ed25519PrivateKey.generate()
