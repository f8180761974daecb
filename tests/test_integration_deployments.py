"""A deployment run by the engine process on PostgreSQL and Redis: its signal on the account's
channel, the venue's fill, and an engine killed with SIGKILL and restarted placing no second
order."""

import asyncio
import signal

import pytest
from channels_redis.core import RedisChannelLayer

from tests.backtest_stacks import ok, trade_client
from tests.harness import wait_until

pytestmark = [pytest.mark.services, pytest.mark.integration]

# The simulator closes a 1-minute bar each wall-clock minute: the waits cover two of them.
BAR_WAIT_S = 150


def _own_orders(client, prefix: str) -> list[dict]:
    orders = ok(client.get("/orders", params={"symbol": "AAPL", "limit": 500}))["results"]
    return [o for o in orders if o["client_order_id"].startswith(prefix)]


def test_a_deployment_survives_an_engine_killed_with_sigkill(services_stack):
    stack = services_stack
    with trade_client(stack) as client:
        account_id = ok(client.get("/me"))["accounts"][0]["id"]
        # The socket must outwait the layer's blocking pop (as in the settings).
        layer = RedisChannelLayer(
            hosts=[{"address": stack.env["REDIS_URL"], "socket_timeout": 30}],
            prefix=stack.env["CHANNEL_LAYER_PREFIX"],
        )

        async def first_signal() -> tuple[dict, dict]:
            channel = await layer.new_channel("test.")
            await layer.group_add(f"account.{account_id}.signals", channel)
            deployment = await asyncio.to_thread(
                lambda: ok(
                    client.post(
                        "/strategies/buy_and_hold/deployments",
                        json={"symbol": "AAPL", "interval": "1m", "capital": "2000"},
                    ),
                    201,
                )
            )
            while True:
                message = await asyncio.wait_for(layer.receive(channel), timeout=BAR_WAIT_S)
                if message["data"].get("deployment") == deployment["id"]:
                    await layer.flush()
                    return deployment, message

        # given: a buy-and-hold deployment whose first decision the engine took
        deployment, message = asyncio.run(first_signal())
        assert message["event"] == "signal.recorded"
        assert message["data"]["decision"] == "taken"
        assert message["data"]["direction"] == "long"
        path = f"/deployments/{deployment['id']}"
        filled = wait_until(
            lambda: (d := ok(client.get(path)))["position"] != "0" and d,
            timeout=30,
            what="the paper venue to fill the entry",
        )
        prefix = deployment["client_order_id_prefix"]
        [entry] = _own_orders(client, prefix)
        assert entry["status"] == "filled"
        assert filled["position"] == entry["quantity"]
        # when: the engine dies without a chance to clean up, and a new one starts
        leader = next(p for p in stack.processes if p.name == "engine" and p.alive())
        leader.stop(signal.SIGKILL)
        seen = ok(client.get(path))["last_bar_at"]
        stack.start_engine()
        # then: the new engine runs the deployment on from the database
        resumed = wait_until(
            lambda: (d := ok(client.get(path)))["last_bar_at"] > seen and d,
            timeout=BAR_WAIT_S,
            what="the restarted engine to run the deployment on the next bar",
        )
        assert resumed["status"] == "running"
        assert resumed["target"] == "long"
        # and placed no second order: buy and hold bought once, before the kill
        assert [o["id"] for o in _own_orders(client, prefix)] == [entry["id"]]
        assert [s["id"] for s in resumed["signals"]] == [message["data"]["id"]]
        assert resumed["position"] == entry["quantity"]
        # and the owner stops it
        stopped = ok(client.post(f"{path}/stop", json={"reason": "done"}))
        assert stopped["status"] == "stopped"
        signals = ok(client.get("/signals", params={"strategy": "buy_and_hold"}))["results"]
        assert [s["id"] for s in signals] == [message["data"]["id"]]
