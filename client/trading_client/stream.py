"""The WebSocket stream (`/ws/v1/stream`) as an async iterator of typed messages.

    async with AsyncClient(BASE, auth=HmacAuth(key_id, secret)) as client:
        async for message in client.stream([Subscription("fills", account=7)]):
            print(message.seq, message.event, message.data)

The stream authenticates (a JWT access token, refreshed by the client, or a signed key),
subscribes, and yields every snapshot and update. When the socket drops, or the server closes
it for being too slow (4408) or for an unreachable event transport (4503), it reconnects with
exponential backoff and full jitter, and `resume`s each account channel from the last `seq` it
yielded, so no account event is lost or yielded twice. A resume past the server's window gives a
snapshot marked `resync`. Market channels are subscribed afresh (their seq is per connection);
a gap in a market seq is reported on the message (`gap`), as conflation skips quotes by design.
The server's WebSocket pings are answered by the `websockets` library.
"""

from __future__ import annotations

import asyncio
import json
import random as random_module
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trading_client.auth import JWTAuth, _SignedAuth
from trading_client.errors import ConfigurationError, TradingError
from trading_client.models._base import Model, parse_list
from trading_client.models.analytics import Signal
from trading_client.models.backtests import Operation
from trading_client.models.deployments import Deployment
from trading_client.models.market import Quote
from trading_client.models.orders import Fill, Order
from trading_client.models.portfolio import Balance, Position

if TYPE_CHECKING:
    from trading_client.client import AsyncClient

ACCOUNT_CHANNELS = frozenset(
    {"orders", "fills", "positions", "balances", "portfolio", "risk", "operations", "signals",
     "deployments"}
)  # fmt: skip
# The model of each account channel's objects, under the key its snapshot lists them by.
ACCOUNT_MODELS: dict[str, type[Model]] = {
    "orders": Order,
    "fills": Fill,
    "positions": Position,
    "balances": Balance,
    "operations": Operation,
    "deployments": Deployment,
    "signals": Signal,
}
MARKET_MODELS: dict[str, type[Model]] = {"quotes": Quote}
# Close codes after which reconnecting helps; 4401 (bad or revoked credential) is final.
RETRY_CLOSE_CODES = frozenset({1001, 1006, 1011, 1012, 1013, 4408, 4503})


