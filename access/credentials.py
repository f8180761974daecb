"""Checks an API key credential: simple token, HMAC or Ed25519 signature, with replay protection."""

from __future__ import annotations

import hashlib
import ipaddress
import math

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache as default_cache
from django.utils import timezone

from access import crypto, errors
from access.credential_cache import CachedKey, credential_cache
from access.enums import ApiKeyScheme
from access.models import ApiKey
from access.services import api_key_touch

SIMPLE_KEYWORD = "Api-Key"


def signed_message(
    *, timestamp: str, method: str, path: str, query: str = "", body: bytes = b""
) -> bytes:
    """The bytes a client signs: timestamp + METHOD + path + ("?" + raw query, if any) + body."""
    head = f"{timestamp}{method.upper()}{path}" + (f"?{query}" if query else "")
    return head.encode() + body


def websocket_message(*, timestamp: str) -> bytes:
    """What a WebSocket client signs to authenticate: timestamp + "authenticate"."""
    return f"{timestamp}authenticate".encode()


def _client_ip_allowed(api_key: ApiKey, client_ip: str | None) -> bool:
    if not api_key.allowed_ips:
        return True
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return False
    for network in api_key.allowed_ips:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _usable(entry: CachedKey, *, client_ip: str | None) -> ApiKey:
    """Return the key if it may authenticate now; else raise the matching CredentialRejected."""
    api_key = entry.api_key
    if api_key.revoked_at is not None:
        raise errors.ApiKeyRevoked("API key revoked")
    if api_key.expires_at is not None and api_key.expires_at <= timezone.now():
        raise errors.ApiKeyExpired("API key expired")
    if not api_key.user.is_active:
        raise errors.CredentialRejected("API key owner is inactive")
    if not _client_ip_allowed(api_key, client_ip):
        raise errors.IpNotAllowed("Client IP not in the key's allowlist")
    if not entry.acts_on_account:
        raise errors.CredentialRejected("API key owner no longer acts on the key's account")
    return api_key


def api_key_verify_simple(*, token: str, client_ip: str | None) -> ApiKey:
    """Authenticate `<key_id>.<secret>`; return the key or raise CredentialRejected."""
    key_id, _, secret = token.strip().partition(".")
    entry = credential_cache.get(key_id) if key_id and secret else None
    if entry is None or entry.api_key.scheme != ApiKeyScheme.SIMPLE:
        raise errors.CredentialRejected("Invalid API key")
    api_key = entry.api_key
    if not crypto.secret_matches(secret, api_key.secret_hash):
        raise errors.CredentialRejected("Invalid API key")
    _usable(entry, client_ip=client_ip)
    api_key_touch(api_key=api_key)
    return api_key


def replay_window_s() -> int:
    """How long a signature stays valid at most, so how long the seen-signature mark must live."""
    window_ms = settings.SIGNED_REQUEST_MAX_AGE_MS + settings.SIGNED_REQUEST_MAX_AHEAD_MS
    return math.ceil(window_ms / 1000) + 1


def api_key_verify_signature(
    *,
    key_id: str,
    timestamp: str,
    signature: str,
    message: bytes,
    client_ip: str | None,
    now_ms: int,
    cache=None,
) -> ApiKey:
    """Authenticate a signed request (HMAC-SHA256 hex or Ed25519 base64); return the key.

    Checks in this order: the key exists and is signed-scheme, the timestamp lies in the window
    around `now_ms`, the signature matches (constant time), the key is usable, and the signature
    was not seen before (claimed atomically in the cache shared by all processes).
    """
    cache = cache or default_cache
    entry = credential_cache.get(key_id.strip()) if key_id and key_id.strip() else None
    if entry is None or entry.api_key.scheme == ApiKeyScheme.SIMPLE:
        raise errors.CredentialRejected("Invalid API key")
    api_key = entry.api_key
    try:
        sent_ms = int(timestamp)
    except (TypeError, ValueError) as exc:
        raise errors.TimestampOutOfWindow("X-Timestamp must be unix milliseconds") from exc
    if not (
        now_ms - settings.SIGNED_REQUEST_MAX_AGE_MS
        <= sent_ms
        <= now_ms + settings.SIGNED_REQUEST_MAX_AHEAD_MS
    ):
        raise errors.TimestampOutOfWindow(
            "Timestamp outside the accepted window",
            details={
                "server_time_ms": now_ms,
                "max_age_ms": settings.SIGNED_REQUEST_MAX_AGE_MS,
                "max_ahead_ms": settings.SIGNED_REQUEST_MAX_AHEAD_MS,
            },
        )
    if api_key.scheme == ApiKeyScheme.HMAC:
        try:
            secret = crypto.secret_decrypt(api_key.secret_encrypted)
        except InvalidToken as exc:
            # Encrypted under another API_KEY_ENCRYPTION_KEY: the key must be re-issued.
            raise errors.CredentialRejected("API key unusable: re-issue it") from exc
        matches = crypto.hmac_signature_matches(secret, message, signature or "")
    else:
        matches = crypto.ed25519_signature_matches(api_key.public_key, message, signature or "")
    if not matches:
        raise errors.InvalidSignature("Signature does not match")
    _usable(entry, client_ip=client_ip)
    # Keyed on the signed message, not the signature text, so re-encoding a signature (hex case,
    # base64 variants) cannot pass as a new request.
    seen_key = f"access:signed:{api_key.key_id}:{hashlib.sha256(message).hexdigest()}"
    if not cache.add(seen_key, 1, timeout=replay_window_s()):
        raise errors.ReplayedRequest("This signature was already used")
    api_key_touch(api_key=api_key)
    return api_key
