"""One representation per resource: what the channel layer carries is what REST returns."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from kernel.publish import account_group
from orders.services import order_submit
from orders.tests.helpers import fill

D = Decimal
pytestmark = pytest.mark.django_db


def _listen(account_id: int, *streams: str):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    for stream in streams:
        async_to_sync(layer.group_add)(account_group(account_id, stream), channel)
    return layer, channel


def _received(layer, channel, count: int) -> list[dict]:
    """The next `count` distinct events (by stream and seq), read in one event loop.

    channels_redis keeps a process channel's receive buffer per event loop, and this test's
    listener reads from the loops `async_to_sync` makes, so on Redis one message can come back
    twice across reads; a socket consumer reads from one loop. Events are told apart by their
    seq, as clients tell them apart.
    """

    async def receive() -> list[dict]:
        seen: dict[tuple[str, int], dict] = {}
        while len(seen) < count:
            message = await asyncio.wait_for(layer.receive(channel), timeout=10)
            seen.setdefault((message["stream"], message["seq"]), message)
        return list(seen.values())

    return async_to_sync(receive)()


def test_order_fill_position_and_balance_events_carry_the_rest_representation(
    account, trader_api, aapl, django_capture_on_commit_callbacks
):
    # given: a socket-side listener on the account's groups
    layer, channel = _listen(account.pk, "orders", "fills", "positions", "balances")
    with django_capture_on_commit_callbacks(execute=True):
        order = order_submit(
            account=account,
            symbol="AAPL",
            side="buy",
            order_type="limit",
            quantity=D("10"),
            limit_price=D("100.00"),
        )
    submitted = _received(layer, channel, 3)  # created, submitted, balance locked
    # when: the order fills
    with django_capture_on_commit_callbacks(execute=True):
        fill(order, quantity="10", price="99.50", fee="0.50")
    filled = _received(layer, channel, 4)  # filled, fill, position, balance

    # then: every payload is exactly what the REST endpoint answers for the same object now
    events = {message["event"]: message["data"] for message in [*submitted, *filled]}
    rest_order = trader_api.get(f"/api/v1/orders/{order.pk}").json()
    del rest_order["fills"], rest_order["events"]
    assert events["order.filled"] == rest_order
    assert events["fill.executed"] == trader_api.get("/api/v1/fills").json()["results"][0]
    assert events["position.changed"] == trader_api.get("/api/v1/positions/AAPL").json()
    assert events["balance.changed"] == trader_api.get("/api/v1/balances").json()["results"][0]
