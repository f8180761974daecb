"""Engine heartbeat in the shared cache, so every web process can tell whether the engine lives."""

import time
from typing import Any

from django.core.cache import cache

HEARTBEAT_KEY = "engine:heartbeat"


def heartbeat_write(*, payload: dict[str, Any], ttl_s: float) -> None:
    """Store the engine's latest heartbeat; it disappears by itself `ttl_s` after the last write."""
    cache.set(HEARTBEAT_KEY, {**payload, "beat_at": time.time()}, timeout=ttl_s)


def heartbeat_clear() -> None:
    """Remove the heartbeat (a clean engine shutdown)."""
    cache.delete(HEARTBEAT_KEY)


def heartbeat_read() -> dict[str, Any] | None:
    """Return the latest heartbeat, or None when no engine has beaten within its TTL."""
    return cache.get(HEARTBEAT_KEY)
