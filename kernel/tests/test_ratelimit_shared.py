"""On Redis, a request's rate-limit windows are counted in one round trip, in the same windows
django-ratelimit's `get_usage` counts (services mode)."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from kernel.api.ratelimit import Count, _usages, pre_auth_refusal

pytestmark = pytest.mark.services


@pytest.fixture
def request_():
    return RequestFactory().get("/api/v1/me", REMOTE_ADDR="10.9.8.7")


def _library(request, key: str, rate: str, increment: bool) -> dict:
    return get_usage(
        request, group="api:data", key=lambda _g, _r: key, rate=rate, increment=increment
    )


def test_the_batched_count_and_get_usage_count_the_same_window(clock, request_):
    # given: the shared cache is Redis, which counts in one round trip
    assert hasattr(caches["default"], "window_counts")
    # when: the library counts twice, then the batch counts once and reads once
    _library(request_, "api_key:kshared", "5/m", True)
    _library(request_, "api_key:kshared", "5/m", True)
    counted, read = _usages(
        request_,
        [
            Count("data", "api_key:kshared", "5/m", True),
            Count("data", "api_key:kshared", "5/m", False),
        ],
    )
    # then: both see one window: 3 after the batch's count, and the library agrees
    assert counted["count"] == 3
    assert read["count"] == 3
    library = _library(request_, "api_key:kshared", "5/m", False)
    assert library == {**counted, "count": 3}
    assert counted["limit"] == 5
    assert counted["should_limit"] is False


def test_a_new_window_starts_at_one_and_rolls_over_with_the_clock(clock, request_):
    first = _usages(request_, [Count("data", "api_key:kroll", "2/s", True)])[0]
    assert first["count"] == 1
    second, third = _usages(request_, [Count("data", "api_key:kroll", "2/s", True)] * 2)
    assert (second["count"], third["count"]) == (2, 3)
    assert third["should_limit"] is True
    assert _library(request_, "api_key:kroll", "2/s", False)["count"] == 3

    clock.now += 1

    assert _usages(request_, [Count("data", "api_key:kroll", "2/s", True)])[0]["count"] == 1


def test_reading_a_window_does_not_count_it(clock, request_):
    reads = _usages(request_, [Count("data", "ip:10.9.8.7", "3/s", False)] * 3)
    assert [usage["count"] for usage in reads] == [0, 0, 0]


def test_pre_authentication_refuses_a_locked_out_key_id(clock, settings):
    # given: a key id with as many refused credentials as the window allows
    settings.RATE_LIMIT_AUTH_FAILURES = "2/m"
    request = RequestFactory().get("/api/v1/me", REMOTE_ADDR="10.9.8.6", HTTP_X_API_KEY="kbad")
    for _ in range(2):
        get_usage(
            request,
            group="api:auth-failures",
            key=lambda _g, _r: "key:kbad",
            rate="2/m",
            increment=True,
        )
    # when / then: the one round trip before authentication names that key id
    refusal = pre_auth_refusal(request)
    assert refusal is not None
    assert refusal["source"] == "key:kbad"
    assert refusal["count"] == 2
