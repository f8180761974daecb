"""The canonical signed message, built exactly as the server rebuilds it.

The server (access/credentials.py, trading_api/api/authentication.py) verifies

    timestamp + METHOD + path + ("?" + raw query, if any) + raw body

where `path` is Django's `escape_uri_path(request.path)`: the path percent-decoded by the ASGI
server, then re-encoded keeping ``/:@&+$,-_.!~*'()`` as they are. So a client that sends
``%7E`` or ``%2B`` must sign ``~`` or ``+``: `canonical_path` does that round trip. The query is
signed byte for byte as sent, the body too. Shared vectors in `client/tests/vectors/signing.json`
are checked by both test suites.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote, unquote

# Django's escape_uri_path: RFC 3986 reserved and unreserved characters minus ";", "=", "?".
_PATH_SAFE = "/:@&+$,-_.!~*'()"
# One path segment: the same set without "/".
_SEGMENT_SAFE = ":@&+$,-_.!~*'()"


def quote_segment(value: object) -> str:
    """Percent-encode one path segment (an id, a symbol, a client order id) the way the server
    re-encodes it, so the path sent is the path signed."""
    return quote(str(value), safe=_SEGMENT_SAFE)


def canonical_path(raw_path: str) -> str:
    """Return the path the server signs for a raw (percent-encoded) request path."""
    return quote(unquote(raw_path), safe=_PATH_SAFE)


def split_target(raw_target: bytes | str) -> tuple[str, str]:
    """Split a request target (`/path?query`) into its raw path and raw query."""
    target = raw_target.decode("ascii") if isinstance(raw_target, bytes) else raw_target
    path, _, query = target.partition("?")
    return path, query


def signed_message(
    *, timestamp: str, method: str, path: str, query: str = "", body: bytes = b""
) -> bytes:
    """Return the bytes to sign. `path` is the raw path as sent; it is canonicalized here."""
    head = f"{timestamp}{method.upper()}{canonical_path(path)}" + (f"?{query}" if query else "")
    return head.encode() + body


def websocket_message(*, timestamp: str) -> bytes:
    """What a WebSocket client signs to authenticate: timestamp + "authenticate"."""
    return f"{timestamp}authenticate".encode()


def hmac_signature(secret: str, message: bytes) -> str:
    """HMAC-SHA256 of `message` with the key's secret, lowercase hex."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def load_ed25519_private_key(value: Any) -> Any:
    """Return a `cryptography` Ed25519 private key from a key object, PEM (text or bytes), the
    raw 32-byte seed, or its base64 (text, or bytes read from a file).

    Raises ConfigurationError when `cryptography` is missing (install the `ed25519` extra) or
    the value is not an Ed25519 private key.
    """
    from trading_client.errors import ConfigurationError

    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigurationError(
            "Ed25519 signing needs the `cryptography` package: "
            "pip install 'trading-client[ed25519]'"
        ) from exc
    if isinstance(value, Ed25519PrivateKey):
        return value
    raw: bytes
    if isinstance(value, str):
        text = value.strip()
        raw = text.encode() if text.startswith("-----BEGIN") else _b64(text)
    elif isinstance(value, bytes):
        raw = value
    else:
        raise ConfigurationError(f"unsupported Ed25519 private key type {type(value).__name__}")
    if raw.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(raw, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError("the PEM key is not an Ed25519 private key")
        return key
    if len(raw) != 32 and isinstance(value, bytes):
        raw = _b64(raw.decode("ascii", errors="replace").strip())  # a file holding base64
    if len(raw) != 32:
        raise ConfigurationError("an Ed25519 private key (seed) is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _b64(text: str) -> bytes:
    from trading_client.errors import ConfigurationError

    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ConfigurationError("the Ed25519 private key is neither PEM nor base64") from exc


def ed25519_signature(private_key: Any, message: bytes) -> str:
    """Ed25519 signature of `message`, standard base64."""
    return base64.b64encode(private_key.sign(message)).decode()


def ed25519_public_key_b64(private_key: Any) -> str:
    """Base64 of the raw 32-byte public key: what `POST /api-keys` takes as `public_key`."""
    return base64.b64encode(private_key.public_key().public_bytes_raw()).decode()
