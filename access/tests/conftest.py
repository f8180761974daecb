"""Fixtures for access-control tests (the shared ones are in tests/fixtures.py)."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fixtures import member


@pytest.fixture(autouse=True)
def _rate_limits(generous_rate_limits):
    """These tests fire many requests per second with one credential."""


@pytest.fixture
def other_admin(db, other_account):
    """Holds the admin role but acts here through keys of the other account."""
    return member("bob", "admin", other_account, is_default=False)


@pytest.fixture
def ed25519_private_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def trader(db, account):
    """A trader whose membership is not a default one: the tests give them a default elsewhere."""
    return member("tom", "trader", account, is_default=False)


@pytest.fixture
def admin_user(admin_member):
    """The access tests' admin is a member with the admin role, not a superuser."""
    return admin_member
