"""Redis unreachable: what keeps working, what fails closed, and that nothing answers HTML.

The default cache is pointed at a port where nothing listens, so every cache call really fails
the way it does when Redis is down (connection refused), through the production backend.
"""

import json

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from access.tests.helpers import hmac_headers, key_make
from orders.models import Order

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings, aapl, trader_api):
    """Orders exist before the outage (the fixtures write quotes while the cache is up)."""
    order = trader_api.post(
        "/api/v1/orders",
        {"symbol": "AAPL", "side": "buy", "order_type": "limit", "quantity": "1",
         "limit_price": "90"},
        format="json",
    ).json()  # fmt: skip
    dead = {
        "default": {
            "BACKEND": "kernel.cache.SharedPoolRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # A context, not the `settings` fixture: the outage ends before the autouse fixtures clear
    # the (then working) cache after the test.
    with override_settings(CACHES=dead):
        assert caches["default"].__class__.__name__ == "SharedPoolRedisCache"
        yield order


def _json(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_health_reports_the_cache_down_as_json(redis_down):
    body = _json(APIClient().get("/api/v1/health"), 200)
    assert body == {"status": "degraded", "checks": {"database": "up", "cache": "down"}}


def test_status_reports_the_cache_down(redis_down, reader_api):
    assert _json(reader_api.get("/api/v1/status"), 200)["connections"]["cache"] == "down"


def test_reads_work_and_are_still_rate_limited_in_process(redis_down, reader_api, settings):
    settings.RATE_LIMITS = {"data": "2/d", "trading": "1/d"}
    first = reader_api.get("/api/v1/balances")
    _json(first, 200)
    assert first["X-RateLimit-Limit"] == "2"
    _json(reader_api.get("/api/v1/orders"), 200)
    assert _json(reader_api.get("/api/v1/orders"), 429)["error"]["code"] == "RATE_LIMITED"


def test_a_cancel_works(redis_down, trader_api):
    body = _json(trader_api.delete(f"/api/v1/orders/{redis_down['id']}"), 200)
    assert body["status"] in ("canceled", "pending_cancel")


def test_new_orders_are_refused_without_live_prices(redis_down, trader_api):
    response = trader_api.post(
        "/api/v1/orders",
        {"symbol": "AAPL", "side": "buy", "order_type": "market", "quantity": "1"},
        format="json",
    )
    assert _json(response, 503)["error"]["code"] in ("CACHE_UNAVAILABLE", "SERVICE_UNAVAILABLE")
    assert Order.objects.count() == 1


def test_quotes_are_unavailable_not_an_error(redis_down, reader_api):
    body = _json(reader_api.get("/api/v1/quotes/AAPL"), 503)
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert body["error"]["details"]["symbol"] == "AAPL"


def test_signed_requests_fail_closed(redis_down, trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read",), scheme="hmac")
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="GET", path="/api/v1/balances"
    )
    body = _json(APIClient().get("/api/v1/balances", **headers), 503)
    assert body["error"]["code"] == "CACHE_UNAVAILABLE"


def test_unknown_paths_and_refused_credentials_still_answer_json(redis_down):
    _json(APIClient().get("/api/v1/nope"), 404)
    anonymous = APIClient()
    anonymous.credentials(HTTP_AUTHORIZATION="Api-Key nope.nope")
    _json(anonymous.get("/api/v1/balances"), 401)
    assert json.loads(anonymous.get("/api/v1/balances").content)["error"]["request_id"]


def test_login_fails_closed_without_its_limiter(redis_down, trader):
    response = APIClient().post(
        "/api/v1/auth/token", {"username": trader.username, "password": "x"}, format="json"
    )
    assert _json(response, 503)["error"]["code"] == "CACHE_UNAVAILABLE"
