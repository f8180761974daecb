"""The one WebSocket endpoint, /ws/v1/stream: JSON actions in, typed messages out."""

import asyncio
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from redis.exceptions import RedisError
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from access.credentials import api_key_verify_signature, websocket_message
from access.enums import Scope
from access.errors import CredentialRejected
from access.selectors import account_ids_for, scopes_for
from kernel.api.parsers import json_loads
from kernel.api.renderers import json_dumps
from kernel.publish import account_group, credential_group
from kernel.streamlog import Replay, stream_log
from marketdata.enums import INTERVAL_SECONDS
from marketdata.keys import MARKET_CHANNELS, market_group
from streams.backpressure import transport_writable
from streams.hub import hub_get
from streams.snapshots import ACCOUNT_SNAPSHOTS, account_snapshot, market_snapshot, symbols_known

logger = logging.getLogger(__name__)


# WebSocket close codes (documented in docs/streaming.md).
CLOSE_NOT_AUTHENTICATED = 4401  # authentication missing, failed, or the credential was revoked
CLOSE_TOO_SLOW = 4408  # the socket's queue of account events passed its bound: resume
CLOSE_TRY_AGAIN_LATER = 4503  # the event transport (Redis) is unreachable: resume later

ACCOUNT_CHANNELS = tuple(ACCOUNT_SNAPSHOTS)
# Market channels whose pending update is replaced by the next one for a slow client.
CONFLATED_CHANNELS = frozenset({"quotes", "orderbook"})
DEFAULT_CANDLE_INTERVAL = "1m"
# Transport failures that mean "the channel layer / Redis is unreachable".
_TRANSPORT_ERRORS = (RedisError, ConnectionError, OSError, TimeoutError)


def _jwt_principal(token: str):
    """(user, validated token) for a JWT access token; raises InvalidToken/TokenError."""
    authenticator = JWTAuthentication()
    validated = authenticator.get_validated_token(token.encode())
    return authenticator.get_user(validated), validated


