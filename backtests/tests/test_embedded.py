"""Embedded mode: a backtest runs off the server loop and its progress reaches the loop's layer."""

import asyncio
import threading
from decimal import Decimal

import pytest
from channels.layers import get_channel_layer

from access.tests.factories import AccountFactory
from backtests.services import backtest_start
from backtests.tests.helpers import goog_import
from kernel.runtime import main_loop_set
from marketdata.tests.factories import InstrumentFactory
from operations.models import Operation
from operations.payloads import operation_payload


@pytest.fixture
def server_loop():
    """A running event loop in its own thread, registered as the server's (as daphne's is)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    main_loop_set(loop)
    yield loop

    async def others_done():
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)

    # the task may still be returning after its last event: let it end before the loop does
    asyncio.run_coroutine_threadsafe(others_done(), loop).result(35)
    main_loop_set(None)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.mark.django_db(transaction=True)
def test_progress_and_the_finish_reach_the_accounts_operations_group(server_loop, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OPERATION_PROGRESS_INTERVAL_S = 0.0
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    layer = get_channel_layer()
    account = AccountFactory(name="Alpha")
    goog = InstrumentFactory(symbol="GOOG", tick_size=Decimal("0.01"), lot_size=Decimal("1"))
    goog_import(goog)

    def on_loop(coroutine, timeout=10):
        return asyncio.run_coroutine_threadsafe(coroutine, server_loop).result(timeout)

    channel = on_loop(layer.new_channel("test."))
    on_loop(layer.group_add(f"account.{account.pk}.operations", channel))
    try:
        # when: a request thread starts a backtest (the task goes to a worker thread)
        backtest = backtest_start(account=account, strategy="sma_crossover", symbol="GOOG")
        # then: events arrive on the loop's layer until the finish
        events = []
        while not events or events[-1]["event"] != "operation.finished":
            events.append(on_loop(layer.receive(channel)))
    finally:
        channel_layers.backends.clear()
    operation = Operation.objects.get(pk=backtest.operation_id)
    assert operation.status == "completed"
    assert events[-1]["data"] == operation_payload(operation)
    phases = [e["data"]["progress"]["phase"] for e in events]
    assert {"loading", "simulating"} <= set(phases)
    assert all(e["data"]["id"] == operation.pk for e in events)
