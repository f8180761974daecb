"""Connection checks behind /health and /status: each a real round trip, each bounded in time."""

import time
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from redis.exceptions import RedisError

from engine.heartbeat import heartbeat_read
from trading_api.celery import app as celery_app

UP, DOWN = "up", "down"


def database_check() -> str:
    """Return "up" if `SELECT 1` succeeds on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return DOWN
    return UP


def cache_check() -> str:
    """Return "up" if a value written to the cache reads back."""
    key, value = f"health:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=5)
        ok = cache.get(key) == value
        cache.delete(key)
    except Exception:  # the cache backends raise their client's own errors
        return DOWN
    return UP if ok else DOWN


def channel_layer_check() -> str:
    """Return "up" if a message sent to a fresh channel comes back from the layer."""
    layer = get_channel_layer()
    if layer is None:
        return DOWN

    async def round_trip() -> bool:
        channel = await layer.new_channel("health.")
        nonce = uuid.uuid4().hex
        await layer.send(channel, {"type": "health.check", "nonce": nonce})
        message = await layer.receive(channel)
        return message.get("nonce") == nonce

    try:
        return UP if async_to_sync(round_trip)() else DOWN
    except Exception:  # channels-redis raises redis' own connection errors
        return DOWN


def broker_check() -> dict[str, Any]:
    """Return the broker state and the number of Celery workers answering a ping.

    Embedded mode has no broker: tasks run in-process, which is reported as such.
    """
    if celery_app.conf.task_always_eager:
        return {"broker": "in-process", "workers": {"state": "in-process", "count": 1}}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception:  # kombu raises transport-specific errors
        return {"broker": DOWN, "workers": {"state": DOWN, "count": 0}}
    replies = celery_app.control.ping(timeout=0.5) or []
    return {
        "broker": UP,
        "workers": {"state": UP if replies else DOWN, "count": len(replies)},
    }


def engine_check(*, now: float | None = None) -> dict[str, Any]:
    """Return the engine's state from its heartbeat: running while the heartbeat is fresh.

    The heartbeat lives in the cache: with the cache unreachable the state is "unknown".
    """
    try:
        beat = heartbeat_read()
    except RedisError:
        return {"state": "unknown", "started_at": None, "uptime_s": None, "pid": None, "host": None}
    now = time.time() if now is None else now
    if not beat or now - beat["beat_at"] > settings.ENGINE_HEARTBEAT_TTL_S:
        return {"state": DOWN, "started_at": None, "uptime_s": None, "pid": None, "host": None}
    started_at = beat.get("started_at")
    return {
        "state": "running",
        "started_at": started_at,
        "uptime_s": round(now - started_at, 3) if started_at else None,
        "pid": beat.get("pid"),
        "host": beat.get("host"),
        "mode": beat.get("mode"),
        "components": beat.get("components", {}),
    }
