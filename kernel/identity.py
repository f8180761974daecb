"""Who is calling: the client address and a label of the credential, from any request.

Duck-typed on what authentication leaves on the request (`request.auth` with a `key_id` for an
API key, a token `payload` for a JWT, `request.user` for a session), so the audit trail, rate
limits and logs can name the caller without importing the identity app.
"""

from typing import Any


def client_ip(request: Any) -> str:
    """Return the peer address the server saw ("" when unknown)."""
    meta = getattr(request, "META", None) or {}
    return meta.get("REMOTE_ADDR") or ""


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
