"""In front of Django: a source the shared limiter has locked out is refused here until its end.

The decision stays with the shared limiter (the cache, Redis in services mode, counted by
`kernel.api.guard` before authentication). When the guard refuses a source (a client IP over
`RATE_LIMIT_IP`, an IP or a key id past `RATE_LIMIT_AUTH_FAILURES`), it notes here the source and
the end of the window that locks it. Until then this process answers that source's `/api/`
requests from the server's own callable: the same `429 RATE_LIMITED` JSON, `Retry-After` and
`X-RateLimit-*` as the guard's, without reading the body, building a Django request, a thread hop
or a cache call. `/api/v1/health` is never refused.

The copy here is only a cache of the shared decision:
- a lock decided by any process is found by every other one on the source's next request, because
  a source not held here goes through the guard and its cache lookup as before;
- a hold ends when the shared window ends, and never lasts more than
  `RATE_LIMIT_LOCAL_HOLD_SECONDS` without asking the shared limiter again, so a lock lifted early
  in the cache (an operator deleting the counters) is still applied here for at most that long.

Under ASGI (daphne, `manage.py serve`: the embedded server, the services mode's WebSocket process)
the 429 of a held source is sent after `RATE_LIMIT_REFUSAL_DELAY_SECONDS` (never past the lock's
end): the wait costs the event loop nothing, and it stops a locked-out client that does not honour
`Retry-After` from turning the cheaper refusal into more requests on each connection. At most
`MAX_DELAYED` answers wait at once per process; past that they are sent at once. Under WSGI
(gunicorn, `manage.py serve_http`: the services mode's HTTP) the answer is never delayed, since it
would hold one of the worker's threads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings

from kernel.api.errors import error_body
from kernel.api.ratelimit import HEADER_LIMIT, HEADER_REMAINING, HEADER_RESET, failure_keys
from kernel.api.renderers import json_dumps
from kernel.request_context import request_id_for, request_id_var

# Load-balancer probes are never refused for their rate.
UNLIMITED_PATHS = frozenset({"/api/v1/health"})
REFUSAL_MESSAGE = "Too many requests or refused credentials from this source."
# More sources than this held at once (a flood from very many addresses): the ones past it are
# refused by the guard, inside Django, as before.
MAX_SOURCES = 100_000
# Delayed answers waiting at once in one ASGI process (each holds its request's body).
MAX_DELAYED = 256


@dataclass(frozen=True)
class Refusal:
    """A held source's answer: the limit, Retry-After, and the seconds its lock has left."""

    limit: int
    retry_after: int
    seconds_left: float


@dataclass(frozen=True)
class _Hold:
    window_end: float  # when the shared limiter's lock ends (wall clock, seconds)
    hold_end: float  # when this process asks the shared limiter again
    limit: int


