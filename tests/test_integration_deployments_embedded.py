"""A deployment in the embedded mode (`make run`): the server's own engine runs it on SQLite."""

import pytest

from tests.backtest_stacks import ok, trade_client
from tests.harness import wait_until

pytestmark = pytest.mark.integration

# The simulator closes a 1-minute bar each wall-clock minute: the wait covers two of them.
BAR_WAIT_S = 150


def test_a_new_user_deploys_a_strategy_and_sees_its_signal_and_fill(embedded_stack):
    with trade_client(embedded_stack) as client:
        # given: buy and hold started on the demo feed
        deployment = ok(
            client.post(
                "/strategies/buy_and_hold/deployments",
                json={"symbol": "MSFT", "interval": "1m", "capital": "1000"},
            ),
            201,
        )
        path = f"/deployments/{deployment['id']}"
        # then: its decision on the next closed bar is a signal, and the venue fills the order
        detail = wait_until(
            lambda: (d := ok(client.get(path)))["position"] != "0" and d,
            timeout=BAR_WAIT_S,
            what="the deployment's entry to be placed and filled",
        )
        [signal] = detail["signals"]
        assert signal["decision"] == "taken"
        assert signal["direction"] == "long"
        order = ok(client.get(f"/orders/{signal['order']}"))
        assert order["client_order_id"].startswith(deployment["client_order_id_prefix"])
        assert order["status"] == "filled"
        assert detail["position"] == order["quantity"]
        listed = ok(client.get("/signals", params={"strategy": "buy_and_hold"}))["results"]
        assert signal["id"] in [s["id"] for s in listed]
        # and the user stops it
        assert ok(client.post(f"{path}/stop", json={}))["status"] == "stopped"
