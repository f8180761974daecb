"""The engine loop: heartbeat plus the configured components, each an asyncio task."""

import asyncio
import contextlib
import logging
import os
import socket
import time
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from redis.exceptions import RedisError

from engine.heartbeat import heartbeat_clear, heartbeat_write
from engine.sync import SyncWorker

logger = logging.getLogger(__name__)


def cancellation_checkpoint() -> None:
    """Raise CancelledError if the current task was asked to stop.

    A component loop calls this once per iteration: a library can swallow the CancelledError
    meant for it (Python 3.11's `asyncio.timeout`, used by the Redis client when it drops a
    connection, can), and the loop would then run on after the engine asked it to stop.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class EngineFailed(RuntimeError):
    """A component ended with an exception; the engine stopped."""


class EngineComponent(Protocol):
    """A part of the engine (market feed, paper venue). `run` returns only when cancelled."""

    name: str

    async def run(self, engine: "Engine") -> None: ...

    def status(self) -> dict[str, Any]: ...


class Engine:
    """Runs its components until stopped and publishes a heartbeat with their status."""

    def __init__(
        self,
        *,
        components: list[EngineComponent] | None = None,
        mode: str | None = None,
        heartbeat_interval_s: float | None = None,
        heartbeat_ttl_s: float | None = None,
    ):
        if components is None:
            components = [import_string(path)() for path in settings.ENGINE_COMPONENTS]
        self.components = components
        self.mode = mode or ("embedded" if settings.ENGINE_EMBEDDED else "services")
        self.heartbeat_interval_s = heartbeat_interval_s or settings.ENGINE_HEARTBEAT_INTERVAL_S
        self.heartbeat_ttl_s = heartbeat_ttl_s or settings.ENGINE_HEARTBEAT_TTL_S
        self.started_at: float | None = None
        self._stop = asyncio.Event()
        self._worker = SyncWorker("engine-heartbeat")

    def stop(self) -> None:
        """Ask the engine to stop; `run` returns after its components are cancelled."""
        self._stop.set()

    def heartbeat_payload(self) -> dict[str, Any]:
        """Return what the heartbeat says: who runs, since when, and each component's status."""
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "mode": self.mode,
            "started_at": self.started_at,
            "components": {c.name: c.status() for c in self.components},
        }

    async def _beat(self) -> None:
        while True:
            # The cache client is synchronous; keep it off the event loop.
            try:
                await self._worker.call(
                    heartbeat_write, payload=self.heartbeat_payload(), ttl_s=self.heartbeat_ttl_s
                )
            except RedisError as exc:
                # The engine keeps trading; web processes show it down until the cache is back.
                logger.warning("heartbeat not written, cache unreachable: %r", exc)
            await asyncio.sleep(self.heartbeat_interval_s)

    async def run(self) -> None:
        """Run until `stop()`; raise EngineFailed when a component fails. The heartbeat goes too."""
        self.started_at = time.time()
        logger.info("engine starting (%s) with %d component(s)", self.mode, len(self.components))
        tasks = [asyncio.create_task(self._beat(), name="engine:heartbeat")]
        tasks += [
            asyncio.create_task(c.run(self), name=f"engine:{c.name}") for c in self.components
        ]
        stop_waiter = asyncio.create_task(self._stop.wait(), name="engine:stop")
        failure: BaseException | None = None
        try:
            done, _ = await asyncio.wait([*tasks, stop_waiter], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stop_waiter and task.exception() is not None:
                    failure = task.exception()
                    logger.error("engine task %s failed", task.get_name(), exc_info=failure)
        finally:
            for task in [*tasks, stop_waiter]:
                task.cancel()
            await asyncio.gather(*tasks, stop_waiter, return_exceptions=True)
            with contextlib.suppress(RedisError):
                await self._worker.call(heartbeat_clear)
            self._worker.shutdown()
            logger.info("engine stopped")
        if failure is not None:
            # The process supervisor (Procfile, compose, systemd) restarts a failed engine.
            raise EngineFailed(str(failure)) from failure
