"""Credentials: the simple API key, HMAC-SHA256 and Ed25519 signed keys, and JWT.

Each credential turns one attempt of a request into headers. Signed credentials sign every
attempt afresh (a new timestamp, so a retry is never a replay); JWT credentials are renewed by
the client's transport (`JWTAuth` holds the tokens, the transport logs in and refreshes).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from trading_client.errors import ConfigurationError
from trading_client.models.system import TokenPair
from trading_client.signing import (
    ed25519_public_key_b64,
    ed25519_signature,
    hmac_signature,
    load_ed25519_private_key,
    signed_message,
    split_target,
    websocket_message,
)


class Auth(Protocol):
    """A credential: the headers one attempt of a request carries."""

    def headers(self, *, method: str, target: bytes, body: bytes) -> dict[str, str]:
        """Return the authentication headers for this attempt.

        `target` is the raw request target as sent (`/api/v1/orders?limit=5`), `body` the raw
        body bytes.
        """
        ...


class ApiKeyAuth:
    """The simple scheme: `Authorization: Api-Key <key_id>.<secret>`."""

    def __init__(self, key_id: str, secret: str) -> None:
        if not key_id or not secret:
            raise ConfigurationError("an API key needs a key id and a secret")
        self.key_id = key_id
        self._secret = secret

    @classmethod
    def from_token(cls, token: str) -> ApiKeyAuth:
        """Build from `<key_id>.<secret>`; raises ConfigurationError for another shape."""
        key_id, dot, secret = token.strip().partition(".")
        if not dot:
            raise ConfigurationError("an API key token is `<key_id>.<secret>`")
        return cls(key_id, secret)

    def headers(self, *, method: str, target: bytes, body: bytes) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.key_id}.{self._secret}"}

    def __repr__(self) -> str:
        return f"ApiKeyAuth(key_id={self.key_id!r})"


class _SignedAuth:
    """`X-API-Key`, `X-Timestamp` (unix ms) and `X-Signature` over the canonical message.

    Timestamps strictly increase per credential, so two identical requests in the same
    millisecond (a fast retry, a loop) never look like a replay to the server.
    """

    def __init__(self, key_id: str, *, clock: Callable[[], float] = time.time) -> None:
        if not key_id:
            raise ConfigurationError("a signed API key needs its key id")
        self.key_id = key_id
        self._clock = clock
        self._last_ms = 0
        self._lock = threading.Lock()

    def _sign(self, message: bytes) -> str:
        raise NotImplementedError

    def timestamp(self) -> str:
        """Return the next timestamp (unix ms, never equal to the previous one)."""
        now_ms = int(self._clock() * 1000)
        with self._lock:
            self._last_ms = max(now_ms, self._last_ms + 1)
            return str(self._last_ms)

    def headers(self, *, method: str, target: bytes, body: bytes) -> dict[str, str]:
        path, query = split_target(target)
        timestamp = self.timestamp()
        message = signed_message(
            timestamp=timestamp, method=method, path=path, query=query, body=body
        )
        return {
            "X-API-Key": self.key_id,
            "X-Timestamp": timestamp,
            "X-Signature": self._sign(message),
        }

    def websocket_authenticate(self) -> dict[str, Any]:
        """The WebSocket `authenticate` action for this key (signs timestamp + "authenticate")."""
        timestamp = self.timestamp()
        return {
            "action": "authenticate",
            "api_key": self.key_id,
            "timestamp": int(timestamp),
            "signature": self._sign(websocket_message(timestamp=timestamp)),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key_id={self.key_id!r})"


class HmacAuth(_SignedAuth):
    """HMAC-SHA256 signed requests (hex signature) with the key's secret."""

    def __init__(self, key_id: str, secret: str, *, clock: Callable[[], float] = time.time):
        super().__init__(key_id, clock=clock)
        if not secret:
            raise ConfigurationError("an HMAC key needs its secret")
        self._secret = secret

    def _sign(self, message: bytes) -> str:
        return hmac_signature(self._secret, message)


