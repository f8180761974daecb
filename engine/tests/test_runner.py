"""The engine loop: components run, heartbeat carries their status, failures stop the engine."""

import asyncio

import pytest

from engine.heartbeat import heartbeat_read
from engine.runner import Engine, EngineFailed


class CountingComponent:
    name = "counter"

    def __init__(self):
        self.ticks = 0
        self.ticked = asyncio.Event()

    async def run(self, engine):
        while True:
            self.ticks += 1
            self.ticked.set()
            await asyncio.sleep(0)

    def status(self):
        return {"state": "up", "ticks": self.ticks}


class FailingComponent:
    name = "failing"

    async def run(self, engine):
        raise ValueError("feed broke")

    def status(self):
        return {"state": "down"}


async def test_heartbeat_carries_component_status_until_stopped():
    component = CountingComponent()
    engine = Engine(components=[component], mode="services", heartbeat_interval_s=0.01)
    task = asyncio.create_task(engine.run())
    await component.ticked.wait()
    while not ((await asyncio.to_thread(heartbeat_read)) or {}).get("components"):
        await asyncio.sleep(0.01)
    beat = await asyncio.to_thread(heartbeat_read)
    assert beat["mode"] == "services"
    assert beat["components"]["counter"]["state"] == "up"
    engine.stop()
    await task
    assert await asyncio.to_thread(heartbeat_read) is None


async def test_a_failing_component_stops_the_engine_and_clears_the_heartbeat():
    engine = Engine(components=[FailingComponent()], mode="embedded", heartbeat_interval_s=60)
    with pytest.raises(EngineFailed, match="feed broke"):
        await engine.run()
    assert await asyncio.to_thread(heartbeat_read) is None


async def test_a_loop_with_a_checkpoint_stops_even_when_a_library_swallowed_the_cancel():
    from engine.runner import cancellation_checkpoint

    iterations = 0
    swallowed = asyncio.Event()

    async def loop_that_meets_a_swallowing_library():
        nonlocal iterations
        while True:
            iterations += 1
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed.set()  # what a misbehaving library does
            cancellation_checkpoint()

    task = asyncio.create_task(loop_that_meets_a_swallowing_library())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=5)
    assert swallowed.is_set()
    assert iterations == 1
