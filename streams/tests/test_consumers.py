"""The stream consumer through Channels' WebsocketCommunicator: every action, channel and error."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from access.credentials import websocket_message
from access.services import api_key_revoke, auth_logout, membership_add
from access.tests.helpers import hmac_sign, key_make, now_ms
from kernel.streamlog import stream_log_reset
from marketdata.feed import MarketDataFeed
from orders.services import order_submit
from orders.tests.helpers import fill
from risk.events import risk_event_publish
from streams import hub as hub_module
from streams.consumers import (
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_TOO_SLOW,
    CLOSE_TRY_AGAIN_LATER,
    StreamConsumer,
)
from streams.origin import StreamOriginValidator

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, 10, tzinfo=UTC)
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_streams():
    """Each test has its own channel layer, hub and replay window."""
    channel_layers.backends.clear()
    hub_module._hubs.clear()
    stream_log_reset()
    yield
    hub_module._hubs.clear()
    stream_log_reset()


class Gate:
    """The ASGI server's side of a slow client: sends wait until the gate opens."""

    def __init__(self):
        self.open = asyncio.Event()
        self.open.set()

    def wrap(self, app):
        async def gated(scope, receive, send):
            async def slow_send(message):
                if message["type"] == "websocket.send":
                    await self.open.wait()
                await send(message)

            return await app(scope, receive, slow_send)

        return gated


async def connect(app=None, headers=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        app or StreamConsumer.as_asgi(), "/ws/v1/stream", headers=headers
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def authenticated(user, app=None) -> WebsocketCommunicator:
    token = await sync_to_async(lambda: str(AccessToken.for_user(user)))()
    communicator = await connect(app)
    await communicator.send_json_to({"action": "authenticate", "token": token})
    reply = await communicator.receive_json_from()
    assert reply["type"] == "authenticated", reply
    return communicator


async def key_authenticated(api_key, secret) -> WebsocketCommunicator:
    communicator = await connect()
    timestamp = str(now_ms())
    await communicator.send_json_to(
        {
            "action": "authenticate",
            "api_key": api_key.key_id,
            "timestamp": timestamp,
            "signature": hmac_sign(secret, websocket_message(timestamp=timestamp)),
        }
    )
    reply = await communicator.receive_json_from()
    assert reply["type"] == "authenticated", reply
    return communicator


async def receive(communicator, timeout=5) -> dict:
    return await communicator.receive_json_from(timeout=timeout)


async def receive_many(communicator, count: int) -> list[dict]:
    return [await receive(communicator) for _ in range(count)]


async def closed_with(communicator) -> int:
    while True:
        message = await communicator.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            return message["code"]


async def until(predicate, timeout=5.0) -> None:
    """Wait for `predicate` to hold, checking at every turn of the loop; fail after timeout."""

    async def poll():
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def still_open(communicator) -> None:
    await communicator.send_json_to({"action": "ping"})
    assert await receive(communicator) == {"type": "pong"}


def publish_risk(account_id: int, count: int, *, start: int = 1) -> None:
    """Commit `count` risk events of the account, numbered in their data."""
    for n in range(start, start + count):
        with transaction.atomic():
            risk_event_publish(account_id=account_id, event="risk.changed", data={"n": n})


def publish_risk_unwrapped(account_id: int, count: int, *, start: int = 1) -> None:
    """Publish `count` risk events outside a transaction (each goes out at once, as a commit hook
    does in autocommit). For racing threads: the embedded suite's shared-cache SQLite refuses a
    second connection's transaction at once instead of waiting for the first."""
    for n in range(start, start + count):
        risk_event_publish(account_id=account_id, event="risk.changed", data={"n": n})


async def feed_started() -> MarketDataFeed:
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5)
    await feed.start()
    return feed


# --- actions -------------------------------------------------------------------------------
async def test_ping_answers_pong_before_authentication():
    communicator = await connect()
    await still_open(communicator)
    await communicator.disconnect()


