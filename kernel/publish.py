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
from kernel.streamlog import stream_log

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


def credential_group(kind: str, identifier: str | int) -> str:
    """Return the group of the sockets opened with one credential (`key`, `user`)."""
    return f"credential.{kind}.{identifier}"


def _account_deliver(account_id: int, stream: str, event: str, data: dict[str, Any]) -> None:
    """Number the event, keep it in the replay window, then send it to the account group."""
    group = account_group(account_id, stream)
    try:
        seq = stream_log().append(
            account_id=account_id, stream=stream, event={"event": event, "data": data}
        )
    except Exception:
        # Not numbered, not kept: sockets see no gap to fill; the state is in the database and
        # a socket resuming later gets a snapshot. Never raised into the service.
        logger.exception("could not number %s for %s", event, group)
        return
    message = {
        "type": "account.event",
        "group": group,
        "account": account_id,
        "stream": stream,
        "seq": seq,
        "event": event,
        "data": data,
    }
    _deliver("group_send", group, message)


def account_publish(*, account_id: int, stream: str, event: str, data: dict[str, Any]) -> None:
    """On commit, number the event and send `{"type": "account.event", ...}` to the group.

    `data` must be JSON-safe (strings for decimals and times): the representation the REST API
    returns for the same object. The message carries `seq`, the event's number in this account
    stream, which is kept in the bounded replay window (kernel.streamlog).
    """
    transaction.on_commit(lambda: _account_deliver(account_id, stream, event, data))


def credential_revoked_publish(*, kind: str, identifier: str | int) -> None:
    """On commit, tell the sockets opened with a credential that it no longer holds."""
    group = credential_group(kind, identifier)
    message = {"type": "credential.revoked", "group": group}
    transaction.on_commit(lambda: _deliver("group_send", group, message))


def channel_send_on_commit(*, channel: str, message: dict[str, Any]) -> None:
    """On commit, send `message` to one channel (a consumer such as the venue's hand-off)."""
    transaction.on_commit(lambda: _deliver("send", channel, message))
