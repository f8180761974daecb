"""After-commit publishing: account groups and the venue hand-off, never before the commit."""

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from kernel.publish import account_group
from orders.events import VENUE_CHANNEL
from orders.services import order_cancel, order_submit
from orders.tests.helpers import fill

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    # The in-memory layer lets the test read what was sent; the cached backend is dropped before
    # and after, so no other test inherits it.
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def _drain(layer, channel: str) -> list[dict]:
    messages = []

    async def take_all():
        while layer.channels.get(channel, None) is not None and not layer.channels[channel].empty():
            messages.append(await layer.receive(channel))

    async_to_sync(take_all)()
    return messages


def test_submit_fill_and_cancel_publish_after_commit(
    layer, account, aapl, django_capture_on_commit_callbacks
):
    # given
    listener = "test.listener"
    for stream in ("orders", "fills", "positions", "balances"):
        async_to_sync(layer.group_add)(account_group(account.pk, stream), listener)
    # when: nothing is sent before the commit
    with django_capture_on_commit_callbacks(execute=False) as pending:
        order = order_submit(
            account=account,
            symbol="AAPL",
            side="buy",
            order_type="limit",
            quantity=D("10"),
            limit_price=D("100.00"),
        )
    assert _drain(layer, listener) == []
    for callback in pending:
        callback()
    # then
    sent = _drain(layer, listener)
    assert [(m["stream"], m["event"]) for m in sent] == [
        ("orders", "order.created"),
        ("orders", "order.submitted"),
        ("balances", "balance.changed"),
    ]
    assert sent[1]["data"]["status"] == "pending"
    assert sent[2]["data"] == {
        "currency": "USD",
        "total": "100000",
        "available": "98999.5",
        "locked": "1000.5",
    }
    assert _drain(layer, VENUE_CHANNEL) == [
        {"type": "venue.order", "order_id": order.pk, "action": "submit"}
    ]

    with django_capture_on_commit_callbacks(execute=True):
        fill(order, quantity="4", price="99.50", exec_id="E-1")
    sent = _drain(layer, listener)
    assert [m["event"] for m in sent] == [
        "order.partially_filled",
        "fill.executed",
        "position.changed",
        "balance.changed",
    ]
    assert sent[1]["data"]["venue_exec_id"] == "E-1"
    assert sent[2]["data"]["quantity"] == "4"

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk)
    assert [m["event"] for m in _drain(layer, listener)] == [
        "balance.changed",
        "order.canceled",
    ]
    assert _drain(layer, VENUE_CHANNEL) == [
        {"type": "venue.order", "order_id": order.pk, "action": "cancel"}
    ]
