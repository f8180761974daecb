"""Rate limits per credential and route class on django-ratelimit: a DRF throttle, a header hook."""

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

HEADER_LIMIT = "X-RateLimit-Limit"
HEADER_REMAINING = "X-RateLimit-Remaining"
HEADER_RESET = "X-RateLimit-Reset"


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
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def _usage(request: HttpRequest, *, rate_class: str, key: str, rate: str, increment: bool):
    """Return django-ratelimit's usage record, or None when the cache cannot be reached.

    An unreachable cache (Redis down) does not take the API down with it: requests go
    unlimited, with a warning, until it is back.
    """
    try:
        return get_usage(
            request,
            group=f"api:{rate_class}",
            key=lambda _group, _request: key,
            rate=rate,
            increment=increment,
        )
    except (RedisError, OSError):
        logger.warning("rate limits not applied: the cache is unreachable")
        return None


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
    return overrides.get(rate_class) or settings.RATE_LIMITS[rate_class]


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
