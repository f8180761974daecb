"""A long-lived worker thread for an engine component's blocking ORM and cache calls."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection


def _call_and_close(function: Callable, kwargs: dict[str, Any]) -> Any:
    try:
        return function(**kwargs)
    finally:
        # The thread outlives the call; an idle database connection held between calls buys
        # nothing, and a broken one must not poison the next call.
        connection.close()


class SyncWorker:
    """Runs blocking calls one at a time, in order, on one thread of its own.

    Not `asyncio.to_thread`: that copies the context on every call, so Django's context-local
    cache handler would open a new Redis connection each time.
    """

    def __init__(self, name: str):
        self.name = name
        self._executor: ThreadPoolExecutor | None = None

    def call(self, function: Callable, /, **kwargs) -> asyncio.Future:
        """Return an awaitable of `function(**kwargs)` run on the worker thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, _call_and_close, function, kwargs)

    def shutdown(self) -> None:
        """Let the thread go once its queued calls are done."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
