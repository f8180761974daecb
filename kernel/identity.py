"""Who is calling: the client address and a label of the credential, from any request.

Duck-typed on what authentication leaves on the request (`request.auth` with a `key_id` for an
API key, a token `payload` for a JWT, `request.user` for a session), so the audit trail, rate
limits and logs can name the caller without importing the identity app.
"""

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Any) -> str:
    """Return the client's address ("" when unknown).

    The peer address, unless the peer is one of TRUSTED_PROXIES: then the right-most address of
    `X-Forwarded-For` that is not a trusted proxy (each proxy appends the peer it saw, so the
    entries left of the first untrusted one may be forged by the client).
    """
    meta = getattr(request, "META", None) or {}
    peer = meta.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _trusted(address, networks):
            return address
    return peer


def credential_label(request: Any) -> str:
    """Name the credential behind a request: "jwt:<jti>", "api_key:<key_id>", "session" or
    "anonymous"; the audit trail stores it next to the actor."""
    auth = getattr(request, "auth", None)
    key_id = getattr(auth, "key_id", None)
    if key_id:
        return f"api_key:{key_id}"
    if auth is not None and hasattr(auth, "payload"):
        return f"jwt:{auth.payload.get('jti', '')}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return "session"
    return "anonymous"
