"""Who is acting: the current request (set by the audit middleware) or the system."""

import contextlib
import contextvars
from dataclasses import dataclass

from django.http import HttpRequest

from kernel.identity import client_ip, credential_label
from kernel.request_context import request_id_get

SYSTEM_ACTOR = "system"

_request_var: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)


@dataclass(frozen=True)
class Actor:
    """The identity an audit row is attributed to."""

    actor_id: int | None
    username: str
    credential: str
    ip: str
    request_id: str


@contextlib.contextmanager
def audit_request_bound(request: HttpRequest):
    """Make `request` the source of the actor for audit rows written while the block runs."""
    token = _request_var.set(request)
    try:
        yield
    finally:
        _request_var.reset(token)


def actor_current() -> Actor:
    """Return the actor of the current request, or the system actor outside requests.

    DRF copies the user and auth it resolved onto the Django request, so this sees token and
    API-key callers as well as session users once authentication has run.
    """
    request = _request_var.get()
    if request is None:
        return Actor(
            actor_id=None,
            username=SYSTEM_ACTOR,
            credential=SYSTEM_ACTOR,
            ip="",
            request_id=_request_id_or_blank(),
        )
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        actor_id, username = None, "anonymous"
    else:
        actor_id, username = user.pk, user.get_username()
    return Actor(
        actor_id=actor_id,
        username=username,
        credential=credential_label(request),
        ip=client_ip(request),
        request_id=getattr(request, "request_id", "") or _request_id_or_blank(),
    )


def _request_id_or_blank() -> str:
    request_id = request_id_get()
    return "" if request_id == "-" else request_id