async def test_a_second_authenticate_is_an_error_and_the_socket_stays(trader):
    communicator = await authenticated(trader)
    token = await sync_to_async(lambda: str(AccessToken.for_user(trader)))()

    # when the authenticated socket authenticates again
    await communicator.send_json_to({"action": "authenticate", "token": token})

    # then it is told so, and stays open and authenticated
    error = await receive(communicator)
    assert (error["type"], error["code"]) == ("error", "ALREADY_AUTHENTICATED")
    await communicator.send_json_to({"action": "subscribe", "channel": "orders"})
    assert (await receive(communicator))["type"] == "subscribed"
    await communicator.disconnect()


async def test_api_key_authenticates_and_is_told_its_scopes(trader, account):
    api_key, secret = await sync_to_async(key_make)(user=trader, account=account, scheme="hmac")
    communicator = await key_authenticated(api_key, secret)
    await still_open(communicator)
    await communicator.disconnect()


# --- market channels -----------------------------------------------------------------------
async def test_quotes_subscribe_gives_a_snapshot_then_updates_with_a_rising_seq(trader, aapl):
    feed = await feed_started()
    communicator = await authenticated(trader)

    await communicator.send_json_to(
        {"action": "subscribe", "channel": "quotes", "symbols": ["aapl"]}
    )
    subscribed, snapshot = await receive_many(communicator, 2)
    await feed.step(now=T0)
    update = await receive(communicator)

    assert subscribed == {"type": "subscribed", "channel": "quotes", "symbols": ["AAPL"], "seq": 0}
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 1
    assert D(snapshot["data"]["bid"]) == D("99.90")
    assert D(snapshot["data"]["ask"]) == D("100.10")
    assert update["type"] == "update"
    assert update["seq"] == 2
    assert update["channel"] == "quotes"
    assert update["symbol"] == "AAPL"
    assert isinstance(update["data"]["bid"], str)
    Decimal(update["data"]["bid"])  # a decimal string, never a float
    await communicator.disconnect()


@pytest.mark.parametrize("channel", ["trades", "orderbook"])
async def test_trades_and_orderbook_updates_arrive(trader, aapl, channel):
    feed = await feed_started()
    communicator = await authenticated(trader)
    await communicator.send_json_to(
        {"action": "subscribe", "channel": channel, "symbols": ["AAPL"]}
    )
    assert (await receive(communicator))["type"] == "subscribed"

    await feed.step(now=T0)
    messages = [await receive(communicator)]
    while messages[-1]["type"] != "update":
        messages.append(await receive(communicator))

    updates = [m for m in messages if m["type"] == "update"]
    assert updates[-1]["channel"] == channel
    if channel == "orderbook":
        assert updates[-1]["data"]["bids"]
        assert isinstance(updates[-1]["data"]["bids"][0]["price"], str)
    else:
        assert isinstance(updates[-1]["data"]["price"], str)
    await communicator.disconnect()


async def test_candles_follow_the_interval_asked_for(trader, aapl):
    feed = await feed_started()
    communicator = await authenticated(trader)
    await communicator.send_json_to(
        {"action": "subscribe", "channel": "candles", "symbols": ["AAPL"], "interval": "1m"}
    )
    subscribed = await receive(communicator)
    await feed.step(now=T0)
    update = await receive(communicator)

    assert subscribed["interval"] == "1m"
    assert update["type"] == "update"
    assert update["data"]["interval"] == "1m"
    assert isinstance(update["data"]["close"], str)
    await communicator.disconnect()


async def test_unsubscribe_stops_market_updates(trader, aapl, msft):
    feed = await feed_started()
    communicator = await authenticated(trader)
    for symbol in ("AAPL", "MSFT"):
        await communicator.send_json_to(
            {"action": "subscribe", "channel": "quotes", "symbols": [symbol]}
        )
        await receive_many(communicator, 2)  # subscribed, snapshot

    await communicator.send_json_to(
        {"action": "unsubscribe", "channel": "quotes", "symbols": ["AAPL"]}
    )
    unsubscribed = await receive(communicator)
    await feed.step(now=T0)
    update = await receive(communicator)

    assert unsubscribed["type"] == "unsubscribed"
    assert unsubscribed["symbols"] == ["AAPL"]
    assert update["symbol"] == "MSFT"
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


