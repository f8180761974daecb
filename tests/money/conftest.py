"""Fixtures of the money tests: the API's per-second trading limit raised, the venue's fees."""

import pytest


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests cancel and close in quick succession with one credential."""
    settings.RATE_LIMITS = {"data": "10000/s", "trading": "10000/s"}
