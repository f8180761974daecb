"""Trading control across processes: stop in one web process, orders refused in another."""

import json
import uuid

import httpx
import pytest

from tests.harness import stack_create

pytestmark = [pytest.mark.integration, pytest.mark.services]


def _key(stack, scopes: str) -> dict[str, str]:
    output = stack.manage(
        "create_api_key", "--username", stack.username, "--account", "Demo", "--scopes", scopes,
        "--scheme", "simple", "--rate-limits", json.dumps({"data": "1000/s", "trading": "1000/s"}),
        "--json",
    )  # fmt: skip
    key = json.loads(output)
    return {"Authorization": f"Api-Key {key['key_id']}.{key['secret']}"}


def _post(client: httpx.Client, url: str, body: dict) -> httpx.Response:
    return client.post(url, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


ORDER = {"symbol": "AAPL", "side": "buy", "order_type": "limit", "quantity": "1",
         "limit_price": "1.00"}  # fmt: skip


def test_stop_through_one_web_process_refuses_orders_in_another(tmp_path):
    stack = stack_create(tmp_path, services=True)
    try:
        stack.env["MARKET_SEED_HISTORY_DAYS"] = "0"
        stack.manage("seed_demo")
        control, trade = _key(stack, "read,control"), _key(stack, "read,trade")
        stack.start_web()
        first = stack.base_url
        stack.start_web()
        second = stack.base_url
        assert first != second
        with httpx.Client(timeout=10) as client:
            client.headers.update(trade)
            placed = _post(client, f"{second}/api/v1/orders", ORDER)
            assert placed.status_code == 201, placed.text

            client.headers.update(control)
            stopped = _post(
                client,
                f"{first}/api/v1/trading/stop",
                {"reason": "integration kill switch", "close_positions": False},
            )
            assert stopped.status_code == 200, stopped.text
            assert [o["order_id"] for o in stopped.json()["canceled_orders"]] == [
                placed.json()["id"]
            ]

            client.headers.update(trade)
            refused = _post(client, f"{second}/api/v1/orders", ORDER)
            assert refused.status_code == 409, refused.text
            assert refused.json()["error"]["code"] == "TRADING_STOPPED"
            state = client.get(f"{second}/api/v1/trading").json()
            assert (state["state"], state["reason"]) == ("stopped", "integration kill switch")
            orders = client.get(f"{second}/api/v1/orders").json()["results"]
            assert [(o["id"], o["status"]) for o in orders] == [(placed.json()["id"], "canceled")]

            client.headers.update(control)
            started = _post(client, f"{first}/api/v1/trading/start", {"reason": "resume"})
            assert started.status_code == 200, started.text
            client.headers.update(trade)
            assert _post(client, f"{second}/api/v1/orders", ORDER).status_code == 201
    finally:
        stack.stop()
