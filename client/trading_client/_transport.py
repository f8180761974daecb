"""Run a `Call`: build the request, authenticate each attempt, retry what is transient, read
the answer. `SyncTransport` and `AsyncTransport` share everything but the waiting."""

from __future__ import annotations

import asyncio
import random as random_module
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from trading_client._call import NO_BODY, Call, Reply, one
from trading_client._json import dumps, loads
from trading_client._version import __version__
from trading_client.auth import Auth, JWTAuth
from trading_client.errors import (
    APIError,
    AuthenticationFailedError,
    ConfigurationError,
    ConnectError,
    NetworkError,
    RequestTimeoutError,
    ResponseFormatError,
    TokenExpiredError,
    TradingError,
    error_from_response,
)
from trading_client.models.system import TokenPair
from trading_client.retry import RetryPolicy

T = TypeVar("T")

API_PREFIX = "/api/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Options:
    """What every call of one client shares. `sleep`, `clock` (monotonic seconds) and `random`
    are injectable for tests."""

    api_root: str
    auth: Auth | None
    retry: RetryPolicy
    timeout: float
    account: int | None
    headers: tuple[tuple[str, str], ...]
    clock: Callable[[], float]
    random: Callable[[], float]


def api_root_of(base_url: str) -> str:
    """`http://host:8000` or `http://host:8000/api/v1` -> `http://host:8000/api/v1`."""
    root = base_url.rstrip("/")
    return root if root.endswith(API_PREFIX) else root + API_PREFIX


@dataclass(frozen=True)
class _Prepared:
    """What stays the same across the attempts of a call: URL, body bytes, headers (with the
    Idempotency-Key of a mutating call)."""

    method: str
    url: str
    content: bytes | None
    headers: dict[str, str]


def _prepare(options: Options, call: Call[Any]) -> _Prepared:
    params = call.params
    named = any(name == "account" for name, _ in params)
    if call.authenticated and options.account is not None and not named:
        params = (*params, ("account", str(options.account)))
    url = httpx.URL(options.api_root + call.path, params=params or None)
    headers = {"Accept": "application/json", **dict(options.headers), **dict(call.headers)}
    content: bytes | None = None
    if call.body is not NO_BODY:
        content = dumps(call.body)
        headers["Content-Type"] = "application/json"
    if call.mutating and call.authenticated:
        headers[IDEMPOTENCY_HEADER] = call.idempotency_key or uuid.uuid4().hex
    return _Prepared(method=call.method, url=str(url), content=content, headers=headers)


def _network_error(exc: httpx.TransportError, prepared: _Prepared) -> TradingError:
    method, url = prepared.method, prepared.url
    # An exception without text is named by its type.
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ConfigurationError(f"cannot send to {url}: {exc}")
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ConnectError(f"could not connect: {reason}", method=method, url=url)
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError(f"timed out: {reason}", method=method, url=url)
    return NetworkError(f"connection failed: {reason}", method=method, url=url)


def _reply_or_error(response: httpx.Response, attempts: int) -> Reply | APIError:
    headers = {name.lower(): value for name, value in response.headers.items()}
    parsed: Any = None
    if response.content:
        try:
            parsed = loads(response.content)
        except ValueError:
            if response.is_success:
                raise ResponseFormatError(
                    "the response body is not JSON",
                    status=response.status_code,
                    body=response.content,
                ) from None
    if response.is_success:
        return Reply(status=response.status_code, headers=headers, body=parsed)
    return error_from_response(
        status=response.status_code, body=parsed, headers=headers, attempts=attempts
    )


def _wants_refresh(error: APIError, auth: Auth | None, refreshed: bool) -> bool:
    """A 401 on a JWT call: the access token expired or was revoked; renew once and retry.

    An expired access token is TOKEN_EXPIRED; a revoked or otherwise refused one is
    AUTHENTICATION_FAILED. Either triggers one renewal of a Bearer call.
    """
    return (
        isinstance(auth, JWTAuth)
        and isinstance(error, (AuthenticationFailedError, TokenExpiredError))
        and not refreshed
        and (auth.refresh_token is not None or auth.can_login)
    )


def _login_call(auth: JWTAuth) -> Call[TokenPair]:
    # Logging in twice is harmless (the lost pair just expires), so it may be retried freely.
    return Call(
        "POST", "/auth/token", parse=one(TokenPair), body=auth.login_body(), authenticated=False
    )


def _refresh_call(refresh: str) -> Call[TokenPair]:
    # Not replay-safe: the server blacklists the refresh token on first use.
    return Call(
        "POST",
        "/auth/token/refresh",
        parse=one(TokenPair),
        body={"refresh": refresh},
        authenticated=False,
        idempotent=False,
    )


class _Base:
    def __init__(self, options: Options) -> None:
        self.options = options

    def _attempt_timeout(self, started: float) -> float:
        deadline = self.options.retry.deadline
        if deadline is None:
            return self.options.timeout
        left = deadline - (self.options.clock() - started)
        return max(0.001, min(self.options.timeout, left))

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        prepared: _Prepared,
        call: Call[Any],
        started: float,
    ) -> httpx.Request:
        request = http.build_request(
            prepared.method,
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            timeout=self._attempt_timeout(started),
        )
        if call.authenticated and self.options.auth is not None:
            request.headers.update(
                self.options.auth.headers(
                    method=prepared.method,
                    target=request.url.raw_path,
                    body=prepared.content or b"",
                )
            )
        return request

    def _delay(self, error: TradingError, call: Call[Any], attempt: int, started: float):
        return self.options.retry.delay_for(
            error,
            attempt=attempt,
            elapsed=self.options.clock() - started,
            idempotent=call.idempotent,
            random=self.options.random,
        )