# --- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"action": "subscribe", "channel": "gossip", "symbols": ["AAPL"]}, "UNKNOWN_CHANNEL"),
        ({"action": "subscribe", "channel": "quotes", "symbols": ["NOPE"]}, "UNKNOWN_SYMBOL"),
        ({"action": "subscribe", "channel": "quotes"}, "MALFORMED_MESSAGE"),
        (
            {"action": "subscribe", "channel": "candles", "symbols": ["AAPL"], "interval": "7m"},
            "INVALID_INTERVAL",
        ),
        ({"action": "resume", "channel": "quotes", "since_seq": 1}, "INVALID_CHANNEL"),
        ({"action": "resume", "channel": "orders", "since_seq": "x"}, "MALFORMED_MESSAGE"),
        ({"action": "unsubscribe", "channel": "orders"}, "NOT_SUBSCRIBED"),
        ({"action": "dance"}, "UNKNOWN_ACTION"),
    ],
)
async def test_mistakes_get_an_error_and_the_socket_stays_open(trader, aapl, message, code):
    communicator = await authenticated(trader)
    await communicator.send_json_to(message)
    error = await receive(communicator)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    await still_open(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("frame", ["{not json", "[1, 2]", "42"])
async def test_malformed_frames_get_an_error(trader, frame):
    communicator = await authenticated(trader)
    await communicator.send_to(text_data=frame)
    assert (await receive(communicator))["code"] == "MALFORMED_MESSAGE"
    await still_open(communicator)
    await communicator.disconnect()


async def test_an_oversized_frame_gets_an_error(trader, settings):
    communicator = await authenticated(trader)
    settings.STREAM_MAX_FRAME_BYTES = 100
    await communicator.send_to(text_data='{"action": "ping", "pad": "' + "x" * 200 + '"}')
    assert (await receive(communicator))["code"] == "FRAME_TOO_LARGE"
    await still_open(communicator)
    await communicator.disconnect()


async def test_account_channels_need_the_read_scope(trader, account):
    api_key, secret = await sync_to_async(key_make)(
        user=trader, account=account, scopes=("trade",), scheme="hmac"
    )
    communicator = await key_authenticated(api_key, secret)
    await communicator.send_json_to({"action": "subscribe", "channel": "orders"})
    assert (await receive(communicator))["code"] == "INSUFFICIENT_SCOPE"
    await still_open(communicator)
    await communicator.disconnect()


async def test_a_user_of_several_accounts_names_the_account(trader, account, other_account):
    await sync_to_async(membership_add)(user=trader, account=other_account)
    communicator = await authenticated(trader)

    await communicator.send_json_to({"action": "subscribe", "channel": "balances"})
    missing = await receive(communicator)
    await communicator.send_json_to(
        {"action": "subscribe", "channel": "balances", "account": other_account.pk}
    )
    subscribed, snapshot = await receive_many(communicator, 2)

    assert missing["code"] == "ACCOUNT_REQUIRED"
    assert subscribed["account"] == other_account.pk
    assert snapshot["data"]["balances"][0]["total"] == "100000.00" or Decimal(
        snapshot["data"]["balances"][0]["total"]
    ) == Decimal("100000")
    await communicator.disconnect()


async def test_another_accounts_channels_are_not_found(trader, other_account):
    communicator = await authenticated(trader)
    await communicator.send_json_to(
        {"action": "subscribe", "channel": "orders", "account": other_account.pk}
    )
    assert (await receive(communicator))["code"] == "ACCOUNT_NOT_FOUND"
    await communicator.disconnect()


# --- account channels ----------------------------------------------------------------------
async def test_orders_fills_positions_balances_snapshot_then_updates(trader, account, aapl):
    communicator = await authenticated(trader)
    snapshots, starts = {}, {}
    for channel in ("orders", "fills", "positions", "balances"):
        await communicator.send_json_to({"action": "subscribe", "channel": channel})
        subscribed, snapshot = await receive_many(communicator, 2)
        assert subscribed["type"] == "subscribed"
        assert subscribed["account"] == account.pk
        assert snapshot["seq"] == subscribed["seq"]
        snapshots[channel], starts[channel] = snapshot, subscribed["seq"]

    def place_and_fill():
        order = order_submit(
            account=account,
            symbol="AAPL",
            side="buy",
            order_type="limit",
            quantity=D("10"),
            limit_price=D("100.00"),
        )
        fill(order, quantity="10", price="99.50", fee="0.50")

    await sync_to_async(place_and_fill)()
    updates = await receive_many(communicator, 7)  # 3 orders, 1 fill, 1 position, 2 balances

    assert snapshots["orders"]["data"] == {"orders": []}
    assert snapshots["balances"]["type"] == "snapshot"
    by_channel: dict[str, list[dict]] = {}
    for update in updates:
        assert update["type"] == "update"
        assert update["account"] == account.pk
        by_channel.setdefault(update["channel"], []).append(update)
    assert starts["orders"] == 0  # the account's deposit numbered a balance event only
    assert [u["seq"] for u in by_channel["orders"]] == [1, 2, 3]
    assert by_channel["orders"][-1]["event"] == "order.filled"
    assert by_channel["fills"][0]["event"] == "fill.executed"
    assert D(by_channel["fills"][0]["data"]["price"]) == D("99.50")
    assert by_channel["positions"][0]["data"]["quantity"] == "10"
    assert [u["seq"] for u in by_channel["balances"]] == [
        starts["balances"] + 1,
        starts["balances"] + 2,
    ]
    await communicator.disconnect()


@pytest.mark.parametrize("channel", ["portfolio", "risk", "operations", "deployments", "signals"])
async def test_portfolio_risk_and_operations_snapshots(trader, account, channel):
    communicator = await authenticated(trader)
    await communicator.send_json_to({"action": "subscribe", "channel": channel})
    subscribed, snapshot = await receive_many(communicator, 2)
    assert subscribed["type"] == "subscribed"
    assert snapshot["type"] == "snapshot"
    expected_keys = {
        "portfolio": {"balances", "positions"},
        "risk": {"risk", "trading"},
        "operations": {"operations"},
        "deployments": {"deployments"},
        "signals": {"signals"},
    }[channel]
    assert set(snapshot["data"]) == expected_keys
    await communicator.disconnect()


async def test_the_snapshot_seq_is_where_updates_continue(trader, account):
    # given events before the subscription
    await sync_to_async(publish_risk)(account.pk, 3)
    communicator = await authenticated(trader)

    await communicator.send_json_to({"action": "subscribe", "channel": "risk"})
    subscribed, snapshot = await receive_many(communicator, 2)
    await sync_to_async(publish_risk)(account.pk, 1, start=4)
    update = await receive(communicator)

    assert subscribed["seq"] == 3
    assert snapshot["seq"] == 3
    assert update["seq"] == 4
    assert update["data"] == {"n": 4}
    await communicator.disconnect()


async def test_unsubscribe_stops_account_updates(trader, account):
    communicator = await authenticated(trader)
    for channel in ("risk", "operations"):
        await communicator.send_json_to({"action": "subscribe", "channel": channel})
        await receive_many(communicator, 2)

    await communicator.send_json_to({"action": "unsubscribe", "channel": "risk"})
    unsubscribed = await receive(communicator)
    await sync_to_async(publish_risk)(account.pk, 2)
    assert unsubscribed == {"type": "unsubscribed", "channel": "risk", "account": account.pk}
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_resume_replays_exactly_the_missed_events(trader, account):
    # given a socket that saw seq 1..3 and went away
    first = await authenticated(trader)
    await first.send_json_to({"action": "subscribe", "channel": "risk"})
    await receive_many(first, 2)
    await sync_to_async(publish_risk)(account.pk, 3)
    seen = [m["seq"] for m in await receive_many(first, 3)]
    await first.disconnect()
    # while it was away, two more
    await sync_to_async(publish_risk)(account.pk, 2, start=4)

    # when it reconnects and resumes
    second = await authenticated(trader)
    await second.send_json_to({"action": "resume", "channel": "risk", "since_seq": seen[-1]})
    resumed, *missed = await receive_many(second, 3)
    await sync_to_async(publish_risk)(account.pk, 1, start=6)
    live = await receive(second)

    # then exactly 4 and 5, then the live 6: none lost, none doubled
    assert seen == [1, 2, 3]
    assert resumed == {"type": "resumed", "channel": "risk", "account": account.pk, "seq": 3}
    assert [(m["seq"], m["data"]["n"]) for m in missed] == [(4, 4), (5, 5)]
    assert (live["seq"], live["data"]["n"]) == (6, 6)
    assert await second.receive_nothing(timeout=0.2)
    await second.disconnect()


async def test_resume_past_the_window_sends_a_resync_snapshot(trader, account, settings):
    settings.STREAM_REPLAY_WINDOW = 3
    stream_log_reset()
    await sync_to_async(publish_risk)(account.pk, 6)

    communicator = await authenticated(trader)
    await communicator.send_json_to({"action": "resume", "channel": "risk", "since_seq": 1})
    resumed, snapshot = await receive_many(communicator, 2)
    await sync_to_async(publish_risk)(account.pk, 1, start=7)
    update = await receive(communicator)

    assert resumed["type"] == "resumed"
    assert snapshot["type"] == "snapshot"
    assert snapshot["resync"] is True
    assert snapshot["seq"] == 6
    assert update["seq"] == 7
    await communicator.disconnect()


async def test_resume_from_a_seq_never_issued_resyncs(trader, account):
    communicator = await authenticated(trader)
    await communicator.send_json_to({"action": "resume", "channel": "risk", "since_seq": 99})
    _, snapshot = await receive_many(communicator, 2)
    assert snapshot["resync"] is True
    assert snapshot["seq"] == 0
    await communicator.disconnect()


# --- slow consumers ------------------------------------------------------------------------
async def test_a_slow_client_gets_the_latest_quote_not_a_backlog(trader, aapl):
    feed = await feed_started()
    gate = Gate()
    communicator = await authenticated(trader, app=gate.wrap(StreamConsumer.as_asgi()))
    await communicator.send_json_to(
        {"action": "subscribe", "channel": "quotes", "symbols": ["AAPL"]}
    )
    await receive_many(communicator, 2)  # subscribed, snapshot (seq 1)

    # when the client stops reading while five quotes are published
    hub = hub_module.hub_get()
    gate.open.clear()
    ticks = [await feed.step(now=T0 + timedelta(seconds=i)) for i in range(5)]
    await until(lambda: hub.received >= 5)
    gate.open.set()
    quotes = [await receive(communicator)]
    while not await communicator.receive_nothing(timeout=0.3):
        quotes.append(await receive(communicator))

    # then at most the one already in flight and the newest; the seq shows what was skipped
    assert len(quotes) <= 2
    assert quotes[-1]["data"]["bid"] == str(ticks[-1][0].quote.bid)
    assert quotes[-1]["seq"] == 6
    await communicator.disconnect()


async def test_a_slow_client_of_account_events_is_closed_then_resumes_exactly(
    trader, account, settings
):
    settings.STREAM_QUEUE_LIMIT = 3
    gate = Gate()
    communicator = await authenticated(trader, app=gate.wrap(StreamConsumer.as_asgi()))
    await communicator.send_json_to({"action": "subscribe", "channel": "risk"})
    await receive_many(communicator, 2)

    # when six events pile up behind a client that does not read
    hub = hub_module.hub_get()
    gate.open.clear()
    await sync_to_async(publish_risk)(account.pk, 6)
    await until(lambda: hub.received >= 6)
    gate.open.set()
    received = []
    while True:
        message = await communicator.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            code = message["code"]
            break
        received.append(message)

    # then it is closed with 4408, and a resume gets the rest exactly
    assert code == CLOSE_TOO_SLOW
    updates = [json.loads(m["text"]) for m in received]
    seqs = [u["seq"] for u in updates if u.get("type") == "update"]
    assert updates[-1]["code"] == "TOO_SLOW"
    assert seqs == list(range(1, len(seqs) + 1))
    second = await authenticated(trader)
    await second.send_json_to(
        {"action": "resume", "channel": "risk", "since_seq": seqs[-1] if seqs else 0}
    )
    resumed, *rest = await receive_many(second, 1 + 6 - len(seqs))
    assert resumed["type"] == "resumed"
    assert [m["seq"] for m in rest] == list(range(len(seqs) + 1, 7))
    assert [m["data"]["n"] for m in rest] == list(range(len(seqs) + 1, 7))
    await second.disconnect()


# --- credentials, origins, the transport ---------------------------------------------------
async def test_revoking_the_key_closes_its_sockets(trader, account):
    api_key, secret = await sync_to_async(key_make)(user=trader, account=account, scheme="hmac")
    communicator = await key_authenticated(api_key, secret)
    await sync_to_async(api_key_revoke)(api_key=api_key)
    error = await receive(communicator)
    assert error["code"] == "CREDENTIAL_REVOKED"
    assert await closed_with(communicator) == CLOSE_NOT_AUTHENTICATED


async def test_logging_out_closes_the_users_jwt_sockets(trader):
    communicator = await authenticated(trader)
    refresh = await sync_to_async(RefreshToken.for_user)(trader)
    await sync_to_async(auth_logout)(user=trader, refresh_token=refresh)
    assert (await receive(communicator))["code"] == "CREDENTIAL_REVOKED"
    assert await closed_with(communicator) == CLOSE_NOT_AUTHENTICATED


async def test_a_client_without_origin_is_accepted(trader):
    communicator = await connect(StreamOriginValidator(StreamConsumer.as_asgi()))
    await still_open(communicator)
    await communicator.disconnect()


async def test_a_browser_origin_must_be_allowed(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STREAM_ALLOWED_ORIGINS = ["https://dash.example.com"]
    app = StreamOriginValidator(StreamConsumer.as_asgi())
    for origin, accepted in [
        (b"https://evil.example.net", False),
        (b"https://dash.example.com", True),
        (b"http://testserver", True),
    ]:
        communicator = WebsocketCommunicator(app, "/ws/v1/stream", headers=[(b"origin", origin)])
        connected, _ = await communicator.connect()
        assert connected is accepted, origin
        await communicator.disconnect()


async def test_an_unreachable_transport_closes_with_try_again_later(trader, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0"}]},
        }
    }
    communicator = await connect()
    token = await sync_to_async(lambda: str(AccessToken.for_user(trader)))()
    await communicator.send_json_to({"action": "authenticate", "token": token})
    error = await receive(communicator)
    assert error["code"] == "UNAVAILABLE"
    assert await closed_with(communicator) == CLOSE_TRY_AGAIN_LATER


async def test_events_from_racing_publishers_arrive_once_each_in_order(trader, account):
    communicator = await authenticated(trader)
    await communicator.send_json_to({"action": "subscribe", "channel": "risk"})
    await receive_many(communicator, 2)

    # when two threads publish at once, so deliveries can overtake each other
    outcomes = await asyncio.gather(
        sync_to_async(publish_risk_unwrapped, thread_sensitive=False)(account.pk, 25, start=1),
        sync_to_async(publish_risk_unwrapped, thread_sensitive=False)(account.pk, 25, start=101),
        return_exceptions=True,  # both threads end before the test goes on, whatever happens
    )
    assert outcomes == [None, None]
    updates = await receive_many(communicator, 50)

    # then every seq once, in order, and nothing more
    assert [u["seq"] for u in updates] == list(range(1, 51))
    assert sorted(u["data"]["n"] for u in updates) == [*range(1, 26), *range(101, 126)]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
