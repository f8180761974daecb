"""Order, fill, balance and position endpoints over the API."""

import json
from decimal import Decimal

import pytest

from access.tests.factories import MembershipFactory, UserFactory
from access.tests.helpers import key_make, simple_client
from orders.models import Order, OrderEvent
from orders.services import order_accept, order_submit
from orders.tests.helpers import balance_of, fill, quote_set

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def client(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


@pytest.fixture
def reader(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    return simple_client(api_key, secret)


@pytest.fixture
def other_client(other_account):
    user = UserFactory(username="olga", roles=["trader"])
    MembershipFactory(user=user, account=other_account, is_default=True)
    api_key, secret = key_make(user=user, account=other_account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


def post(client, path, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def error_of(response):
    body = response.json()["error"]
    return response.status_code, body["code"], body["details"]


LIMIT_BUY = {
    "symbol": "aapl",
    "side": "BUY",
    "order_type": "limit",
    "quantity": "10",
    "limit_price": "100.00",
    "client_order_id": "c-1",
}


def test_place_a_limit_order(client, account, aapl):
    response = post(client, "/api/v1/orders", LIMIT_BUY)
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == order.pk
    assert {k: body[k] for k in ("symbol", "side", "order_type", "status", "quantity")} == {
        "symbol": "AAPL",
        "side": "buy",
        "order_type": "limit",
        "status": "pending",
        "quantity": "10",
    }
    assert body["limit_price"] == "100"
    assert body["remaining_quantity"] == "10"
    assert body["filled_quantity"] == "0"
    assert body["locked_amount"] == "1000.5"
    assert body["account"] == account.pk


def test_numbers_are_taken_without_float(client, btc):
    body = {
        "symbol": "BTCUSD",
        "side": "buy",
        "order_type": "limit",
        "quantity": 0.003,
        "limit_price": 40000.5,
    }
    response = client.post(
        "/api/v1/orders",
        data='{"symbol": "BTCUSD", "side": "buy", "order_type": "limit", "quantity": 0.003, '
        '"limit_price": 40000.5}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["quantity"], response.json()["limit_price"]) == (
        str(body["quantity"]),
        str(body["limit_price"]),
    )


def test_validation_error_names_the_field(client, aapl):
    response = post(client, "/api/v1/orders", {**LIMIT_BUY, "limit_price": "100.001"})
    assert error_of(response) == (
        400,
        "VALIDATION_ERROR",
        {"fields": {"limit_price": ["Must be a multiple of the tick size 0.01."]}},
    )
    response = post(client, "/api/v1/orders", {**LIMIT_BUY, "side": "hold"})
    status, code, details = error_of(response)
    assert (status, code, list(details["fields"])) == (400, "VALIDATION_ERROR", ["side"])
    assert Order.objects.count() == 0


def test_preview_changes_nothing(client, account, aapl):
    response = post(client, "/api/v1/orders/preview", LIMIT_BUY)
    assert response.status_code == 200
    assert response.json() == {
        "verdict": "accepted",
        "violations": [],
        "symbol": "AAPL",
        "currency": "USD",
        "estimated_price": "100",
        "notional": "1000",
        "fee": "0.5",
        "locked_amount": "1000.5",
        "protection_price": None,
        "available": "100000",
    }
    assert Order.objects.count() == 0
    assert balance_of(account).locked == 0


def test_retried_idempotency_key_places_one_order(client, aapl):
    first = post(client, "/api/v1/orders", LIMIT_BUY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/orders", LIMIT_BUY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Order.objects.count() == 1


def test_reused_client_order_id_is_409(client, aapl):
    assert post(client, "/api/v1/orders", LIMIT_BUY).status_code == 201
    response = post(client, "/api/v1/orders", LIMIT_BUY)
    assert error_of(response) == (409, "DUPLICATE_CLIENT_ORDER_ID", {"client_order_id": "c-1"})
    assert Order.objects.count() == 1


def test_risk_rejection_is_422_with_the_kept_order(client, aapl):
    response = post(client, "/api/v1/orders", {**LIMIT_BUY, "quantity": "5000"})
    status, code, details = error_of(response)
    order = Order.objects.get()
    assert (status, code, details["order_id"]) == (422, "RISK_REJECTED", order.pk)
    assert [v["rule"] for v in details["violations"]] == ["buying_power"]
    assert order.status == "rejected"


def test_read_key_cannot_submit(reader, aapl):
    response = post(reader, "/api/v1/orders", LIMIT_BUY)
    assert error_of(response)[:2] == (403, "PERMISSION_DENIED")
    assert Order.objects.count() == 0
    assert reader.get("/api/v1/orders").status_code == 200


def test_detail_by_id_and_by_client_id_with_fills_and_events(client, account, aapl):
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("10"),
        limit_price=D("100.00"),
        client_order_id="mine",
    )
    order_accept(order_id=order.pk)
    fill(order, quantity="4", price="99.5", fee="0.2", exec_id="E-1")
    body = client.get(f"/api/v1/orders/{order.pk}").json()
    assert body["status"] == "partially_filled"
    assert body["average_fill_price"] == "99.5"
    assert [e["type"] for e in body["events"]] == [
        "created",
        "submitted",
        "accepted",
        "partially_filled",
    ]
    assert body["fills"][0] | {"executed_at": None} == {
        "id": body["fills"][0]["id"],
        "order_id": order.pk,
        "symbol": "AAPL",
        "side": "buy",
        "quantity": "4",
        "price": "99.5",
        "fee": "0.2",
        "fee_currency": "USD",
        "liquidity": "taker",
        "executed_at": None,
        "venue_exec_id": "E-1",
    }
    assert client.get("/api/v1/orders/by-client-id/mine").json()["id"] == order.pk
    fills = client.get(f"/api/v1/fills?order={order.pk}").json()
    assert [f["venue_exec_id"] for f in fills["results"]] == ["E-1"]
    assert fills["next"] is None


def test_list_filters(client, account, aapl):
    buy = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("100.00"),
    )
    sell = order_submit(
        account=account,
        symbol="AAPL",
        side="sell",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("101.00"),
    )
    ids = [o["id"] for o in client.get("/api/v1/orders").json()["results"]]
    assert ids == [sell.pk, buy.pk]
    assert [o["id"] for o in client.get("/api/v1/orders?side=sell").json()["results"]] == [sell.pk]
    assert client.get("/api/v1/orders?status=filled").json()["results"] == []
    assert client.get("/api/v1/orders?symbol=MSFT").json()["results"] == []
    assert [o["id"] for o in client.get("/api/v1/orders?limit=1").json()["results"]] == [sell.pk]


def test_another_accounts_order_is_404(client, other_client, aapl):
    order_id = post(other_client, "/api/v1/orders", LIMIT_BUY).json()["id"]
    for method in ("get", "delete"):
        response = getattr(client, method)(f"/api/v1/orders/{order_id}")
        assert error_of(response)[:2] == (404, "ORDER_NOT_FOUND")
    response = client.patch(
        f"/api/v1/orders/{order_id}", data={"quantity": "3"}, content_type="application/json"
    )
    assert error_of(response)[:2] == (404, "ORDER_NOT_FOUND")
    assert client.get("/api/v1/orders/by-client-id/c-1").status_code == 404
    assert Order.objects.get().status == "pending"


def test_patch_honours_if_match(client, account, aapl):
    order_id = post(client, "/api/v1/orders", LIMIT_BUY).json()["id"]
    order_accept(order_id=order_id)
    events = OrderEvent.objects.count()
    stale = client.patch(
        f"/api/v1/orders/{order_id}",
        data={"quantity": "12"},
        content_type="application/json",
        HTTP_IF_MATCH="5",
    )
    assert error_of(stale) == (412, "VERSION_MISMATCH", {"version": 1, "expected": 5})
    assert OrderEvent.objects.count() == events
    ok = client.patch(
        f"/api/v1/orders/{order_id}",
        data={"quantity": "12", "limit_price": 99.5},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert ok.status_code == 200
    assert (ok.json()["version"], ok.json()["quantity"], ok.json()["limit_price"]) == (
        2,
        "12",
        "99.5",
    )
    assert ok.headers["ETag"] == "2"


def test_patch_a_pending_order_is_409(client, aapl):
    order_id = post(client, "/api/v1/orders", LIMIT_BUY).json()["id"]
    response = client.patch(
        f"/api/v1/orders/{order_id}", data={"quantity": "3"}, content_type="application/json"
    )
    assert error_of(response)[:2] == (409, "INVALID_ORDER_STATE")


def test_cancel_is_idempotent_and_refused_when_filled(client, account, aapl):
    order_id = post(client, "/api/v1/orders", LIMIT_BUY).json()["id"]
    first = client.delete(f"/api/v1/orders/{order_id}")
    again = client.delete(f"/api/v1/orders/{order_id}")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["status"] == "canceled"
    filled = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("100.00"),
    )
    fill(filled, quantity="1", price="100")
    response = client.delete(f"/api/v1/orders/{filled.pk}")
    assert error_of(response) == (
        409,
        "ORDER_NOT_CANCELABLE",
        {"order_id": filled.pk, "status": "filled"},
    )


def test_cancel_all_is_207(client, account, aapl, btc):
    a = post(client, "/api/v1/orders", {**LIMIT_BUY, "client_order_id": "a"}).json()["id"]
    b = post(
        client,
        "/api/v1/orders",
        {
            "symbol": "BTCUSD",
            "side": "buy",
            "order_type": "limit",
            "quantity": "0.01",
            "limit_price": "40000",
        },
    ).json()["id"]
    response = client.delete("/api/v1/orders?symbol=BTCUSD")
    assert response.status_code == 207
    assert response.json() == [{"order_id": b, "status_code": 200, "status": "canceled"}]
    response = client.delete("/api/v1/orders")
    assert response.json() == [{"order_id": a, "status_code": 200, "status": "canceled"}]
    assert balance_of(account).locked == 0


def test_balances_and_positions(client, account, aapl):
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("10"),
        limit_price=D("100.00"),
    )
    fill(order, quantity="10", price="99.80", fee="0.5")
    assert client.get("/api/v1/balances").json() == {
        "results": [{"currency": "USD", "total": "99001.5", "available": "99001.5", "locked": "0"}]
    }
    quote_set("AAPL", bid="101.00", ask="101.20")
    position = client.get("/api/v1/positions/aapl").json()
    assert position | {"opened_at": None, "updated_at": None} == {
        "symbol": "AAPL",
        "side": "long",
        "quantity": "10",
        "average_entry_price": "99.8",
        "cost_basis": "998",
        "market_price": "101",
        "close_price": "101",
        "mid_price": "101.1",
        "market_value": "1010",
        "unrealized_pnl": "12",
        "unrealized_pnl_pct": "1.2024",
        "realized_pnl": "0",
        "opened_at": None,
        "updated_at": None,
    }
    assert [p["symbol"] for p in client.get("/api/v1/positions").json()["results"]] == ["AAPL"]


def test_position_without_quote_has_null_market_fields(client, account, aapl):
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("100.00"),
    )
    fill(order, quantity="1", price="100")
    from django.core.cache import cache

    cache.clear()
    body = client.get("/api/v1/positions/AAPL").json()
    assert (body["market_price"], body["market_value"], body["unrealized_pnl"]) == (
        None,
        None,
        None,
    )


def test_close_position_and_close_all(client, account, aapl, btc):
    for symbol, quantity, price in (("AAPL", "10", "100.00"), ("BTCUSD", "0.01", "40000")):
        order = order_submit(
            account=account,
            symbol=symbol,
            side="buy",
            order_type="limit",
            quantity=D(quantity),
            limit_price=D(price),
        )
        fill(order, quantity=quantity, price=price)
    response = client.delete("/api/v1/positions/AAPL")
    assert response.status_code == 201
    assert (response.json()["side"], response.json()["order_type"]) == ("sell", "market")
    assert response.json()["quantity"] == "10"
    response = client.delete("/api/v1/positions")
    assert response.status_code == 207
    results = response.json()
    # The AAPL sell placed above still works and closes it all: no second close doubles it.
    assert [(r["symbol"], r["status_code"], r.get("status")) for r in results] == [
        ("AAPL", 409, None),
        ("BTCUSD", 201, "pending"),
    ]
    assert results[0]["error"]["code"] == "POSITION_ALREADY_CLOSING"


def test_another_accounts_position_is_404(client, other_client, other_account, aapl):
    order = order_submit(
        account=other_account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("100.00"),
    )
    fill(order, quantity="1", price="100")
    assert other_client.get("/api/v1/positions/AAPL").status_code == 200
    assert error_of(client.get("/api/v1/positions/AAPL"))[:2] == (404, "POSITION_NOT_FOUND")
    assert error_of(client.delete("/api/v1/positions/AAPL"))[:2] == (404, "POSITION_NOT_FOUND")
    assert client.get("/api/v1/positions").json() == {"results": []}
