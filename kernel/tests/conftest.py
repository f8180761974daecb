"""Fixtures of the kernel's tests."""

import pytest
from django_ratelimit import core as ratelimit_core


class FrozenClock:
    """Stands in for the `time` module django-ratelimit reads its clock from."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # Mid-second, so no window edge is near: every request of a test lands in one window.
    frozen = FrozenClock(1_800_000_000.5)
    monkeypatch.setattr(ratelimit_core, "time", frozen)
    return frozen