class StreamError(TradingError):
    """The server refused the stream for good (a bad credential, a refused subscription)."""

    def __init__(self, code: str, message: str, *, close_code: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.close_code = close_code


@dataclass(frozen=True)
class Subscription:
    """One channel to follow: market channels take `symbols` (and `interval` for candles),
    account channels take `account` when the credential reaches several."""

    channel: str
    symbols: tuple[str, ...] = ()
    account: int | None = None
    interval: str | None = None

    def subscribe_action(self) -> dict[str, Any]:
        action: dict[str, Any] = {"action": "subscribe", "channel": self.channel}
        if self.symbols:
            action["symbols"] = list(self.symbols)
        if self.account is not None:
            action["account"] = self.account
        if self.interval:
            action["interval"] = self.interval
        return action

    @property
    def is_account(self) -> bool:
        return self.channel in ACCOUNT_CHANNELS


@dataclass(frozen=True)
class StreamMessage:
    """A snapshot or an update. `data` is what the REST API returns for the same object;
    `gap` counts market messages skipped since the previous one of the channel."""

    channel: str
    type: str
    seq: int | None
    data: Any
    event: str | None = None
    symbol: str | None = None
    account: int | None = None
    resync: bool = False
    gap: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def parsed(self) -> Any:
        """`data` as the client's models: an update of an account channel is one model (an
        `Order` on `orders`, a `Fill` on `fills`, ...); a snapshot maps its key to a list of
        them (`{"orders": [Order, ...]}`; `portfolio`: balances and positions); `quotes` give a
        `Quote`. Channels without a model here (`risk`, `trades`, `orderbook`, `candles`) give
        `data` as sent."""
        if self.channel in MARKET_MODELS and isinstance(self.data, dict):
            return MARKET_MODELS[self.channel].from_dict(self.data)
        if self.type == "snapshot" and isinstance(self.data, dict):
            return {
                key: parse_list(ACCOUNT_MODELS[key], value) if key in ACCOUNT_MODELS else value
                for key, value in self.data.items()
            }
        if self.type == "update" and self.channel in ACCOUNT_MODELS:
            return ACCOUNT_MODELS[self.channel].from_dict(self.data)
        return self.data

    @classmethod
    def from_wire(cls, body: dict[str, Any], *, gap: int = 0) -> StreamMessage:
        return cls(
            channel=body["channel"],
            type=body["type"],
            seq=body.get("seq"),
            data=body.get("data"),
            event=body.get("event"),
            symbol=body.get("symbol"),
            account=body.get("account"),
            resync=bool(body.get("resync")),
            gap=gap,
            raw=body,
        )


@dataclass
class Backoff:
    """Full-jitter exponential backoff between reconnects: uniform(0, min(cap, base * 2**n))."""

    base: float = 0.5
    cap: float = 15.0
    max_attempts: int | None = None

    def delay(self, attempt: int, random: Callable[[], float]) -> float:
        return random() * min(self.cap, self.base * 2 ** max(0, attempt - 1))


def _ws_url(api_root: str) -> str:
    root = api_root.removesuffix("/api/v1")
    return root.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/ws/v1/stream"


class Stream:
    """Follows `subscriptions` for as long as it is iterated; see the module docstring."""

    def __init__(
        self,
        client: AsyncClient,
        subscriptions: list[Subscription],
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
        open_timeout: float = 10.0,
    ) -> None:
        if not subscriptions:
            raise ConfigurationError("a stream needs at least one subscription")
        self.client = client
        self.subscriptions = list(subscriptions)
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.random = random
        self.open_timeout = open_timeout
        # The last seq yielded per account stream (channel, account), and per market channel.
        self.last_seq: dict[tuple[str, int | None], int] = {}
        self._market_seq: dict[str, int] = {}
        self.connections = 0
        self.reconnects = 0
        self._socket: Any = None

    async def _authenticate_action(self) -> dict[str, Any]:
        auth = self.client.auth
        if isinstance(auth, JWTAuth):
            transport = self.client._transport
            if auth.needs_token():
                await transport._renew(stale_access=auth.access_token)
            return {"action": "authenticate", "token": auth.access_token}
        if isinstance(auth, _SignedAuth):
            return auth.websocket_authenticate()
        raise ConfigurationError(
            "the stream authenticates with a JWT or a signed (HMAC or Ed25519) API key"
        )

    async def _open(self) -> Any:
        from websockets.asyncio.client import connect

        socket = await connect(
            _ws_url(self.client._transport.options.api_root),
            open_timeout=self.open_timeout,
            max_size=2**22,
        )
        await socket.send(json.dumps(await self._authenticate_action()))
        reply = json.loads(await socket.recv())
        if reply.get("type") != "authenticated":
            await socket.close()
            raise StreamError(reply.get("code", "AUTHENTICATION_FAILED"), reply.get("message", ""))
        for subscription in self.subscriptions:
            await socket.send(json.dumps(self._join_action(subscription)))
        self._market_seq.clear()
        self.connections += 1
        return socket

    def _join_action(self, subscription: Subscription) -> dict[str, Any]:
        key = (subscription.channel, subscription.account)
        if subscription.is_account and key in self.last_seq:
            action: dict[str, Any] = {
                "action": "resume",
                "channel": subscription.channel,
                "since_seq": self.last_seq[key],
            }
            if subscription.account is not None:
                action["account"] = subscription.account
            return action
        return subscription.subscribe_action()

    def _accept(self, body: dict[str, Any]) -> StreamMessage | None:
        """Return the message to yield, or None for one already yielded (or not data)."""
        kind = body.get("type")
        if kind == "error":
            code = body.get("code", "ERROR")
            if code in ("TOO_SLOW", "UNAVAILABLE"):
                return None  # the close that follows (4408, 4503) makes the stream resume
            raise StreamError(code, body.get("message", ""))
        if kind not in ("snapshot", "update") or "channel" not in body:
            return None  # subscribed / resumed / pong acknowledgements
        channel, seq = body["channel"], body.get("seq")
        if channel in ACCOUNT_CHANNELS:
            key = (channel, self._account_key(channel, body.get("account")))
            last = self.last_seq.get(key)
            if kind == "update" and last is not None and seq is not None and seq <= last:
                return None  # restated after a resume: already yielded
            if seq is not None:
                self.last_seq[key] = seq
            return StreamMessage.from_wire(body)
        gap = 0
        if seq is not None:
            previous = self._market_seq.get(channel)
            gap = 0 if previous is None else max(0, seq - previous - 1)
            self._market_seq[channel] = seq
        return StreamMessage.from_wire(body, gap=gap)

    def _account_key(self, channel: str, account: int | None) -> int | None:
        # Keyed as the subscription names it, so a resume finds the seq it saw.
        for subscription in self.subscriptions:
            if subscription.channel == channel:
                return subscription.account
        return account

    async def __aiter__(self) -> AsyncIterator[StreamMessage]:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        attempt = 0
        while True:
            try:
                self._socket = await self._open()
                attempt = 0
                try:
                    async for raw in self._socket:
                        message = self._accept(json.loads(raw))
                        if message is not None:
                            yield message
                except GeneratorExit:
                    await self._socket.close()  # the caller stopped iterating
                    raise
                raise ConnectionClosed(None, None)  # the server ended the socket cleanly
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
                if code not in RETRY_CLOSE_CODES:
                    reason = closed.rcvd.reason if closed.rcvd else ""
                    raise StreamError(
                        "CLOSED", reason or f"closed {code}", close_code=code
                    ) from None
            except (OSError, InvalidHandshake, TimeoutError):
                pass  # the server is away: back off and try again
            attempt += 1
            self.reconnects += 1
            if self.backoff.max_attempts is not None and attempt > self.backoff.max_attempts:
                raise StreamError("UNAVAILABLE", f"gave up after {attempt - 1} reconnects")
            await self.sleep(self.backoff.delay(attempt, self.random))

    async def drop(self) -> None:
        """Close the current socket abruptly, as a network failure would (for tests and tools)."""
        if self._socket is not None:
            self._socket.transport.abort()

    async def aclose(self) -> None:
        if self._socket is not None:
            await self._socket.close()
