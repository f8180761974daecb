"""Fixtures of orders tests: the shared ones (tests/fixtures.py), with generous rate limits."""

import pytest


@pytest.fixture(autouse=True)
def _rate_limits(generous_rate_limits):
    """These tests fire many requests per second with one credential; limits are tested apart."""
