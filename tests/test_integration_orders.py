"""Orders through real processes: a resting limit order that the market then fills, to the cent."""

import json
import uuid
from decimal import Decimal

import httpx
import pytest

from tests.harness import Stack, wait_until

D = Decimal
pytestmark = pytest.mark.integration


def _trade_client(stack: Stack) -> httpx.Client:
    """Seed the demo (idempotent) and return a client holding a fresh read+trade key of Demo."""
    stack.manage("seed_demo")
    output = stack.manage(
        "create_api_key",
        "--username",
        stack.username,
        "--account",
        "Demo",
        "--scopes",
        "read,trade",
        "--scheme",
        "simple",
        "--rate-limits",
        json.dumps({"data": "1000/s", "trading": "1000/s"}),
        "--json",
    )
    key = json.loads(output)
    return httpx.Client(
        base_url=f"{stack.base_url}/api/v1",
        headers={"Authorization": f"Api-Key {key['key_id']}.{key['secret']}"},
        timeout=10,
    )


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _limit_order_rests_then_fills(stack: Stack) -> None:
    client = _trade_client(stack)
    wait_until(lambda: client.get("/quotes/MSFT").status_code == 200, timeout=30, what="MSFT quote")
    before = {b["currency"]: b for b in _ok(client.get("/balances"))["results"]}["USD"]
    held = {p["symbol"]: p for p in _ok(client.get("/positions"))["results"]}.get("MSFT")
    quote = _ok(client.get("/quotes/MSFT"))
    tick = D(_ok(client.get("/instruments/MSFT"))["tick_size"])
    far_below = (D(quote["bid"]) * D("0.95")).quantize(tick)

    # A buy limit below the market (inside the risk price band) rests.
    order = _ok(
        client.post(
            "/orders",
            json={
                "symbol": "MSFT",
                "side": "buy",
                "order_type": "limit",
                "quantity": "3",
                "limit_price": str(far_below),
                "client_order_id": uuid.uuid4().hex,
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    path = f"/orders/{order['id']}"
    wait_until(lambda: _ok(client.get(path))["status"] == "open", timeout=10, what="order accepted")
    assert _ok(client.get(path))["filled_quantity"] == "0"

    # The market crosses it once its limit is moved above the ask.
    above = (D(_ok(client.get("/quotes/MSFT"))["ask"]) * D("1.03")).quantize(tick)
    modified = _ok(
        client.patch(
            path,
            json={"limit_price": str(above)},
            headers={"If-Match": "1", "Idempotency-Key": uuid.uuid4().hex},
        )
    )
    assert modified["version"] == 2
    wait_until(lambda: _ok(client.get(path))["status"] == "filled", timeout=10, what="order filled")

    # Fills, balance and position agree to the last decimal.
    detail = _ok(client.get(path))
    fills = _ok(client.get("/fills", params={"order": order["id"]}))["results"]
    quantity = sum(D(f["quantity"]) for f in fills)
    cost = sum(D(f["quantity"]) * D(f["price"]) for f in fills)
    fees = sum(D(f["fee"]) for f in fills)
    assert quantity == D("3")
    assert all(D(f["price"]) <= above for f in fills)
    assert D(detail["average_fill_price"]) == (cost / quantity).quantize(D("1e-10"))
    after = {b["currency"]: b for b in _ok(client.get("/balances"))["results"]}["USD"]
    assert D(after["total"]) == D(before["total"]) - cost - fees
    assert D(after["total"]) == D(after["available"]) + D(after["locked"])
    assert D(after["locked"]) == D(before["locked"])
    position = _ok(client.get("/positions/MSFT"))
    assert D(position["quantity"]) == (D(held["quantity"]) if held else 0) + quantity


def test_limit_order_rests_then_fills_embedded(embedded_stack):
    _limit_order_rests_then_fills(embedded_stack)


@pytest.mark.services
def test_limit_order_rests_then_fills_services(services_stack):
    _limit_order_rests_then_fills(services_stack)