class StreamError(Exception):
    """A client mistake answered with `{"type": "error", code, message}`; the socket stays."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class AccountSubscription:
    """One account stream on this socket: the last seq sent and what waits behind a gap."""

    channel: str
    account_id: int
    last_seq: int = 0
    is_live: bool = False
    waiting: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def group(self) -> str:
        return account_group(self.account_id, self.channel)


class StreamConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches each client message on its `action` to an `action_<name>` handler.

    A socket must authenticate first (JWT access token, or a signed API key); until then only
    `authenticate` and `ping` are served, and after `auth_timeout_s` it is closed with 4401.
    `timer` is the clock (seconds) used to check signed timestamps.

    Events reach the socket through the process's hub (streams.hub), which calls `hub_deliver`
    synchronously; they wait in the socket's outbox and one writer task sends them in order.
    """

    auth_timeout_s: float = 5.0
    # No channel of its own in the layer: events come through the process's hub, so a socket
    # costs the layer nothing, and an unreachable layer cannot fail the handshake.
    channel_layer_alias = "streams.no-layer"
    unauthenticated_actions = frozenset({"authenticate", "ping"})
    timer = staticmethod(time.time)

    async def connect(self) -> None:
        self.scope["user"] = AnonymousUser()
        self.scope["api_key"] = None
        self.authenticated = False
        self.is_closing = False
        self.account_ids: list[int] = []
        self.scopes: frozenset[str] = frozenset()
        self.groups_joined: set[str] = set()
        # Market: (channel, symbol) -> candle interval (None for the other channels).
        self.market_subscriptions: dict[tuple[str, str], str | None] = {}
        self.market_seq: dict[str, int] = {}
        self.account_subscriptions: dict[tuple[str, int], AccountSubscription] = {}
        self.account_outbox: deque[dict[str, Any]] = deque()
        self.market_outbox: deque[dict[str, Any]] = deque()
        self.conflated: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self.wakeup = asyncio.Event()
        self._tasks: set[asyncio.Future] = set()
        self.queue_limit = settings.STREAM_QUEUE_LIMIT
        self.market_queue_limit = settings.STREAM_MARKET_QUEUE_LIMIT
        self.hub = hub_get()
        await self.accept()
        # Set while the client's socket takes more (daphne); None where `send` itself waits.
        self.writable = transport_writable(
            self.base_send,
            send_buffer_bytes=settings.STREAM_SEND_BUFFER_BYTES,
            close_timeout_s=settings.STREAM_CLOSE_TIMEOUT_S,
        )
        self._writer = asyncio.ensure_future(self._write_loop())
        self._auth_deadline = asyncio.ensure_future(self._close_if_unauthenticated())

    async def disconnect(self, code) -> None:
        self.is_closing = True
        for task in (getattr(self, "_auth_deadline", None), getattr(self, "_writer", None)):
            if task is not None:
                task.cancel()
        hub = getattr(self, "hub", None)
        if hub is not None:
            for group in list(self.groups_joined):
                await hub.leave(group, self)
            self.groups_joined.clear()

    async def _close_if_unauthenticated(self) -> None:
        await asyncio.sleep(self.auth_timeout_s)
        if not self.authenticated:
            await self.send_error("NOT_AUTHENTICATED", "Authenticate within the time allowed")
            await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def _shut(self, code: int, error_code: str, message: str) -> None:
        """Send a last error and close with `code`; nothing more is sent after it."""
        if self.is_closing:
            return
        self.is_closing = True
        self._writer.cancel()
        await self.send_error(error_code, message)
        await self.close(code=code)

    # --- client messages ------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        raw = text_data if text_data is not None else bytes_data
        if raw is not None and len(raw) > settings.STREAM_MAX_FRAME_BYTES:
            await self.send_error(
                "FRAME_TOO_LARGE", f"Frames are limited to {settings.STREAM_MAX_FRAME_BYTES} bytes"
            )
            return
        try:
            content = await self.decode_json(raw)
        except ValueError:
            await self.send_error("MALFORMED_MESSAGE", "Messages must be JSON objects")
            return
        if not isinstance(content, dict):
            await self.send_error("MALFORMED_MESSAGE", "Messages must be JSON objects")
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        action = content.get("action")
        if not self.authenticated and action not in self.unauthenticated_actions:
            await self.send_error("NOT_AUTHENTICATED", "Authenticate first")
            return
        handler = getattr(self, f"action_{action}", None) if isinstance(action, str) else None
        if handler is None:
            await self.send_error("UNKNOWN_ACTION", f"Unknown action {action!r}")
            return
        try:
            await handler(content)
        except StreamError as error:
            await self.send_error(error.code, error.message)
        except _TRANSPORT_ERRORS:
            logger.exception("stream transport unreachable during %s", action)
            await self._shut(
                CLOSE_TRY_AGAIN_LATER, "UNAVAILABLE", "Streaming is unavailable: resume later"
            )

    async def action_authenticate(self, content: dict) -> None:
        if self.authenticated:
            await self.send_error("ALREADY_AUTHENTICATED", "This socket is authenticated")
            return
        try:
            if content.get("token"):
                user, credential = await sync_to_async(_jwt_principal)(str(content["token"]))
                api_key = None
            elif content.get("api_key"):
                timestamp = str(content.get("timestamp", ""))
                api_key = await sync_to_async(api_key_verify_signature)(
                    key_id=str(content["api_key"]),
                    timestamp=timestamp,
                    signature=str(content.get("signature", "")),
                    message=websocket_message(timestamp=timestamp),
                    client_ip=(self.scope.get("client") or [None])[0],
                    now_ms=int(self.timer() * 1000),
                )
                user, credential = api_key.user, api_key
            else:
                raise CredentialRejected("Send `token`, or `api_key`, `timestamp`, `signature`")
        except CredentialRejected as error:
            await self._refuse(error.code, error.message)
            return
        except (InvalidToken, TokenError):
            await self._refuse("AUTHENTICATION_FAILED", "Invalid or expired token")
            return
        self.scope["user"], self.scope["api_key"] = user, api_key
        self.account_ids, self.scopes = await sync_to_async(self._access_load)()
        # Revoking the key, or logging out the user, closes this socket (access.services).
        if api_key is not None:
            await self._join(credential_group("key", api_key.key_id))
        else:
            await self._join(credential_group("user", user.pk))
        self.authenticated = True
        await self.send_json(
            {
                "type": "authenticated",
                "user": user.get_username(),
                "credential": "api_key" if api_key is not None else "jwt",
                "key_id": getattr(credential, "key_id", None),
                "scopes": sorted(self.scopes),
                "accounts": self.account_ids,
            }
        )

    def _access_load(self) -> tuple[list[int], frozenset[str]]:
        """Accounts the socket may follow and the scopes it holds, fixed at authentication."""
        return list(account_ids_for(self.scope)), scopes_for(self.scope)

    async def _refuse(self, code: str, message: str) -> None:
        await self.send_error(code, message)
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def action_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    async def action_subscribe(self, content: dict) -> None:
        channel = self._channel(content)
        if channel in ACCOUNT_CHANNELS:
            await self._account_start(channel, self._account(content), since_seq=None)
        else:
            await self._market_subscribe(channel, content)

    async def action_resume(self, content: dict) -> None:
        channel = self._channel(content)
        if channel not in ACCOUNT_CHANNELS:
            raise StreamError("INVALID_CHANNEL", "Only account channels resume; resubscribe")
        since = content.get("since_seq")
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            raise StreamError("MALFORMED_MESSAGE", "`since_seq` must be a non-negative integer")
        await self._account_start(channel, self._account(content), since_seq=since)

    async def action_unsubscribe(self, content: dict) -> None:
        channel = self._channel(content)
        if channel in ACCOUNT_CHANNELS:
            account_id = self._account(content)
            subscription = self.account_subscriptions.pop((channel, account_id), None)
            if subscription is None:
                raise StreamError("NOT_SUBSCRIBED", f"Not subscribed to {channel}")
            await self._leave(subscription.group)
            await self.send_json(
                {"type": "unsubscribed", "channel": channel, "account": account_id}
            )
            return
        symbols = self._symbols(content)
        for symbol in symbols:
            if self.market_subscriptions.pop((channel, symbol), "absent") != "absent":
                await self._leave(market_group(channel, symbol))
            self.conflated.pop((channel, symbol), None)
        await self.send_json(
            {
                "type": "unsubscribed",
                "channel": channel,
                "symbols": symbols,
                "seq": self.market_seq.get(channel, 0),
            }
        )

    # --- validation -----------------------------------------------------------------------
    def _channel(self, content: dict) -> str:
        channel = content.get("channel")
        if channel not in MARKET_CHANNELS and channel not in ACCOUNT_CHANNELS:
            raise StreamError("UNKNOWN_CHANNEL", f"Unknown channel {channel!r}")
        return str(channel)

    def _account(self, content: dict) -> int:
        if Scope.READ not in self.scopes:
            raise StreamError("INSUFFICIENT_SCOPE", "Account channels need the read scope")
        account = content.get("account")
        if account is None:
            if len(self.account_ids) != 1:
                raise StreamError(
                    "ACCOUNT_REQUIRED", "Name the account: this credential reaches several"
                )
            return self.account_ids[0]
        if not isinstance(account, int) or account not in self.account_ids:
            raise StreamError("ACCOUNT_NOT_FOUND", f"Account {account!r} not found")
        return account

    def _symbols(self, content: dict) -> list[str]:
        symbols = content.get("symbols")
        if (
            not isinstance(symbols, list)
            or not symbols
            or not all(isinstance(s, str) and s for s in symbols)
        ):
            raise StreamError("MALFORMED_MESSAGE", "`symbols` must be a non-empty list of symbols")
        return list(dict.fromkeys(s.upper() for s in symbols))

    # --- market channels ------------------------------------------------------------------
    async def _market_subscribe(self, channel: str, content: dict) -> None:
        symbols = self._symbols(content)
        interval = None
        if channel == "candles":
            interval = content.get("interval", DEFAULT_CANDLE_INTERVAL)
            if interval not in INTERVAL_SECONDS:
                raise StreamError(
                    "INVALID_INTERVAL", f"`interval` must be one of {', '.join(INTERVAL_SECONDS)}"
                )
        known = set(await sync_to_async(symbols_known)(symbols))
        unknown = [symbol for symbol in symbols if symbol not in known]
        if unknown:
            raise StreamError("UNKNOWN_SYMBOL", f"Symbol {unknown[0]} not found")
        for symbol in symbols:
            await self._join(market_group(channel, symbol))
            self.market_subscriptions[(channel, symbol)] = interval
        await self.send_json(
            {
                "type": "subscribed",
                "channel": channel,
                "symbols": symbols,
                **({"interval": interval} if interval else {}),
                "seq": self.market_seq.get(channel, 0),
            }
        )
        for symbol in symbols:
            data = await sync_to_async(market_snapshot)(
                channel=channel, symbol=symbol, interval=interval or DEFAULT_CANDLE_INTERVAL
            )
            if data is not None:
                # In the ordered queue: it precedes every update of the symbol.
                self.market_outbox.append(self._market_message(channel, symbol, "snapshot", data))
                self.wakeup.set()

    def _market_message(self, channel: str, symbol: str, kind: str, data: dict) -> dict:
        seq = self.market_seq.get(channel, 0) + 1
        self.market_seq[channel] = seq
        return {"channel": channel, "symbol": symbol, "seq": seq, "type": kind, "data": data}

    def _market_deliver(self, message: dict[str, Any]) -> None:
        channel, symbol = message.get("channel"), message.get("symbol")
        key = (str(channel), str(symbol))
        if key not in self.market_subscriptions:
            return
        interval = self.market_subscriptions[key]
        data = message["data"]
        if interval is not None and data.get("interval") != interval:
            return
        outgoing = self._market_message(key[0], key[1], "update", data)
        if key[0] in CONFLATED_CHANNELS:
            # A pending one is replaced: the client gets the latest, and the seq shows the skip.
            self.conflated.pop(key, None)
            self.conflated[key] = outgoing
        else:
            self.market_outbox.append(outgoing)
            while len(self.market_outbox) > self.market_queue_limit:
                self.market_outbox.popleft()
        self.wakeup.set()

    # --- account channels -----------------------------------------------------------------
    async def _account_start(self, channel: str, account_id: int, *, since_seq: int | None):
        """Subscribe (snapshot then updates) or resume (the missed events, else a resync)."""
        key = (channel, account_id)
        previous = self.account_subscriptions.get(key)
        subscription = AccountSubscription(channel=channel, account_id=account_id)
        self.account_subscriptions[key] = subscription
        if previous is None:
            # Joined before the snapshot or the replay is read: what happens meanwhile waits.
            await self._join(subscription.group)
        if since_seq is None:
            seq = await self._account_snapshot(subscription, resync=False, announce=True)
        else:
            replay: Replay = await sync_to_async(stream_log().replay, thread_sensitive=False)(
                account_id=account_id, stream=channel, since_seq=since_seq
            )
            await self.send_json(
                {"type": "resumed", "channel": channel, "account": account_id, "seq": since_seq}
            )
            if replay.complete:
                subscription.last_seq = since_seq
                for event_seq, event in replay.events:
                    self._account_enqueue(subscription, event_seq, event, is_replay=True)
                seq = subscription.last_seq
            else:
                seq = await self._account_snapshot(subscription, resync=True, announce=False)
        subscription.last_seq = seq
        subscription.is_live = True
        self._account_drain(subscription)

    async def _account_snapshot(
        self, subscription: AccountSubscription, *, resync: bool, announce: bool
    ) -> int:
        """Queue the channel's snapshot; return its seq (every event up to it is reflected).

        The seq is read before the state, so an event can be both in the snapshot and after
        it; every payload is a whole resource keyed by its id, so applying it again is harmless.
        """
        log = stream_log()
        seq = await sync_to_async(log.current_seq, thread_sensitive=False)(
            account_id=subscription.account_id, stream=subscription.channel
        )
        data = await sync_to_async(account_snapshot)(
            channel=subscription.channel, account_id=subscription.account_id
        )
        if announce:
            await self.send_json(
                {
                    "type": "subscribed",
                    "channel": subscription.channel,
                    "account": subscription.account_id,
                    "seq": seq,
                }
            )
        message = {
            "channel": subscription.channel,
            "account": subscription.account_id,
            "seq": seq,
            "type": "snapshot",
            "data": data,
        }
        if resync:
            message["resync"] = True
        self._account_queue(message)
        return seq

    def _account_deliver(self, message: dict[str, Any]) -> None:
        subscription = self.account_subscriptions.get(
            (str(message.get("stream")), int(message.get("account", 0)))
        )
        if subscription is None:
            return
        event = {"event": message["event"], "data": message["data"]}
        subscription.waiting.append((int(message["seq"]), event))
        if subscription.is_live:
            self._account_drain(subscription)

    def _account_drain(self, subscription: AccountSubscription) -> None:
        """Send what waits in seq order; a gap is filled from the replay window first."""
        waiting = sorted(subscription.waiting, key=lambda item: item[0])
        subscription.waiting = []
        for index, (seq, event) in enumerate(waiting):
            if seq <= subscription.last_seq:
                continue  # already sent (a replay, or a snapshot's own seq)
            if seq > subscription.last_seq + 1:
                # Out of order, or lost on the way: fetch the missing ones, then carry on.
                subscription.waiting = waiting[index:]
                subscription.is_live = False
                self._spawn(self._account_fill_gap(subscription))
                return
            self._account_enqueue(subscription, seq, event)

    async def _account_fill_gap(self, subscription: AccountSubscription) -> None:
        try:
            replay = await sync_to_async(stream_log().replay, thread_sensitive=False)(
                account_id=subscription.account_id,
                stream=subscription.channel,
                since_seq=subscription.last_seq,
            )
            if replay.complete:
                for seq, event in replay.events:
                    self._account_enqueue(subscription, seq, event, is_replay=True)
            else:
                subscription.last_seq = await self._account_snapshot(
                    subscription, resync=True, announce=False
                )
        except _TRANSPORT_ERRORS:
            await self._shut(
                CLOSE_TRY_AGAIN_LATER, "UNAVAILABLE", "Streaming is unavailable: resume later"
            )
            return
        if (
            self.account_subscriptions.get((subscription.channel, subscription.account_id))
            is not subscription
        ):
            return
        subscription.is_live = True
        self._account_drain(subscription)

    def _account_enqueue(
        self, subscription: AccountSubscription, seq: int, event: dict, *, is_replay=False
    ) -> None:
        subscription.last_seq = seq
        self._account_queue(
            {
                "channel": subscription.channel,
                "account": subscription.account_id,
                "seq": seq,
                "type": "update",
                "event": event["event"],
                "data": event["data"],
            },
            is_bounded=not is_replay,
        )

    def _account_queue(self, message: dict[str, Any], *, is_bounded: bool = True) -> None:
        """Queue an account message; past the bound, close with 4408 (the client resumes).

        A replay is not bounded here: the replay window bounds it already.
        """
        if self.is_closing:
            return
        if is_bounded and len(self.account_outbox) >= self.queue_limit:
            self._spawn(
                self._shut(
                    CLOSE_TOO_SLOW,
                    "TOO_SLOW",
                    "Too many events waiting for this socket: reconnect and resume",
                )
            )
            return
        self.account_outbox.append(message)
        self.wakeup.set()

    # --- delivery -------------------------------------------------------------------------
    def _spawn(self, coroutine) -> None:
        """Run `coroutine` beside the socket's handlers, keeping a reference until it ends."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.hub.join(group, self)
            self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        if group in self.groups_joined:
            self.groups_joined.discard(group)
            await self.hub.leave(group, self)

    def hub_deliver(self, message: dict[str, Any]) -> None:
        """Called by the hub, on the loop, for every message of a group this socket joined."""
        if self.is_closing:
            return
        kind = message.get("type")
        if kind == "account.event":
            self._account_deliver(message)
        elif kind == "credential.revoked":
            self._spawn(
                self._shut(CLOSE_NOT_AUTHENTICATED, "CREDENTIAL_REVOKED", "Credential revoked")
            )
        elif isinstance(kind, str) and kind.startswith("md."):
            self._market_deliver(message)

    def hub_lost(self) -> None:
        """The hub lost the channel layer: tell the client to come back later and resume."""
        self.groups_joined.clear()
        self._spawn(
            self._shut(
                CLOSE_TRY_AGAIN_LATER, "UNAVAILABLE", "Streaming is unavailable: resume later"
            )
        )

    async def _write_loop(self) -> None:
        """Send queued messages in order: account events, then market updates, then conflated."""
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.account_outbox or self.market_outbox or self.conflated:
                if self.account_outbox:
                    message = self.account_outbox.popleft()
                elif self.market_outbox:
                    message = self.market_outbox.popleft()
                else:
                    _, message = self.conflated.popitem(last=False)
                await self.send_json(message)
                if self.writable is not None and not self.writable.is_set():
                    # The client is behind: what arrives meanwhile queues (account events,
                    # up to the bound) or replaces what is pending (quotes, books).
                    await self.writable.wait()

    async def send_error(self, code: str, message: str) -> None:
        """Send an error message; the socket stays open."""
        await self.send_json({"type": "error", "code": code, "message": message})

    @classmethod
    async def decode_json(cls, text_data):
        return json_loads(text_data)

    @classmethod
    async def encode_json(cls, content) -> str:
        return json_dumps(content).decode()
