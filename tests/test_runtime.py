"""Embedded mode: an eager task runs off the server loop and still reaches the in-memory layer."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from kernel.publish import account_group, account_publish
from kernel.runtime import main_loop_set, publishing_loop_start, task_enqueue
from trading_api.celery import app as celery_app


@celery_app.task(name="tests.report_from_task")
def report_from_task(channel: str) -> None:
    try:
        asyncio.get_running_loop()
        on_loop = True
    except RuntimeError:
        on_loop = False
    async_to_sync(get_channel_layer().send)(
        channel, {"type": "task.report", "on_loop": on_loop, "thread": threading.get_ident()}
    )


def test_task_runs_off_the_loop_and_its_events_reach_the_loops_layer():
    # given: a server loop running in its own thread, with a channel to listen on
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, daemon=True)
    loop_thread.start()
    layer = get_channel_layer()
    channel = asyncio.run_coroutine_threadsafe(layer.new_channel("test."), loop).result(5)
    main_loop_set(loop)
    try:
        # when: a request thread hands the task off
        future = task_enqueue(report_from_task, channel)
        future.result(timeout=10)
        # then: the message the task sent is on the loop's in-memory layer
        message = asyncio.run_coroutine_threadsafe(layer.receive(channel), loop).result(5)
        assert message["on_loop"] is False
        assert message["thread"] not in {loop_thread.ident, threading.get_ident()}
    finally:
        main_loop_set(None)
        loop.call_soon_threadsafe(loop.stop)
        loop_thread.join(5)
        loop.close()


def test_without_a_server_loop_the_task_runs_inline():
    # given: no server loop (a management command, a test), and a channel on this thread's loop
    layer = get_channel_layer()

    async def scenario():
        channel = await layer.new_channel("test.")
        # when
        result = await asyncio.to_thread(task_enqueue, report_from_task, channel)
        message = await layer.receive(channel)
        return result, message

    result, message = asyncio.run(scenario())
    # then: nothing was handed off, and the task ran in the calling thread, off any loop
    assert result is None
    assert message["on_loop"] is False


def _published_on_a_worker_loop(captured_commits, settings, *, backend: str, count: int) -> list:
    """Publish `count` account events after commit from this thread, with the loop a gunicorn
    worker starts; return what a channel in the account's orders group received through it."""
    # A layer of the test's own: the loop it binds to ends with the test.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend}}
    loop = publishing_loop_start()
    layer = get_channel_layer()

    def on_loop(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=5)

    try:
        channel = on_loop(layer.new_channel())
        on_loop(layer.group_add(account_group(7, "orders"), channel))
        with captured_commits(execute=True):
            for n in range(1, count + 1):
                account_publish(account_id=7, stream="orders", event="created", data={"n": n})
        return [on_loop(layer.receive(channel)) for _ in range(count)]
    finally:
        main_loop_set(None)
        loop.call_soon_threadsafe(loop.stop)


@pytest.mark.django_db
def test_a_wsgi_worker_publishes_every_send_through_its_one_loop(
    django_capture_on_commit_callbacks, settings
):
    received = _published_on_a_worker_loop(
        django_capture_on_commit_callbacks,
        settings,
        backend="channels.layers.InMemoryChannelLayer",
        count=2,
    )
    assert [message["data"] for message in received] == [{"n": 1}, {"n": 2}]
    assert received[0]["type"] == "account.event"


class SlowFirstLayer(InMemoryChannelLayer):
    """An in-memory layer whose first group send is slow, like a Redis call that stalls."""

    slowed = False

    async def group_send(self, group, message):
        if not SlowFirstLayer.slowed:
            SlowFirstLayer.slowed = True
            await asyncio.sleep(0.2)  # the stall, not a synchronisation: nothing waits on it
        await super().group_send(group, message)


@pytest.mark.django_db
def test_sends_handed_to_the_loop_arrive_in_the_order_they_were_made(
    django_capture_on_commit_callbacks, settings
):
    # The seq of an account stream rises with each send: a stalled send must not be overtaken.
    SlowFirstLayer.slowed = False
    received = _published_on_a_worker_loop(
        django_capture_on_commit_callbacks,
        settings,
        backend="tests.test_runtime.SlowFirstLayer",
        count=5,
    )
    assert [message["data"]["n"] for message in received] == [1, 2, 3, 4, 5]
    assert [message["seq"] for message in received] == sorted(m["seq"] for m in received)
