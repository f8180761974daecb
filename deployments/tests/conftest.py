"""Fixtures of deployment tests: the shared ones, with generous rate limits."""

import pytest


@pytest.fixture(autouse=True)
def _rate_limits(generous_rate_limits):
    """These tests fire many requests and orders per second; limits are tested apart."""
