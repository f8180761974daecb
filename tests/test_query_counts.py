"""SQL statements per request on the hot endpoints, pinned so a regression fails here.

Measured with an HMAC-signed key whose cache entry is warm (the usual case: a client sends many
requests) and the demo risk configuration, so every pre-trade rule reads what it needs. The
counts include the middleware's writes (idempotency claim and completion, the audit row).
SQLite chains audit rows in the writing transaction (three statements more per append);
PostgreSQL leaves that to the chainer after commit.
"""

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from access.tests.helpers import hmac_headers, key_make
from risk.seed import DEMO_RISK_CONFIG
from risk.services import risk_config_get_or_create, risk_config_update

pytestmark = pytest.mark.django_db

# endpoint -> (SQLite, PostgreSQL)
EXPECTED = {
    "GET /me": (1, 1),
    "GET /balances": (1, 1),
    "POST /orders": (24, 18),
}


@pytest.fixture
def signed_key(trader, account, aapl, generous_rate_limits):
    risk_config_get_or_create(account=account)
    risk_config_update(account=account, changes=DEMO_RISK_CONFIG)
    api_key, secret = key_make(
        user=trader, account=account, scopes=["read", "trade"], scheme="hmac"
    )
    return api_key, secret


def _get(client, key, path):
    api_key, secret = key
    query = f"n={uuid.uuid4().hex}"
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="GET", path=path, query=query
    )
    return client.get(f"{path}?{query}", **headers)


def _order(client, key):
    api_key, secret = key
    body = json.dumps(
        {
            "symbol": "AAPL",
            "side": "buy",
            "order_type": "limit",
            "quantity": "1",
            "limit_price": "99.00",
            "client_order_id": uuid.uuid4().hex,
        }
    ).encode()
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="POST", path="/api/v1/orders", body=body
    )
    return client.post(
        "/api/v1/orders",
        data=body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        **headers,
    )


REQUESTS = {
    "GET /me": (lambda client, key: _get(client, key, "/api/v1/me"), 200),
    "GET /balances": (lambda client, key: _get(client, key, "/api/v1/balances"), 200),
    "POST /orders": (_order, 201),
}


@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_statements_per_request(signed_key, endpoint):
    send, ok = REQUESTS[endpoint]
    client = APIClient()
    assert send(client, signed_key).status_code == ok  # warms the credential cache

    with CaptureQueriesContext(connection) as captured:
        response = send(client, signed_key)

    assert response.status_code == ok
    sqlite, postgres = EXPECTED[endpoint]
    expected = postgres if connection.vendor == "postgresql" else sqlite
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == expected, "\n".join(statements)
