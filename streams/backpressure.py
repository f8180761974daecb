"""TCP backpressure from daphne to the stream consumer: is the client keeping up?

An ASGI `send` under daphne never waits: a message goes to Twisted's write buffer however slow
the client is, so without this a slow client grows the server's memory and is never conflated.
daphne's `send` is `partial(server.handle_reply, protocol)`. The socket's transport came from
the HTTP request that was upgraded, and that request's HTTPChannel stays the transport's push
producer; it hands pause/resume on to one producer registered with it. So ours registers with
the HTTPChannel (or, on a bare transport, with Autobahn's protocol): Twisted pauses it when the
socket's write buffer is full and resumes it once the buffer drains. Other servers (the test
communicator, uvicorn, whose `send` awaits the socket) get no producer and need none.
"""

import asyncio
import functools
import logging
import socket
from typing import Any

logger = logging.getLogger(__name__)


class TransportWritable:
    """A Twisted push producer that mirrors "the socket can take more" into an asyncio.Event."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()

    def pauseProducing(self) -> None:
        self.writable.clear()

    def resumeProducing(self) -> None:
        self.writable.set()

    def stopProducing(self) -> None:
        self.writable.set()


def _daphne_protocol(send: Any) -> Any:
    if isinstance(send, functools.partial) and send.args:
        protocol = send.args[0]
        if hasattr(protocol, "registerProducer") and getattr(protocol, "transport", None):
            return protocol
    return None


def transport_writable(
    send: Any, *, send_buffer_bytes: int = 0, close_timeout_s: float = 0
) -> asyncio.Event | None:
    """Return an Event that is set while the client's socket can take more, or None.

    `send_buffer_bytes` > 0 caps both the kernel's send buffer of the socket and Twisted's
    write buffer above it (64 KiB by default), so a slow client is noticed after about twice
    that many bytes rather than after the OS's (megabytes, per socket).
    `close_timeout_s` > 0: how long a closed socket waits for the client's close reply (Autobahn's
    default, 1 s, is too short for a slow client to read what is queued before the close code).
    """
    protocol = _daphne_protocol(send)
    if protocol is None:
        return None
    producer = TransportWritable()
    try:
        if send_buffer_bytes > 0:
            sock = protocol.transport.getHandle()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)
            protocol.transport.bufferSize = send_buffer_bytes
        if close_timeout_s > 0:
            protocol.closeHandshakeTimeout = close_timeout_s
        channel = getattr(protocol.transport, "producer", None)
        target: Any = channel if hasattr(channel, "registerProducer") else protocol
        target.registerProducer(producer, True)
    except (RuntimeError, AttributeError, OSError) as error:
        logger.warning("no backpressure for this socket: %s", error)
        return None
    return producer.writable
