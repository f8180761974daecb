"""DRF hook that claims the Idempotency-Key of every mutating call after authentication."""

from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

from idempotency.services import idempotency_fingerprint, idempotency_key_claim

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
ROUTE_MAX_LENGTH = 300


class IdempotentReplay(APIException):
    """Short-circuits the view; IdempotencyMiddleware answers with the stored response instead."""

    status_code = 200
    default_code = "idempotent_replay"
    default_detail = "Replayed"


def idempotency_owner(request) -> str | None:
    """Return the owner that scopes keys: the API key if one was used, else the user."""
    key_id = getattr(request.auth, "key_id", None)
    if key_id:
        return f"api_key:{key_id}"
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def idempotency_key_header(request) -> str | None:
    """Return the client's idempotency key from either header name, or None."""
    for name in KEY_HEADERS:
        value = request.headers.get(name)
        if value is not None:
            return value.strip()
    return None


def _body_of(request) -> object:
    data = request.data
    if hasattr(data, "lists"):
        return {name: values for name, values in data.lists()}
    return data


class IdempotencyGate(BaseThrottle):
    """Listed last in DEFAULT_THROTTLE_CLASSES: runs for every view once the caller is known.

    A throttle is the one DRF hook that runs after authentication and permissions for every view
    without a shared base class. It never refuses for load; it claims the key, raises the domain
    errors for reuse and in-flight, or hands a stored response to IdempotencyMiddleware.
    """

    def allow_request(self, request, view) -> bool:
        """Return True after claiming the key (or when there is nothing to claim)."""
        if request.method not in MUTATING_METHODS:
            return True
        key = idempotency_key_header(request)
        owner = idempotency_owner(request)
        if key is None or owner is None:
            return True
        route = f"{request.method} {request._request.path}"[:ROUTE_MAX_LENGTH]
        # The fingerprint covers the query string too: it is part of what the client asked.
        fingerprint = idempotency_fingerprint(
            method=request.method, path=request._request.get_full_path(), body=_body_of(request)
        )
        claim = idempotency_key_claim(owner=owner, route=route, key=key, fingerprint=fingerprint)
        if claim.is_replay:
            request._request.idempotency_replay = claim.record
            raise IdempotentReplay()
        request._request.idempotency_claim_id = claim.record.id
        return True
