"""Publishing to the channel layer after commit: account event groups and plain channels.

A send is a side effect: it happens only when the surrounding transaction commits, and a
failure to deliver is logged, never raised into the service that changed the data.
"""

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from kernel.runtime import main_loop_get

logger = logging.getLogger(__name__)


def account_group(account_id: int, stream: str) -> str:
    """Return the channel-layer group of one account's `stream` (orders, fills, ...)."""
    return f"account.{account_id}.{stream}"


def _deliver(method: str, target: str, message: dict[str, Any]) -> None:
    """Send through the channel layer; a failure is logged, never raised to the caller."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        send = getattr(layer, method)
        loop = main_loop_get()
        if loop is not None:
            # The in-memory layer lives on the server's loop: hand the send to it, whatever
            # thread (request, engine worker) this runs on.
            future = asyncio.run_coroutine_threadsafe(send(target, message), loop)
            future.add_done_callback(_log_failure)
        else:
            async_to_sync(send)(target, message)
    except Exception:
        logger.exception("channel-layer %s to %s failed", method, target)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("channel-layer delivery failed: %r", future.exception())


def account_publish(*, account_id: int, stream: str, event: str, data: dict[str, Any]) -> None:
    """On commit, send `{"type": "account.event", stream, event, data}` to the account group.

    `data` must be JSON-safe (strings for decimals and times): the representation the REST API
    returns for the same object.
    """
    message = {"type": "account.event", "stream": stream, "event": event, "data": data}
    group = account_group(account_id, stream)
    transaction.on_commit(lambda: _deliver("group_send", group, message))


def channel_send_on_commit(*, channel: str, message: dict[str, Any]) -> None:
    """On commit, send `message` to one channel (a consumer such as the venue's hand-off)."""
    transaction.on_commit(lambda: _deliver("send", channel, message))
