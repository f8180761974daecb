"""Every /api/v1/ endpoint, including ones added later, refuses anonymous callers."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.test import APIClient

from kernel.api.errors import api_not_found

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1/"
# Endpoints that take credentials themselves, the public liveness probe, and the browsable
# API's session logout page (it only ends the caller's own session and shows no data).
PUBLIC = {
    "/api/v1/health",
    "/api/v1/auth/token",
    "/api/v1/auth/token/refresh",
    "/api/v1/auth/login/",
    "/api/v1/auth/logout/",
}
METHODS = ("get", "post", "put", "patch", "delete")
SAMPLES = ("1", "AAPL", "abc", str(uuid.UUID(int=1)), "BTC-USD", "2024-01-01")
_NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")
_CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _sample_matching(regex: str) -> str:
    for candidate in SAMPLES:
        if re.fullmatch(regex, candidate):
            return candidate
    raise AssertionError(f"no sample value matches {regex!r}: add one to SAMPLES")


def _regex_to_path(regex: str) -> str:
    text = _NAMED_GROUP.sub(lambda match: _sample_matching(match["body"]), regex)
    text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    # Optional trailing slash of slash-tolerant routers.
    return text.replace("/?", "").replace("\\", "")


def _route_to_path(pattern: RoutePattern) -> str:
    route = str(pattern)

    def sample(match: re.Match) -> str:
        converter = pattern.converters[match["name"]]
        return _sample_matching(converter.regex)

    return _CONVERTER.sub(sample, route)


def _segment(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_to_path(pattern)
    if isinstance(pattern, RegexPattern):
        return _regex_to_path(pattern.regex.pattern)
    raise AssertionError(f"unknown pattern type {type(pattern)!r}")


def _endpoints(resolver: URLResolver, prefix: str = "/"):
    for entry in resolver.url_patterns:
        try:
            path = prefix + _segment(entry.pattern)
        except AssertionError:
            # Outside the API (e.g. the admin's app list) a route may need samples we lack.
            if prefix.startswith(API_PREFIX):
                raise
            continue
        if isinstance(entry, URLResolver):
            yield from _endpoints(entry, path)
        elif isinstance(entry, URLPattern):
            yield path, entry


def api_endpoints() -> list[tuple[str, URLPattern]]:
    """(sample path, pattern) of every route under /api/v1/ except the catch-all 404."""
    found = []
    for path, pattern in _endpoints(get_resolver()):
        if not path.startswith(API_PREFIX) or pattern.callback is api_not_found:
            continue
        found.append((path, pattern))
    return found


def test_the_walk_finds_the_known_endpoints():
    paths = {path for path, _ in api_endpoints()}

    assert {"/api/v1/me", "/api/v1/api-keys", "/api/v1/api-keys/1", "/api/v1/status"} <= paths
    assert paths >= PUBLIC


def test_every_sample_path_resolves_to_its_own_view():
    for path, pattern in api_endpoints():
        assert resolve(path).func is pattern.callback, path


@pytest.mark.parametrize("method", METHODS)
def test_every_api_endpoint_refuses_anonymous_callers(method, settings):
    # Hundreds of refused calls from one address in a second: the limits on those are tested
    # apart (tests/test_floods.py).
    settings.RATE_LIMIT_IP = settings.RATE_LIMIT_AUTH_FAILURES = "100000/s"
    client = APIClient()
    accepted = []
    for path, _ in api_endpoints():
        if path in PUBLIC:
            continue
        response = getattr(client, method)(path)
        redirected_to_login = response.status_code == 302 and response["Location"].startswith(
            "/api/v1/auth/login/"
        )
        refused = response.status_code == 401 or redirected_to_login
        # A non-DRF view may refuse a method it does not serve before looking at credentials.
        if method != "get" and response.status_code == 405:
            refused = True
        if response.status_code == 401 and response["Content-Type"] == "application/json":
            assert response.json()["error"]["code"] == "NOT_AUTHENTICATED", path
        if not refused:
            accepted.append((path, response.status_code))

    assert accepted == []


def test_health_is_public():
    assert APIClient().get("/api/v1/health").status_code == 200
