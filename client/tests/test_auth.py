"""JWT login, refresh before expiry and on a 401, rotation, logout; signed-request refusals."""

import asyncio
import time

import httpx
import pytest
from trading_client import HmacAuth, JWTAuth
from trading_client.auth import _jwt_claims
from trading_client.errors import (
    AccountRequiredError,
    AuthenticationFailedError,
    TimestampOutOfWindowError,
)


class WallClock:
    """The JWT credential's clock (unix seconds), which the test moves ahead."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def near_expiry_of(self, token: str) -> None:
        self.offset = _jwt_claims(token)["exp"] - time.time() - 5


def _refresh_is_refused(server, refresh: str) -> bool:
    response = httpx.post(f"{server.base_url}/api/v1/auth/token/refresh", json={"refresh": refresh})
    return response.status_code == 401


def test_jwt_logs_in_on_first_use_then_refreshes_before_expiry_and_rotates(server):
    clock, pairs = WallClock(), []
    auth = server.jwt(on_tokens=pairs.append, clock=clock)
    client = server.client(auth)

    me = client.system.me()

    assert (me.user.username, me.credential.type) == ("cl-trader", "jwt")
    assert len(pairs) == 1
    # when: the access token is about to expire
    first = pairs[0]
    clock.near_expiry_of(first.access)
    client.system.me()
    # then: it was refreshed before the call, the refresh token rotated, the old one is spent
    assert len(pairs) == 2
    assert auth.access_token == pairs[1].access != first.access
    assert auth.refresh_token == pairs[1].refresh != first.refresh
    assert _refresh_is_refused(server, first.refresh)


def test_a_401_renews_the_access_token_once_and_retries(server):
    pair = server.client(server.jwt()).login()
    auth = JWTAuth(access="not.a.token", refresh=pair.refresh)
    client = server.client(auth)

    assert client.system.me().user.username == "cl-trader"
    assert auth.access_token != "not.a.token"
    assert auth.refresh_token != pair.refresh


def test_a_spent_refresh_token_without_a_password_is_an_authentication_error(server):
    pair = server.client(server.jwt()).login()
    assert not _refresh_is_refused(server, pair.refresh)  # spends it

    client = server.client(JWTAuth(access="not.a.token", refresh=pair.refresh))

    with pytest.raises(AuthenticationFailedError):
        client.system.me()


def test_a_spent_refresh_token_with_a_password_logs_in_again(server):
    auth = server.jwt()
    client = server.client(auth)
    pair = client.login()
    assert not _refresh_is_refused(server, pair.refresh)  # spent elsewhere
    auth.set_tokens(type(pair)(access="not.a.token", refresh=pair.refresh))

    assert client.system.me().user.username == "cl-trader"
    assert auth.refresh_token not in {pair.refresh, None}


def test_logout_blacklists_the_refresh_token(server):
    auth = server.jwt()
    client = server.client(auth)
    refresh = client.login().refresh

    client.logout()

    assert auth.access_token is None
    assert auth.refresh_token is None
    assert _refresh_is_refused(server, refresh)


def test_a_wrong_password_is_refused(server):
    with pytest.raises(AuthenticationFailedError):
        server.client(JWTAuth("cl-trader", "wrong")).system.me()


def test_a_user_with_several_accounts_names_one(server):
    client = server.client(server.jwt("it-admin"))

    with pytest.raises(AccountRequiredError):
        client.orders.list().page()
    scoped = client.with_options(account=server.accounts["Cl-Jwt"])
    assert scoped.portfolio.balances()[0].currency == "USD"
    assert scoped.account == server.accounts["Cl-Jwt"]


def test_a_jwt_user_places_an_order(server):
    client = server.client(server.jwt())
    quote = client.market.quote("AAPL")

    order = client.orders.submit(
        "AAPL", "buy", "1", order_type="limit", limit_price=(quote.bid / 2).quantize(quote.bid)
    )

    assert order.account == server.accounts["Cl-Jwt"]


async def test_concurrent_calls_share_one_refresh(server):
    clock, pairs = WallClock(), []
    auth = server.jwt(on_tokens=pairs.append, clock=clock)
    async with server.async_client(auth) as client:
        await client.system.me()
        clock.near_expiry_of(pairs[0].access)

        identities = await asyncio.gather(*(client.system.me() for _ in range(5)))

    assert {i.user.username for i in identities} == {"cl-trader"}
    assert len(pairs) == 2  # one login, one refresh


def test_a_signed_request_outside_the_time_window_is_refused_once(server):
    key = server.keys["orders"]
    skewed = HmacAuth(key["key_id"], key["secret"], clock=lambda: time.time() - 60)

    with pytest.raises(TimestampOutOfWindowError) as caught:
        server.client(skewed).system.me()

    assert caught.value.attempts == 1
    assert abs(caught.value.server_time_ms - time.time() * 1000) < 30_000