class Ed25519Auth(_SignedAuth):
    """Ed25519 signed requests (base64 signature). `private_key` is a `cryptography` key, PEM,
    the raw 32-byte seed or its base64. Needs the `ed25519` extra (`cryptography`)."""

    def __init__(
        self, key_id: str, private_key: Any, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(key_id, clock=clock)
        self._private_key = load_ed25519_private_key(private_key)

    @property
    def public_key(self) -> str:
        """Base64 of the raw public key, what `api_keys.create(public_key=...)` registers."""
        return ed25519_public_key_b64(self._private_key)

    def _sign(self, message: bytes) -> str:
        return ed25519_signature(self._private_key, message)


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (the client only reads `exp` and `iat`)."""
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


class JWTAuth:
    """A user's JWT session: `Authorization: Bearer <access>`.

    Give `username` and `password` (the client logs in on first use), or tokens you already hold
    (`access`, `refresh`), or both (a password lets the client log in again when the refresh
    token is spent or expired). The client refreshes the access token `refresh_margin` seconds
    before its `exp` (or at half its life, if shorter) and once on a 401; each refresh rotates
    the refresh token, and `on_tokens(pair)` is called with every new pair so it can be stored.
    """

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        access: str | None = None,
        refresh: str | None = None,
        refresh_margin: float = 30.0,
        on_tokens: Callable[[TokenPair], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (username and password) and not refresh and not access:
            raise ConfigurationError("JWTAuth needs username and password, or tokens")
        self.username = username
        self._password = password
        self._access = access
        self._refresh = refresh
        self.refresh_margin = refresh_margin
        self.on_tokens = on_tokens
        self._clock = clock
        # Renewals are serialized per credential (a refresh token is single use), across every
        # client sharing it: threads take `lock`, tasks `async_lock()`.
        self.lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None

    def async_lock(self) -> asyncio.Lock:
        """The asyncio lock that serializes renewals of this credential's tokens."""
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        return self._async_lock

    @property
    def access_token(self) -> str | None:
        return self._access

    @property
    def refresh_token(self) -> str | None:
        return self._refresh

    @property
    def can_login(self) -> bool:
        return bool(self.username and self._password)

    def login_body(self) -> dict[str, str]:
        """The body of `POST /auth/token`; raises ConfigurationError without a password."""
        if not self.can_login:
            raise ConfigurationError("no username and password to log in with")
        return {"username": self.username or "", "password": self._password or ""}

    def access_expires_at(self) -> float | None:
        """Unix time at which the access token expires (its `exp`), or None if unknown."""
        exp = _jwt_claims(self._access).get("exp") if self._access else None
        return float(exp) if isinstance(exp, (int, float)) else None

    def needs_token(self) -> bool:
        """True when there is no access token or it expires within the refresh margin."""
        if not self._access:
            return True
        claims = _jwt_claims(self._access)
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, (int, float)):
            return False
        margin = self.refresh_margin
        if isinstance(iat, (int, float)) and exp > iat:
            margin = min(margin, (exp - iat) / 2)
        return self._clock() >= exp - margin

    def set_tokens(self, pair: TokenPair) -> None:
        """Keep a new pair (the old refresh token is spent) and report it to `on_tokens`."""
        self._access, self._refresh = pair.access, pair.refresh
        if self.on_tokens is not None:
            self.on_tokens(pair)

    def clear(self) -> None:
        """Forget both tokens (after logout)."""
        self._access = self._refresh = None

    def headers(self, *, method: str, target: bytes, body: bytes) -> dict[str, str]:
        if not self._access:
            raise ConfigurationError("not logged in")
        return {"Authorization": f"Bearer {self._access}"}

    def __repr__(self) -> str:
        return f"JWTAuth(username={self.username!r})"
