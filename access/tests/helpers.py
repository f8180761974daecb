"""Helpers for access-control tests: keys through the service, signed request headers."""

import base64
import hashlib
import hmac
import time

from cryptography.hazmat.primitives import serialization
from rest_framework.test import APIClient

from access.credentials import signed_message
from access.services import api_key_create


def key_make(*, user, account, scopes=("read",), **kwargs):
    """Create a key through the service; return (key, secret)."""
    return api_key_create(user=user, account=account, name="test key", scopes=scopes, **kwargs)


def simple_client(api_key, secret) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key.key_id}.{secret}")
    return client


def now_ms() -> int:
    return int(time.time() * 1000)


def hmac_sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def hmac_headers(
    *, key_id, secret, method, path, query="", body=b"", timestamp=None
) -> dict[str, str]:
    timestamp = str(now_ms() if timestamp is None else timestamp)
    message = signed_message(timestamp=timestamp, method=method, path=path, query=query, body=body)
    return {
        "HTTP_X_API_KEY": key_id,
        "HTTP_X_TIMESTAMP": timestamp,
        "HTTP_X_SIGNATURE": hmac_sign(secret, message),
    }


def ed25519_sign(private_key, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message)).decode()


def ed25519_headers(
    *, key_id, private_key, method, path, query="", body=b"", timestamp=None
) -> dict[str, str]:
    timestamp = str(now_ms() if timestamp is None else timestamp)
    message = signed_message(timestamp=timestamp, method=method, path=path, query=query, body=body)
    return {
        "HTTP_X_API_KEY": key_id,
        "HTTP_X_TIMESTAMP": timestamp,
        "HTTP_X_SIGNATURE": ed25519_sign(private_key, message),
    }


def public_key_b64(private_key) -> str:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()
