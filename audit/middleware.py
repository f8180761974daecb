"""Middleware writing every mutating API call and every refused credential to the audit trail."""

import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest

from audit.context import actor_current, audit_request_bound
from audit.services import audit_api_call_record
from kernel.api.parsers import json_loads
from kernel.api.ratelimit import auth_failure_count, rate_parse

logger = logging.getLogger(__name__)

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDACTED = "[REDACTED]"
# Parameter names whose values never reach the audit trail (matched case-insensitively, as a
# substring, so "new_password" and "client_secret" are caught too).
_SECRET_FRAGMENTS = (
    "password",
    "secret",
    "token",
    "signature",
    "private",
    "authorization",
    "credential",
    "passphrase",
    "otp",
)
# Names that are secret only as a whole word (simplejwt's "refresh"/"access", a bare "key").
_SECRET_NAMES = frozenset({"refresh", "access", "key", "api_key", "apikey", "pin", "cvv"})
_BODY_AUDIT_MAX_BYTES = 64 * 1024


def is_secret_name(name: str) -> bool:
    """Return True when a parameter of this name must be redacted."""
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(part in lowered for part in _SECRET_FRAGMENTS)


def redact(value):
    """Return `value` with the values of secret-named keys replaced, at any depth."""
    if isinstance(value, dict):
        return {
            str(name): REDACTED if is_secret_name(str(name)) else redact(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _single_or_list(values: list[str]):
    return values[0] if len(values) == 1 else values


def request_params(request: HttpRequest) -> dict:
    """Return the redacted query and body parameters of a request (JSON and form bodies only).

    Reading `request.body` here caches it, so DRF still parses it afterwards.
    """
    params: dict = {}
    if request.GET:
        params["query"] = {name: _single_or_list(v) for name, v in request.GET.lists()}
    content_type = request.content_type or ""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if request.method in MUTATING_METHODS and 0 < length <= _BODY_AUDIT_MAX_BYTES:
        if content_type == "application/json":
            try:
                params["body"] = json_loads(request.body)
            except (ValueError, UnicodeDecodeError):
                params["body"] = "<malformed JSON>"
        elif content_type == "application/x-www-form-urlencoded":
            params["body"] = {name: _single_or_list(v) for name, v in request.POST.lists()}
        else:
            params["body"] = f"<{content_type or 'unknown'} body, {length} bytes>"
    elif length > _BODY_AUDIT_MAX_BYTES:
        params["body"] = f"<{content_type or 'unknown'} body, {length} bytes>"
    return redact(params)


def audit_action_for(method: str, status_code: int) -> str | None:
    """Return the audit action for a response, or None when the call is not audited."""
    if status_code == 401:
        return "auth.failed"
    if status_code == 403:
        return "auth.denied"
    if method in MUTATING_METHODS:
        return "api.request"
    return None


class AuditMiddleware:
    """Binds the request as the audit actor, then records the call once the response is known.

    Placed after Django's AuthenticationMiddleware; DRF copies the user and credential it
    authenticates onto the Django request, so the row names token and API-key callers too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            # Admin and dashboard changes are audited by their services with the staff user.
            with audit_request_bound(request):
                return self.get_response(request)
        started = time.perf_counter()
        params = request_params(request) if request.method in MUTATING_METHODS else None
        with audit_request_bound(request):
            response = self.get_response(request)
            action = audit_action_for(request.method, response.status_code)
            if action is not None:
                self._record(request, response, action, params, started)
        return response

    def _record(self, request, response, action, params, started) -> None:
        if action == "auth.failed":
            # A flood of bad credentials costs bounded storage: no query or body is kept, the
            # first failure of a source in the window is a row, and reaching the limit (after
            # which the source is refused before authentication) is one more row with the count.
            failures = auth_failure_count(request)
            if failures == 1:
                params = {}
            elif failures == rate_parse(settings.RATE_LIMIT_AUTH_FAILURES)[0]:
                action, params = "auth.flood", {"failures": failures}
            else:
                return
        elif params is None:
            params = request_params(request)
        try:
            audit_api_call_record(
                actor=actor_current(),
                action=action,
                method=request.method,
                path=request.path,
                status_code=response.status_code,
                params=params or None,
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
        except DatabaseError:
            # The call has happened and answered; losing its row is logged loudly, not hidden.
            logger.exception("audit row for %s %s not written", request.method, request.path)
