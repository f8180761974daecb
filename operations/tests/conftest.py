"""Fixtures of operations tests: the shared ones (tests/fixtures.py), with generous rate limits."""

import pytest


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
