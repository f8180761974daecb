"""Embedded mode: the engine as a task on the web server's own event loop."""

import asyncio
import logging

from django.conf import settings

from engine.leader import leader_lock_for_database
from engine.runner import Engine
from kernel.runtime import main_loop_set

logger = logging.getLogger(__name__)

_engine: Engine | None = None
_task: asyncio.Task | None = None
_lock = None


def embedded_engine_ensure_started() -> Engine | None:
    """Start the in-process engine on the running loop once; return it (None if not embedded).

    Must be called from the server's event loop. Also records that loop as the main loop, which
    in-process Celery tasks use to reach the in-memory channel layer.
    """
    global _engine, _task, _lock
    loop = asyncio.get_running_loop()
    main_loop_set(loop)
    if not settings.ENGINE_EMBEDDED:
        return None
    if _lock is None:
        lock = leader_lock_for_database()
        try:
            acquired = lock.try_acquire()
        except OSError:
            logger.exception("cannot take the engine leader lock; this server runs without engine")
            return None
        if not acquired:
            # A second server on the same database: one engine is enough, and two would fill
            # the same orders twice.
            logger.warning("another engine holds the leader lock; this server runs without one")
            return None
        _lock = lock
    if _task is None or _task.done():
        _engine = Engine(mode="embedded")
        _task = loop.create_task(_engine.run(), name="engine")
        logger.info("embedded engine started")
    return _engine


async def embedded_engine_stop(*, timeout_s: float = 10.0) -> None:
    """Stop the in-process engine and wait for it, so components save their state; idempotent."""
    global _task, _lock
    if _engine is not None and _task is not None and not _task.done():
        _engine.stop()
        try:
            await asyncio.wait_for(asyncio.shield(_task), timeout=timeout_s)
        except TimeoutError:
            logger.error("embedded engine did not stop within %ss", timeout_s)
        except Exception:  # the engine's own failure was logged where it happened
            logger.warning("embedded engine ended with an error during shutdown")
    _task = None
    if _lock is not None:
        _lock.release()
        _lock = None
