"""A real `websockets` client of /ws/v1/stream for the integration tests and the benchmark."""

import json
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from access.credentials import websocket_message
from access.tests.helpers import hmac_sign
from tests.harness import Stack


@dataclass
class Keys:
    """A REST client (simple key) and the id and secret of a signing key for sockets."""

    rest: httpx.Client
    key_id: str
    secret: str


def keys_make(stack: Stack, *, base_url: str | None = None) -> Keys:
    """Two fresh read+trade keys of the Demo account: one for REST, one to sign sockets in."""
    stack.manage("seed_demo")

    def key(scheme: str) -> dict:
        output = stack.manage(
            "create_api_key", "--username", stack.username, "--account", "Demo",
            "--scopes", "read,trade", "--scheme", scheme,
            "--rate-limits", json.dumps({"data": "1000/s", "trading": "1000/s"}), "--json",
        )  # fmt: skip
        return json.loads(output)

    simple, signing = key("simple"), key("hmac")
    rest = httpx.Client(
        base_url=f"{base_url or stack.base_url}/api/v1",
        headers={"Authorization": f"Api-Key {simple['key_id']}.{simple['secret']}"},
        timeout=10,
    )
    return Keys(rest=rest, key_id=signing["key_id"], secret=signing["secret"])


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/ws/v1/stream"


@dataclass
class StreamClient:
    """One socket: authenticate, subscribe, and read messages with deadlines."""

    ws: ClientConnection
    seen: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, base_url: str, keys: Keys, *, receive_buffer: int = 0) -> "StreamClient":
        sock = None
        if receive_buffer:
            # A small receive buffer: a client that stops reading is felt by the server soon.
            parsed = urlparse(base_url)
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.connect((parsed.hostname, parsed.port))
        ws = connect(
            ws_url(base_url),
            open_timeout=10,
            sock=sock,
            max_size=2**22,
            # Uncompressed, so what the server buffers for a slow client is predictable.
            compression=None if receive_buffer else "deflate",
            # A client that stops reading also stops answering pings in time: no keepalive.
            ping_interval=None if receive_buffer else 20,
            # Others buffer what they have not read yet, so a test can read it later.
            max_queue=16 if receive_buffer else None,
            legacy=True,
        )
        client = cls(ws=ws)
        timestamp = str(int(time.time() * 1000))
        client.send(
            action="authenticate",
            api_key=keys.key_id,
            timestamp=timestamp,
            signature=hmac_sign(keys.secret, websocket_message(timestamp=timestamp)),
        )
        reply = client.recv()
        assert reply["type"] == "authenticated", reply
        return client

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        message = json.loads(self.ws.recv(timeout=timeout))
        self.seen.append(message)
        return message

    def subscribe(self, channel: str, **extra: Any) -> tuple[dict, dict | None]:
        """Subscribe; return (subscribed, snapshot) for account channels, (subscribed, None)."""
        self.send(action="subscribe", channel=channel, **extra)
        subscribed = self.recv()
        while subscribed.get("type") != "subscribed":  # updates of earlier subscriptions
            assert subscribed.get("type") != "error", subscribed
            subscribed = self.recv()
        if "symbols" in subscribed:
            return subscribed, None
        snapshot = self.recv()
        while not (snapshot.get("type") == "snapshot" and snapshot.get("channel") == channel):
            snapshot = self.recv()
        return subscribed, snapshot

    def until(
        self, predicate: Callable[[list[dict]], bool], *, timeout: float, what: str
    ) -> list[dict]:
        """Read until `predicate(all messages read so far)` holds; fail after `timeout` s."""
        deadline = time.monotonic() + timeout
        while not predicate(self.seen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            self.recv(timeout=left)
        return self.seen

    def drain_until_closed(self, timeout: float) -> int | None:
        """Read everything until the server closes; return its close code (None: dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.recv(timeout=max(0.1, deadline - time.monotonic()))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None

    def kill(self) -> None:
        """Drop the TCP connection without a closing handshake, as a crashed client does."""
        self.ws.socket.close()

    def close(self) -> None:
        self.ws.close()


def updates(messages: list[dict], channel: str) -> list[dict]:
    return [m for m in messages if m.get("channel") == channel and m.get("type") == "update"]


def market_order(rest: httpx.Client, *, symbol: str = "MSFT", quantity: str = "1") -> dict:
    response = rest.post(
        "/orders",
        json={
            "symbol": symbol,
            "side": "buy",
            "order_type": "market",
            "quantity": quantity,
            "client_order_id": uuid.uuid4().hex,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return response.json()
