"""Rate limits per credential and route class on django-ratelimit: a DRF throttle, a header hook."""

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from kernel.identity import client_ip

logger = logging.getLogger(__name__)

HEADER_LIMIT = "X-RateLimit-Limit"
HEADER_REMAINING = "X-RateLimit-Remaining"
HEADER_RESET = "X-RateLimit-Reset"


_RATE = re.compile(r"^([1-9][0-9]{0,8})/([1-9][0-9]{0,5})?([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """Return (count, window seconds) of a rate like "20/s" or "100/5m"; ValueError otherwise.

    The count and the window are at least 1: "0/s" and "1/0s" are refused, because django-ratelimit
    would divide by the zero window on every request the rate applies to.
    """
    match = _RATE.match(rate) if isinstance(rate, str) else None
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (e.g. 20/s, 100/m, 1000/5m).")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


def rate_per_second(rate: str) -> Fraction:
    """The rate as an exact number of requests per second, to compare two rates."""
    count, seconds = rate_parse(rate)
    return Fraction(count, seconds)


def rate_class_of(view) -> str | None:
    """Return the view's `rate_class`, "data" when it declares none.

    Only order entry, cancel and control are "trading" (the contract), and those views say so; a
    view that sets `rate_class = None` is not rate limited (health checks).
    """
    return getattr(view, "rate_class", "data")


def rate_key_of(request) -> str:
    """Return whom the limit counts against: the API key, else the user, else the client IP."""
    key_id = getattr(request.auth, "key_id", None)
    if key_id:
        return f"api_key:{key_id}"
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return _ip_key(request._request)


def _ip_key(request: HttpRequest) -> str:
    return f"ip:{client_ip(request)}"


class LocalWindows:
    """Fixed-window counters in this process: the limiter while the shared cache is down.

    Each process then allows the full rate, so N processes allow up to N times the limit for
    as long as Redis is away: a bounded degradation, chosen over refusing all order flow.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def usage(self, key: str, rate: str, *, increment: bool) -> dict:
        limit, period = rate_parse(rate)
        now = time.time()
        window = int(now // period)
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + (1 if increment else 0)
            if increment:
                self._counts[(key, window)] = count
        return {
            "count": count,
            "limit": limit,
            "should_limit": count > limit,
            "time_left": int((window + 1) * period - now),
        }


local_windows = LocalWindows()


@dataclass(frozen=True)
class Count:
    """One fixed window a request is counted in (or only read from, `increment=False`)."""

    rate_class: str
    key: str
    rate: str
    increment: bool


def _usages(request: HttpRequest, counts: Sequence[Count]) -> list[dict | None]:
    """django-ratelimit's usage record ({count, limit, should_limit, time_left}) of each window.

    On the Redis cache every window of the call is counted in one round trip (a request is
    counted in three before authentication and one after); elsewhere each goes through
    django-ratelimit's `get_usage`. Both use django-ratelimit's cache keys and windows, so the
    two ways count the same windows. An unreachable Redis falls back to this process's counters.
    """
    try:
        return _shared_usages(request, counts)
    except (RedisError, OSError) as exc:
        logger.warning("rate limits: shared cache unreachable (%r); counting in process", exc)
        return [
            local_windows.usage(f"api:{c.rate_class}:{c.key}", c.rate, increment=c.increment)
            for c in counts
        ]


def _shared_usages(request: HttpRequest, counts: Sequence[Count]) -> list[dict | None]:
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    window_counts = getattr(cache, "window_counts", None)
    if window_counts is None or not getattr(settings, "RATELIMIT_ENABLE", True):
        return [
            get_usage(
                request,
                group=f"api:{c.rate_class}",
                key=lambda _group, _request, key=c.key: key,
                rate=c.rate,
                increment=c.increment,
            )
            for c in counts
        ]
    # The window and key django-ratelimit's get_usage would use (its clock included, which
    # tests freeze); kernel/tests/test_ratelimit_shared.py holds the two ways to the same counts.
    entries, windows = [], []
    for c in counts:
        limit, period = rate_parse(c.rate)
        window = ratelimit_core._get_window(c.key, period)
        key = ratelimit_core._make_cache_key(f"api:{c.rate_class}", window, c.rate, c.key, ALL)
        entries.append((key, c.increment, period + ratelimit_core.EXPIRATION_FUDGE))
        windows.append((limit, window))
    now = int(ratelimit_core.time.time())
    return [
        {"count": count, "limit": limit, "should_limit": count > limit, "time_left": window - now}
        for count, (limit, window) in zip(window_counts(entries), windows, strict=True)
    ]


def _usage(request: HttpRequest, *, rate_class: str, key: str, rate: str, increment: bool):
    return _usages(request, [Count(rate_class, key, rate, increment)])[0]


def rate_limit_headers(usage: dict) -> dict[str, str]:
    """Return the X-RateLimit-* headers for a django-ratelimit usage record."""
    # django-ratelimit reports the seconds left before its window's last second; the counter
    # starts over one second after that.
    return {
        HEADER_LIMIT: str(usage["limit"]),
        HEADER_REMAINING: str(max(0, usage["limit"] - usage["count"])),
        HEADER_RESET: str(max(1, usage["time_left"] + 1)),
    }


def rate_of(request, rate_class: str) -> str:
    """Return the rate ("N/s") for the class: the API key's own override, else the settings."""
    overrides = getattr(request.auth, "rate_limits", None) or {}
    override = overrides.get(rate_class)
    if override:
        try:
            rate_parse(override)
        except ValueError:
            # A key stored before rates were validated: the class default applies, not a 500.
            return settings.RATE_LIMITS[rate_class]
        return override
    return settings.RATE_LIMITS[rate_class]


class CredentialRateThrottle(BaseThrottle):
    """Fixed-window counter in the Django cache (Redis in services mode, shared by processes).

    Sets X-RateLimit-Limit/Remaining/Reset on the view's response headers, and refuses with
    Throttled (429 RATE_LIMITED with Retry-After) once the window's count passes the limit.
    """

    def allow_request(self, request, view) -> bool:
        """Count this request; return True while under the limit, else raise Throttled."""
        rate_class = rate_class_of(view)
        if rate_class is None:
            return True
        usage = _usage(
            request._request,
            rate_class=rate_class,
            key=rate_key_of(request),
            rate=rate_of(request, rate_class),
            increment=True,
        )
        if usage is None:
            return True
        headers = rate_limit_headers(usage)
        view.headers.update(headers)
        if usage["should_limit"]:
            raise Throttled(wait=int(headers[HEADER_RESET]))
        return True


class RateLimitHeadersMiddleware:
    """Gives X-RateLimit-* to /api/ responses the throttle never saw (refused credentials, 404s).

    Those callers are anonymous, so the headers show the client IP's "data" budget, read without
    counting: refusing them is authentication's job, and a 401 must stay a 401.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or HEADER_LIMIT in response:
            return response
        usage = _usage(
            request,
            rate_class="data",
            key=_ip_key(request),
            rate=settings.RATE_LIMITS["data"],
            increment=False,
        )
        if usage is not None:
            for name, value in rate_limit_headers(usage).items():
                response[name] = value
        return response


# --- before authentication: floods by client IP, failed credentials by IP and key id -----------


def claimed_key_id(request: HttpRequest) -> str:
    """The API key id a request names (signed or simple), whether or not it verifies."""
    key_id = request.META.get("HTTP_X_API_KEY", "")
    if not key_id:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "api-key":
            key_id = token.partition(".")[0]
    return key_id[:64]


def failure_keys(request: HttpRequest) -> list[str]:
    """The sources a request is counted under before authentication: "ip:<client IP>", and
    "key:<key id>" when it names an API key (kernel.api.gate looks its lockouts up by them)."""
    keys = [f"ip:{client_ip(request)}"]
    if key_id := claimed_key_id(request):
        keys.append(f"key:{key_id}")
    return keys


def auth_failure_count(request: HttpRequest) -> int:
    """Count one refused credential against the client IP and the key id it named; return the
    higher of the two counts in the current window (1 for the first failure)."""
    rate = settings.RATE_LIMIT_AUTH_FAILURES
    counts = [Count("auth-failures", key, rate, True) for key in failure_keys(request)]
    return max((usage or {}).get("count", 1) for usage in _usages(request, counts))


def pre_auth_refusal(request: HttpRequest) -> dict | None:
    """Return the usage that refuses this request before authentication, else None.

    Two budgets, checked before any credential is looked at: every request of a client IP
    (`RATE_LIMIT_IP`), and the refused credentials of an IP or a key id
    (`RATE_LIMIT_AUTH_FAILURES`): past it, the source gets 429 until the window ends. The
    usage's "source" names the refused IP or key id ("ip:<address>", "key:<key id>").
    """
    ip_key = f"ip:{client_ip(request)}"
    sources = failure_keys(request)
    rate = settings.RATE_LIMIT_AUTH_FAILURES
    ip_usage, *failures = _usages(  # one round trip for the three windows
        request,
        [Count("ip", ip_key, settings.RATE_LIMIT_IP, True)]
        + [Count("auth-failures", key, rate, False) for key in sources],
    )
    if ip_usage is not None and ip_usage["should_limit"]:
        return {**ip_usage, "source": ip_key}
    for key, usage in zip(sources, failures, strict=True):
        if usage is not None and usage["count"] >= usage["limit"]:
            return {**usage, "source": key}
    return None
