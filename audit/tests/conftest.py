"""Fixtures of audit tests: an account with no history, so the chain holds what a test writes."""

import pytest

from access.tests.factories import AccountFactory


@pytest.fixture
def account(db):
    return AccountFactory(name="Alpha")
