"""The engine's equity tracker on the services topology: snapshots, then the circuit breaker."""

import json
import uuid

import httpx
import pytest

from tests.harness import stack_create, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.services]


def _key(stack, scopes: str) -> dict[str, str]:
    output = stack.manage(
        "create_api_key", "--username", stack.username, "--account", "Demo", "--scopes", scopes,
        "--scheme", "simple", "--rate-limits", json.dumps({"data": "1000/s", "trading": "1000/s"}),
        "--json",
    )  # fmt: skip
    key = json.loads(output)
    return {"Authorization": f"Api-Key {key['key_id']}.{key['secret']}"}


def _send(client: httpx.Client, method: str, url: str, body: dict) -> httpx.Response:
    return client.request(method, url, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def test_tracker_snapshots_and_trips_the_breaker_on_a_loss(tmp_path):
    stack = stack_create(tmp_path, services=True)
    try:
        stack.env["EQUITY_SNAPSHOT_INTERVAL_S"] = "1"
        control, trade = _key(stack, "read,control"), _key(stack, "read,trade")
        stack.start_web()
        stack.start_engine()
        api = f"{stack.base_url}/api/v1"
        with httpx.Client(timeout=10) as client:
            client.headers.update(trade)
            wait_until(
                lambda: len(client.get(f"{api}/portfolio/equity").json()["results"]) >= 1,
                timeout=30,
                what="a first equity snapshot",
            )
            client.headers.update(control)
            # Any loss at all (the spread and the fee of one market order) breaches this limit.
            configured = _send(client, "put", f"{api}/config/risk", {"daily_loss_limit": "0.01"})
            assert configured.status_code == 200, configured.text

            client.headers.update(trade)
            bought = _send(
                client,
                "post",
                f"{api}/orders",
                {"symbol": "AAPL", "side": "buy", "order_type": "market", "quantity": "1"},
            )
            assert bought.status_code == 201, bought.text
            risk = wait_until(
                lambda: (
                    (body := client.get(f"{api}/risk").json())["circuit_breaker"]["tripped"]
                    and body
                ),
                timeout=30,
                what="the circuit breaker to trip",
            )
            assert risk["trading_state"] == "halted"
            assert risk["circuit_breaker"]["reason"].startswith("daily loss ")
            refused = _send(
                client,
                "post",
                f"{api}/orders",
                {"symbol": "AAPL", "side": "buy", "order_type": "limit", "quantity": "1",
                 "limit_price": "1.00"},
            )  # fmt: skip
            assert refused.status_code == 409, refused.text
            # The halt flattened the position: the venue fills the closing order.
            wait_until(
                lambda: client.get(f"{api}/positions").json()["results"] == [],
                timeout=30,
                what="the position to be flattened",
            )
            portfolio = client.get(f"{api}/portfolio").json()
            assert portfolio["exposure"]["gross"] == "0"
    finally:
        stack.stop()