class Lockouts:
    """The shared limiter's lockouts as this process last saw them: source -> until when."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._holds: dict[str, _Hold] = {}
        self._lock = threading.Lock()

    def hold(self, source: str, *, window_end: float, limit: int) -> None:
        """Note that the shared limiter refuses `source` until `window_end` (epoch seconds)."""
        now = self._clock()
        if window_end <= now:
            return
        entry = _Hold(
            window_end=window_end,
            hold_end=min(window_end, now + settings.RATE_LIMIT_LOCAL_HOLD_SECONDS),
            limit=limit,
        )
        with self._lock:
            held = self._holds.get(source)
            if held is not None and held.hold_end >= entry.hold_end:
                return  # an IP over its 1 s rate may also be locked for its refused credentials
            if len(self._holds) >= MAX_SOURCES:
                self._holds = {k: v for k, v in self._holds.items() if v.hold_end > now}
                if len(self._holds) >= MAX_SOURCES:
                    return
            self._holds[source] = entry

    def refusal(self, sources: Iterable[str]) -> Refusal | None:
        """Return the refusal when one of `sources` is held, else None."""
        now = self._clock()
        for source in sources:
            entry = self._holds.get(source)
            if entry is None:
                continue
            if now < entry.hold_end:
                # As the guard's X-RateLimit-Reset: whole seconds to the window's end.
                retry_after = max(1, int(entry.window_end) - int(now))
                return Refusal(entry.limit, retry_after, entry.window_end - now)
            with self._lock:
                if self._holds.get(source) is entry:
                    del self._holds[source]
        return None

    def clear(self) -> None:
        """Forget every hold (the next request of each source asks the shared limiter)."""
        with self._lock:
            self._holds.clear()

    def __bool__(self) -> bool:
        return bool(self._holds)


lockouts = Lockouts()


def _refused(
    path: str, meta: dict, book: Lockouts
) -> tuple[Refusal, list[tuple[str, str]], bytes] | None:
    """The refusal, the 429's headers and body when the request's source is held, else None."""
    if not book or not path.startswith("/api/") or path in UNLIMITED_PATHS:
        return None
    refusal = book.refusal(failure_keys(SimpleNamespace(META=meta)))  # type: ignore[arg-type]
    if refusal is None:
        return None
    request_id = request_id_for(meta.get("HTTP_X_REQUEST_ID"))
    token = request_id_var.set(request_id)
    try:
        body = json_dumps(error_body("RATE_LIMITED", REFUSAL_MESSAGE))
    finally:
        request_id_var.reset(token)
    headers = [
        ("Content-Type", "application/json"),
        (HEADER_LIMIT, str(refusal.limit)),
        (HEADER_REMAINING, "0"),
        (HEADER_RESET, str(refusal.retry_after)),
        ("Retry-After", str(refusal.retry_after)),
        ("Cache-Control", "no-store"),
        ("X-Request-ID", request_id),
        ("Content-Length", str(len(body))),
    ]
    return refusal, headers, body


_ASGI_HEADERS = {
    b"authorization": "HTTP_AUTHORIZATION",
    b"x-api-key": "HTTP_X_API_KEY",
    b"x-forwarded-for": "HTTP_X_FORWARDED_FOR",
    b"x-request-id": "HTTP_X_REQUEST_ID",
}


def _asgi_meta(scope: dict) -> dict:
    # The few META entries the refusal needs, as Django's ASGIRequest would build them
    # (repeated headers joined by commas).
    client = scope.get("client")
    meta = {"REMOTE_ADDR": client[0] if client else ""}
    for name, value in scope.get("headers", ()):
        key = _ASGI_HEADERS.get(name.lower())
        if key is not None:
            text = value.decode("latin1")
            meta[key] = f"{meta[key]},{text}" if key in meta else text
    return meta


class GateASGI:
    """Answers a held source's HTTP requests itself; everything else goes to `app`."""

    def __init__(self, app, book: Lockouts = lockouts) -> None:
        self.app = app
        self.book = book
        self.delayed = 0  # answers waiting now (one event loop: no lock needed)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.book:
            refused = _refused(scope.get("path", ""), _asgi_meta(scope), self.book)
            if refused is not None:
                refusal, headers, body = refused
                delay = min(settings.RATE_LIMIT_REFUSAL_DELAY_SECONDS, refusal.seconds_left)
                if delay > 0 and self.delayed < MAX_DELAYED:
                    self.delayed += 1
                    try:
                        await asyncio.sleep(delay)
                    finally:
                        self.delayed -= 1
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [(k.lower().encode(), v.encode("latin1")) for k, v in headers],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return None
        return await self.app(scope, receive, send)


class GateWSGI:
    """The same in front of a WSGI application."""

    def __init__(self, app, book: Lockouts = lockouts) -> None:
        self.app = app
        self.book = book

    def __call__(self, environ, start_response):
        if self.book:
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            refused = _refused(path, environ, self.book)
            if refused is not None:
                _, headers, body = refused
                start_response("429 Too Many Requests", headers)
                return [body]
        return self.app(environ, start_response)