class SyncTransport(_Base):
    """Runs calls on an `httpx.Client`, waiting with `sleep` between attempts."""

    def __init__(
        self,
        options: Options,
        *,
        http: httpx.Client,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(options)
        self.http = http
        self.sleep = sleep

    def request(self, call: Call[T]) -> T:
        """Run `call`; return its parsed result or raise the final APIError/NetworkError."""
        prepared = _prepare(self.options, call)
        started = self.options.clock()
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            used_access = self._authorize(call)
            try:
                response = self.http.send(self._build(self.http, prepared, call, started))
            except httpx.TransportError as exc:
                error = _network_error(exc, prepared)
            else:
                outcome = _reply_or_error(response, attempt)
                if isinstance(outcome, Reply):
                    return call.parse(outcome)
                error = outcome
                if call.authenticated and _wants_refresh(error, self.options.auth, refreshed):
                    refreshed = True
                    attempt -= 1
                    self._renew(stale_access=used_access)
                    continue
            delay = self._delay(error, call, attempt, started)
            if delay is None:
                if isinstance(error, (APIError, NetworkError)):
                    error.attempts = attempt
                raise error
            self.sleep(delay)

    # --- JWT ----------------------------------------------------------------------------
    def _authorize(self, call: Call[Any]) -> str | None:
        auth = self.options.auth
        if not call.authenticated or not isinstance(auth, JWTAuth):
            return None
        if auth.needs_token():
            self._renew(stale_access=auth.access_token)
        return auth.access_token

    def _renew(self, *, stale_access: str | None) -> None:
        auth = self.options.auth
        assert isinstance(auth, JWTAuth)
        with auth.lock:
            if auth.access_token != stale_access:
                return  # another thread renewed it meanwhile
            auth.set_tokens(self._new_tokens(auth))

    def _new_tokens(self, auth: JWTAuth) -> TokenPair:
        if auth.refresh_token is not None:
            try:
                return self.request(_refresh_call(auth.refresh_token))
            except APIError:
                if not auth.can_login:
                    raise
        return self.request(_login_call(auth))

    def login(self) -> TokenPair:
        """Log in with the JWTAuth's username and password now; return the new pair."""
        auth = self.options.auth
        if not isinstance(auth, JWTAuth):
            raise ConfigurationError("login needs JWTAuth")
        with auth.lock:
            pair = self.request(_login_call(auth))
            auth.set_tokens(pair)
        return pair

    def close(self) -> None:
        self.http.close()


class AsyncTransport(_Base):
    """Runs calls on an `httpx.AsyncClient`, waiting with an async `sleep` between attempts."""

    def __init__(
        self,
        options: Options,
        *,
        http: httpx.AsyncClient,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(options)
        self.http = http
        self.sleep = sleep

    async def request(self, call: Call[T]) -> T:
        """Run `call`; return its parsed result or raise the final APIError/NetworkError."""
        prepared = _prepare(self.options, call)
        started = self.options.clock()
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            used_access = await self._authorize(call)
            try:
                response = await self.http.send(self._build(self.http, prepared, call, started))
            except httpx.TransportError as exc:
                error = _network_error(exc, prepared)
            else:
                outcome = _reply_or_error(response, attempt)
                if isinstance(outcome, Reply):
                    return call.parse(outcome)
                error = outcome
                if call.authenticated and _wants_refresh(error, self.options.auth, refreshed):
                    refreshed = True
                    attempt -= 1
                    await self._renew(stale_access=used_access)
                    continue
            delay = self._delay(error, call, attempt, started)
            if delay is None:
                if isinstance(error, (APIError, NetworkError)):
                    error.attempts = attempt
                raise error
            await self.sleep(delay)

    async def _authorize(self, call: Call[Any]) -> str | None:
        auth = self.options.auth
        if not call.authenticated or not isinstance(auth, JWTAuth):
            return None
        if auth.needs_token():
            await self._renew(stale_access=auth.access_token)
        return auth.access_token

    async def _renew(self, *, stale_access: str | None) -> None:
        auth = self.options.auth
        assert isinstance(auth, JWTAuth)
        async with auth.async_lock():
            if auth.access_token != stale_access:
                return  # another task renewed it meanwhile
            auth.set_tokens(await self._new_tokens(auth))

    async def _new_tokens(self, auth: JWTAuth) -> TokenPair:
        if auth.refresh_token is not None:
            try:
                return await self.request(_refresh_call(auth.refresh_token))
            except APIError:
                if not auth.can_login:
                    raise
        return await self.request(_login_call(auth))

    async def login(self) -> TokenPair:
        """Log in with the JWTAuth's username and password now; return the new pair."""
        auth = self.options.auth
        if not isinstance(auth, JWTAuth):
            raise ConfigurationError("login needs JWTAuth")
        async with auth.async_lock():
            pair = await self.request(_login_call(auth))
            auth.set_tokens(pair)
        return pair

    async def aclose(self) -> None:
        await self.http.aclose()


def default_options(
    *,
    base_url: str,
    auth: Auth | None,
    retry: RetryPolicy | None,
    timeout: float,
    account: int | None,
    headers: dict[str, str] | None,
    clock: Callable[[], float] | None,
    random: Callable[[], float] | None,
) -> Options:
    """Options with the defaults filled in (monotonic clock, `random.random`)."""
    return Options(
        api_root=api_root_of(base_url),
        auth=auth,
        retry=retry or RetryPolicy(),
        timeout=timeout,
        account=account,
        headers=(("User-Agent", f"trading-client/{__version__}"), *(headers or {}).items()),
        clock=clock or time.monotonic,
        random=random or random_module.random,
    )
