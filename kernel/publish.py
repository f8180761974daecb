"""Publishing to the channel layer after commit: account event groups and plain channels.

A send is a side effect: it happens only when the surrounding transaction commits, and a
failure to deliver is logged, never raised into the service that changed the data.
"""

import asyncio
import logging
import threading
from collections import deque
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


class _OrderedSender:
    """Sends handed to one event loop from any thread, delivered one at a time in the order
    they were handed over.

    Each account event carries the next `seq` of its stream when it is handed over; were the
    sends separate tasks, a slow one could reach the sockets after the next event.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._pending: deque[tuple[str, str, dict[str, Any]]] = deque()
        self._draining = False

    def submit(self, method: str, target: str, message: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self._put, (method, target, message))

    def _put(self, item: tuple[str, str, dict[str, Any]]) -> None:
        # On the loop's thread: one drain at a time, which ends when nothing is left.
        self._pending.append(item)
        if not self._draining:
            self._draining = True
            self.loop.create_task(self._drain(), name="channel-layer-sender")

    async def _drain(self) -> None:
        layer = get_channel_layer()
        try:
            while self._pending:
                method, target, message = self._pending.popleft()
                try:
                    await getattr(layer, method)(target, message)
                except Exception:
                    logger.exception("channel-layer %s to %s failed", method, target)
        finally:
            self._draining = False


_senders: dict[int, _OrderedSender] = {}
_senders_lock = threading.Lock()


def _sender_for(loop: asyncio.AbstractEventLoop) -> _OrderedSender:
    sender = _senders.get(id(loop))
    if sender is None or sender.loop is not loop:
        with _senders_lock:
            sender = _senders.get(id(loop))
            if sender is None or sender.loop is not loop:
                sender = _senders[id(loop)] = _OrderedSender(loop)
    return sender


def _deliver(method: str, target: str, message: dict[str, Any]) -> None:
    """Send through the channel layer; a failure is logged, never raised to the caller."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = main_loop_get()
        if loop is not None:
            # The process's loop (the server's, the engine's, or a publishing thread's) holds the
            # layer's connections: hand the send to it, whatever thread this runs on.
            _sender_for(loop).submit(method, target, message)
        else:
            async_to_sync(getattr(layer, method))(target, message)
    except Exception:
        logger.exception("channel-layer %s to %s failed", method, target)


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
