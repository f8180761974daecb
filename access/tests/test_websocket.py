"""WebSocket authentication: JWT or signed API key first, 4401 on failure or after the timeout."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from access.credentials import websocket_message
from access.services import api_key_revoke
from access.tests.helpers import ed25519_sign, hmac_sign, key_make, now_ms, public_key_b64
from streams.consumers import CLOSE_NOT_AUTHENTICATED, StreamConsumer

pytestmark = pytest.mark.django_db(transaction=True)


class QuickTimeoutConsumer(StreamConsumer):
    auth_timeout_s = 0.2


async def _connect(consumer=StreamConsumer) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(consumer.as_asgi(), "/ws/v1/stream")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    message = await communicator.receive_output(timeout=2)
    assert message["type"] == "websocket.close"
    return message["code"]


def _hmac_auth(api_key, secret, timestamp=None) -> dict:
    timestamp = str(now_ms() if timestamp is None else timestamp)
    return {
        "action": "authenticate",
        "api_key": api_key.key_id,
        "timestamp": timestamp,
        "signature": hmac_sign(secret, websocket_message(timestamp=timestamp)),
    }


async def test_jwt_authenticates_the_socket(trader, account):
    token = await sync_to_async(lambda: str(AccessToken.for_user(trader)))()
    communicator = await _connect()

    await communicator.send_json_to({"action": "authenticate", "token": token})
    reply = await communicator.receive_json_from()

    assert reply == {
        "type": "authenticated",
        "user": "tom",
        "credential": "jwt",
        "key_id": None,
        "scopes": ["read", "trade"],
        "accounts": [account.pk],
    }
    await communicator.send_json_to({"action": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_bad_token_is_refused_and_closed(trader):
    communicator = await _connect()

    await communicator.send_json_to({"action": "authenticate", "token": "not.a.token"})

    reply = await communicator.receive_json_from()
    assert (reply["type"], reply["code"]) == ("error", "AUTHENTICATION_FAILED")
    assert await _closed_with(communicator) == CLOSE_NOT_AUTHENTICATED


async def test_actions_other_than_authenticate_and_ping_need_authentication(db):
    communicator = await _connect()

    await communicator.send_json_to({"action": "ping"})
    pong = await communicator.receive_json_from()
    await communicator.send_json_to({"action": "subscribe", "channel": "orders"})
    refused = await communicator.receive_json_from()

    assert pong == {"type": "pong"}
    assert (refused["type"], refused["code"]) == ("error", "NOT_AUTHENTICATED")
    await communicator.disconnect()


async def test_unauthenticated_socket_is_closed_after_the_timeout(db):
    communicator = await _connect(QuickTimeoutConsumer)

    reply = await communicator.receive_json_from(timeout=2)

    assert (reply["type"], reply["code"]) == ("error", "NOT_AUTHENTICATED")
    assert await _closed_with(communicator) == CLOSE_NOT_AUTHENTICATED


async def test_authenticated_socket_outlives_the_timeout(trader):
    token = await sync_to_async(lambda: str(AccessToken.for_user(trader)))()
    communicator = await _connect(QuickTimeoutConsumer)
    await communicator.send_json_to({"action": "authenticate", "token": token})
    assert (await communicator.receive_json_from())["type"] == "authenticated"

    # Wait past the timeout by asking for output that must not come.
    assert await communicator.receive_nothing(timeout=0.5)

    await communicator.send_json_to({"action": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_hmac_key_authenticates_the_socket(trader, account):
    api_key, secret = await sync_to_async(key_make)(
        user=trader, account=account, scopes=["read"], scheme="hmac"
    )
    communicator = await _connect()

    await communicator.send_json_to(_hmac_auth(api_key, secret))
    reply = await communicator.receive_json_from()

    assert reply["type"] == "authenticated"
    assert (reply["credential"], reply["key_id"], reply["accounts"]) == (
        "api_key",
        api_key.key_id,
        [account.pk],
    )
    await communicator.disconnect()


async def test_ed25519_key_authenticates_the_socket(trader, account, ed25519_private_key):
    api_key, _ = await sync_to_async(key_make)(
        user=trader, account=account, public_key=public_key_b64(ed25519_private_key)
    )
    timestamp = str(now_ms())
    communicator = await _connect()

    await communicator.send_json_to(
        {
            "action": "authenticate",
            "api_key": api_key.key_id,
            "timestamp": timestamp,
            "signature": ed25519_sign(ed25519_private_key, websocket_message(timestamp=timestamp)),
        }
    )

    assert (await communicator.receive_json_from())["type"] == "authenticated"
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("stale", "TIMESTAMP_OUT_OF_WINDOW"),
        ("future", "TIMESTAMP_OUT_OF_WINDOW"),
        ("bad_signature", "INVALID_SIGNATURE"),
        ("revoked", "API_KEY_REVOKED"),
    ],
)
async def test_signed_socket_auth_failures_close_the_socket(trader, account, case, code):
    api_key, secret = await sync_to_async(key_make)(
        user=trader, account=account, scopes=["read"], scheme="hmac"
    )
    message = _hmac_auth(api_key, secret)
    if case == "stale":
        message = _hmac_auth(api_key, secret, timestamp=now_ms() - 6_000)
    elif case == "future":
        message = _hmac_auth(api_key, secret, timestamp=now_ms() + 2_000)
    elif case == "bad_signature":
        message = _hmac_auth(api_key, secret + "x")
    else:
        await sync_to_async(api_key_revoke)(api_key=api_key)
    communicator = await _connect()

    await communicator.send_json_to(message)

    reply = await communicator.receive_json_from()
    assert (reply["type"], reply["code"]) == ("error", code)
    assert await _closed_with(communicator) == CLOSE_NOT_AUTHENTICATED


async def test_replayed_socket_authentication_is_refused(trader, account):
    api_key, secret = await sync_to_async(key_make)(
        user=trader, account=account, scopes=["read"], scheme="hmac"
    )
    message = _hmac_auth(api_key, secret)
    first = await _connect()
    await first.send_json_to(message)
    assert (await first.receive_json_from())["type"] == "authenticated"
    second = await _connect()

    await second.send_json_to(message)

    reply = await second.receive_json_from()
    assert reply["code"] == "REPLAYED_REQUEST"
    assert await _closed_with(second) == CLOSE_NOT_AUTHENTICATED
    await first.disconnect()
