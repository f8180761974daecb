"""`Client` and `AsyncClient`: every REST endpoint, grouped by resource.

    from trading_client import Client, HmacAuth

    with Client("http://127.0.0.1:8000", auth=HmacAuth(key_id, secret)) as client:
        order = client.orders.submit("AAPL", "buy", "10", order_type="limit", limit_price="180")
        for fill in client.fills.list(order=order.id):
            print(fill.price, fill.quantity)

Groups: `system`, `api_keys`, `market`, `orders`, `fills`, `portfolio`, `analytics`,
`signals`, `risk`, `config`, `overrides`, `trading`, `audit`, `backtests` (strategies, backtests,
sweeps), `operations` and `deployments`. Each lives in its own module under
`trading_client.resources`; `AsyncClient.stream()` follows the WebSocket stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from trading_client._transport import AsyncTransport, Options, SyncTransport, default_options
from trading_client.auth import Auth, JWTAuth
from trading_client.errors import ConfigurationError
from trading_client.models.system import TokenPair
from trading_client.resources.analytics import (
    AnalyticsResource,
    AsyncAnalyticsResource,
    AsyncSignalsResource,
    SignalsResource,
)
from trading_client.resources.api_keys import ApiKeysResource, AsyncApiKeysResource
from trading_client.resources.audit import AsyncAuditResource, AuditResource
from trading_client.resources.backtests import AsyncBacktestsResource, BacktestsResource
from trading_client.resources.deployments import AsyncDeploymentsResource, DeploymentsResource
from trading_client.resources.market import AsyncMarketResource, MarketResource
from trading_client.resources.operations import AsyncOperationsResource, OperationsResource
from trading_client.resources.orders import (
    AsyncFillsResource,
    AsyncOrdersResource,
    FillsResource,
    OrdersResource,
)
from trading_client.resources.portfolio import AsyncPortfolioResource, PortfolioResource
from trading_client.resources.risk import (
    AsyncConfigResource,
    AsyncOverridesResource,
    AsyncRiskResource,
    ConfigResource,
    OverridesResource,
    RiskResource,
)
from trading_client.resources.system import AsyncSystemResource, SystemResource, logout_call
from trading_client.resources.trading import AsyncTradingResource, TradingResource
from trading_client.retry import RetryPolicy
from trading_client.stream import Stream, Subscription

_UNSET: Any = object()


def _replace_options(
    options: Options, retry: RetryPolicy | None, timeout: float | None, account: Any
) -> Options:
    changes: dict[str, Any] = {}
    if retry is not None:
        changes["retry"] = retry
    if timeout is not None:
        changes["timeout"] = timeout
    if account is not _UNSET:
        changes["account"] = account
    return dataclasses.replace(options, **changes)


class Client:
    """A synchronous client (thread-safe: share one per process).

    - `base_url`: the server, e.g. `http://127.0.0.1:8000` (`/api/v1` is added).
    - `auth`: `ApiKeyAuth`, `HmacAuth`, `Ed25519Auth` or `JWTAuth` (None: only `/health`).
    - `retry`: a `RetryPolicy` (default: 4 attempts, 30 s deadline); `timeout` per attempt (s).
    - `account`: the account to act on, for credentials that see several (sent as `account`).
    - `http`/`transport`: an `httpx.Client` or transport of your own (proxies, TLS, tests).
    - `sleep`, `clock` (monotonic), `random`: injectable for tests of the retry policy.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        account: int | None = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        options = default_options(
            base_url=base_url,
            auth=auth,
            retry=retry,
            timeout=timeout,
            account=account,
            headers=dict(headers or {}),
            clock=clock,
            random=random,
        )
        self._owns_http = http is None
        self._http = http or httpx.Client(transport=transport)
        self._setup(SyncTransport(options, http=self._http, sleep=sleep or time.sleep))

    def _setup(self, transport: SyncTransport) -> None:
        self._transport = transport
        self.system = SystemResource(transport)
        self.api_keys = ApiKeysResource(transport)
        self.market = MarketResource(transport)
        self.orders = OrdersResource(transport)
        self.fills = FillsResource(transport)
        self.portfolio = PortfolioResource(transport)
        self.analytics = AnalyticsResource(transport)
        self.signals = SignalsResource(transport)
        self.risk = RiskResource(transport)
        self.config = ConfigResource(transport)
        self.overrides = OverridesResource(transport)
        self.trading = TradingResource(transport)
        self.audit = AuditResource(transport)
        self.backtests = BacktestsResource(transport)
        self.operations = OperationsResource(transport)
        self.deployments = DeploymentsResource(transport)

    @property
    def auth(self) -> Auth | None:
        return self._transport.options.auth

    @property
    def account(self) -> int | None:
        return self._transport.options.account

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        account: int | None = _UNSET,
    ) -> Client:
        """Return a client sharing this one's connections and credential, with other retry,
        timeout or account settings (`client.with_options(account=7).orders.list()`)."""
        clone = object.__new__(Client)
        clone._owns_http = False
        clone._http = self._http
        options = _replace_options(self._transport.options, retry, timeout, account)
        clone._setup(SyncTransport(options, http=self._http, sleep=self._transport.sleep))
        return clone

    def login(self) -> TokenPair:
        """Log in now with JWTAuth's username and password (otherwise done on first use).
        Returns the token pair. Raises AuthenticationFailedError, RateLimitedError."""
        return self._transport.login()

    def logout(self) -> None:
        """End the JWT login: the server blacklists the refresh token; the client forgets both
        tokens. Raises ConfigurationError without a JWT session."""
        auth = self.auth
        if not isinstance(auth, JWTAuth) or auth.refresh_token is None:
            raise ConfigurationError("logout needs a JWTAuth session")
        self._transport.request(logout_call(auth.refresh_token))
        auth.clear()

    def close(self) -> None:
        """Close the connections (when the client created them)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient:
    """The asynchronous client: the same groups and methods as `Client`, awaited; lists are
    `AsyncPaginator`s (`async for`). Use `async with AsyncClient(...) as client:`.

    Arguments as `Client`, with `http` an `httpx.AsyncClient`, `transport` an
    `httpx.AsyncBaseTransport` and `sleep` an async function.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        account: int | None = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        options = default_options(
            base_url=base_url,
            auth=auth,
            retry=retry,
            timeout=timeout,
            account=account,
            headers=dict(headers or {}),
            clock=clock,
            random=random,
        )
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(transport=transport)
        self._setup(AsyncTransport(options, http=self._http, sleep=sleep or asyncio.sleep))

    def _setup(self, transport: AsyncTransport) -> None:
        self._transport = transport
        self.system = AsyncSystemResource(transport)
        self.api_keys = AsyncApiKeysResource(transport)
        self.market = AsyncMarketResource(transport)
        self.orders = AsyncOrdersResource(transport)
        self.fills = AsyncFillsResource(transport)
        self.portfolio = AsyncPortfolioResource(transport)
        self.analytics = AsyncAnalyticsResource(transport)
        self.signals = AsyncSignalsResource(transport)
        self.risk = AsyncRiskResource(transport)
        self.config = AsyncConfigResource(transport)
        self.overrides = AsyncOverridesResource(transport)
        self.trading = AsyncTradingResource(transport)
        self.audit = AsyncAuditResource(transport)
        self.backtests = AsyncBacktestsResource(transport)
        self.operations = AsyncOperationsResource(transport)
        self.deployments = AsyncDeploymentsResource(transport)

    @property
    def auth(self) -> Auth | None:
        return self._transport.options.auth

    @property
    def account(self) -> int | None:
        return self._transport.options.account

    def stream(self, subscriptions: list[Subscription], **options: Any) -> Stream:
        """The WebSocket stream of `subscriptions`: `async for message in client.stream(...)`.

        Reconnects and resumes by itself; see `trading_client.stream`."""
        return Stream(self, subscriptions, **options)

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        account: int | None = _UNSET,
    ) -> AsyncClient:
        """As Client.with_options."""
        clone = object.__new__(AsyncClient)
        clone._owns_http = False
        clone._http = self._http
        options = _replace_options(self._transport.options, retry, timeout, account)
        clone._setup(AsyncTransport(options, http=self._http, sleep=self._transport.sleep))
        return clone

    async def login(self) -> TokenPair:
        """As Client.login."""
        return await self._transport.login()

    async def logout(self) -> None:
        """As Client.logout."""
        auth = self.auth
        if not isinstance(auth, JWTAuth) or auth.refresh_token is None:
            raise ConfigurationError("logout needs a JWTAuth session")
        await self._transport.request(logout_call(auth.refresh_token))
        auth.clear()

    async def aclose(self) -> None:
        """Close the connections (when the client created them)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
