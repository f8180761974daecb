"""The process's fan-out hub on the configured channel layer (in-memory, or Redis in services)."""

import asyncio

import pytest
from channels.layers import channel_layers, get_channel_layer

from streams import hub as hub_module
from streams.hub import RECEIVE_BATCH, Hub, _RedisBatches


@pytest.fixture(autouse=True)
def _fresh_layer():
    channel_layers.backends.clear()
    hub_module._hubs.clear()
    yield
    hub_module._hubs.clear()


class Member:
    def __init__(self):
        self.seen: list[int] = []
        self.lost = False

    def hub_deliver(self, message):
        self.seen.append(message["n"])

    def hub_lost(self):
        self.lost = True


async def until(predicate, timeout=20.0) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_a_burst_reaches_every_member_whole_and_in_order():
    layer = get_channel_layer()
    hub = Hub(layer)
    first, second, elsewhere = Member(), Member(), Member()
    await hub.join("test.burst", first)
    await hub.join("test.burst", second)
    await hub.join("test.other", elsewhere)

    # when more than two batches' worth is sent to the group
    count = RECEIVE_BATCH * 2 + 100
    for n in range(count):
        await layer.group_send("test.burst", {"type": "x", "group": "test.burst", "n": n})
    await until(lambda: len(first.seen) == count and len(second.seen) == count)

    # then each member of the group has every message once, in the order sent
    assert first.seen == second.seen == list(range(count))
    assert elsewhere.seen == []
    for member in (first, second):
        await hub.leave("test.burst", member)
    await hub.leave("test.other", elsewhere)
    for task in hub._tasks:
        task.cancel()


@pytest.mark.services
async def test_on_redis_one_round_trip_takes_what_waits_on_the_channel():
    layer = get_channel_layer()
    assert _RedisBatches.fits(layer)
    channel = "stream-hub.test-batches"
    count = RECEIVE_BATCH * 2 + 100
    for n in range(count):
        await layer.send(channel, {"type": "x", "n": n})
    receive = _RedisBatches(layer, channel)

    # when the hub's shard reads a backlog
    batches = [await receive() for _ in range(3)]

    # then each call takes up to a batch, oldest first, and nothing is left behind
    assert [len(batch) for batch in batches] == [RECEIVE_BATCH, RECEIVE_BATCH, 100]
    assert [m["n"] for batch in batches for m in batch] == list(range(count))
    assert all("__asgi_channel__" not in m for batch in batches for m in batch)
    assert await layer.connection(0).zcard(receive.key) == 0
