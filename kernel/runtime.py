"""Process-wide runtime facts: the server's event loop, and handing tasks to Celery."""

import asyncio
import logging
import threading
from concurrent.futures import Future

from asgiref.sync import sync_to_async
from celery import Task

logger = logging.getLogger(__name__)

_main_loop: asyncio.AbstractEventLoop | None = None


def main_loop_set(loop: asyncio.AbstractEventLoop | None) -> None:
    """Remember the event loop that serves ASGI; in-memory channel layer traffic must use it."""
    global _main_loop
    _main_loop = loop


def main_loop_get() -> asyncio.AbstractEventLoop | None:
    """Return the server's event loop when it is running, else None."""
    if _main_loop is not None and _main_loop.is_running() and not _main_loop.is_closed():
        return _main_loop
    return None


def task_enqueue(task: Task, *args, **kwargs) -> Future | None:
    """Hand a task to Celery.

    Services mode: `task.delay`. Embedded mode (eager): the task runs in a worker thread started
    from the server's event loop, so the caller is not blocked and the task's
    `async_to_sync(channel_layer.group_send)` reaches the same in-memory layer. Without a running
    server loop (management commands, tests) the eager task runs inline. Returns the future of the
    off-loop run, or None.
    """
    loop = main_loop_get()
    if not task.app.conf.task_always_eager:
        task.delay(*args, **kwargs)
        return None
    if loop is None:
        task.apply(args=args, kwargs=kwargs)
        return None

    async def run_off_loop():
        try:
            await sync_to_async(task.apply, thread_sensitive=False)(args=args, kwargs=kwargs)
        except Exception:
            logger.exception("in-process task %s failed", task.name)
            raise

    return asyncio.run_coroutine_threadsafe(run_off_loop(), loop)


def publishing_loop_start() -> asyncio.AbstractEventLoop:
    """Run one event loop on a daemon thread and make it the process's loop; return it.

    For processes that serve no ASGI (WSGI workers): channel-layer sends are handed to this
    loop instead of paying for a fresh `async_to_sync` loop and connection per send.
    """
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()

    threading.Thread(target=run, name="publishing-loop", daemon=True).start()
    started.wait()
    main_loop_set(loop)
    return loop
