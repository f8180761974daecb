"""Key material: secret generation and hashing, HMAC secret encryption, Ed25519 key parsing."""

import base64
import binascii
import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings


def key_id_new() -> str:
    """Return a public, random key id (96 bits, URL-safe, no dots)."""
    return "k" + secrets.token_hex(12)


def secret_new() -> str:
    """Return a new 256-bit secret, URL-safe base64 without padding."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """SHA-256 hex of a secret.

    A fast hash is right here: the secret is 256 random bits, so there is nothing to brute-force,
    and a slow password hash would cost every API call.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(secret_hash(secret), stored_hash)


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    derived = hashlib.sha256(b"api-key-encryption:" + key_material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def secret_encrypt(secret: str) -> str:
    return _fernet(settings.API_KEY_ENCRYPTION_KEY).encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet(settings.API_KEY_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def hmac_signature_matches(secret: str, message: bytes, signature: str) -> bool:
    """Constant-time check of a hex HMAC-SHA256 signature."""
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def ed25519_public_key_normalize(value: str) -> str:
    """Return the base64 of the raw 32-byte key given as base64 raw bytes or PEM.

    Raises ValueError for anything that is not an Ed25519 public key.
    """
    value = value.strip()
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(value.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("not valid base64") from exc
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        Ed25519PublicKey.from_public_bytes(raw)
    return base64.b64encode(raw).decode()


def ed25519_signature_matches(public_key_b64: str, message: bytes, signature: str) -> bool:
    try:
        raw_signature = base64.b64decode(signature.strip(), validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(raw_signature, message)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
