"""Operation events on `account.<id>.operations`: the REST representation, after commit."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from operations.component import StaleOperationWatch
from operations.payloads import operation_payload
from operations.services import operation_cancel, operation_complete, operation_create
from operations.tests.helpers import drain, running

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def test_status_changes_publish_progress_then_finished(
    layer, account, django_capture_on_commit_callbacks
):
    listener = "test.listener"
    async_to_sync(layer.group_add)(f"account.{account.pk}.operations", listener)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        operation = operation_create(account=account, type="t")
    assert drain(layer, listener) == []
    for callback in pending:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        operation = running(account=account)
        done = operation_complete(operation_id=operation.pk, result={"x": 1})
    messages = drain(layer, listener)
    assert [m["event"] for m in messages] == [
        "operation.progress",
        "operation.progress",
        "operation.progress",
        "operation.finished",
    ]
    assert {m["stream"] for m in messages} == {"operations"}
    assert messages[-1]["data"] == operation_payload(done)


def test_cancel_of_a_pending_operation_publishes_finished(
    layer, account, django_capture_on_commit_callbacks
):
    operation = operation_create(account=account, type="t")
    async_to_sync(layer.group_add)(f"account.{account.pk}.operations", "test.l2")
    with django_capture_on_commit_callbacks(execute=True):
        operation_cancel(operation_id=operation.pk)
    messages = drain(layer, "test.l2")
    assert [m["event"] for m in messages] == ["operation.finished"]
    assert messages[0]["data"]["status"] == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_the_embedded_watch_fails_stale_operations(account, settings):
    settings.OPERATION_HEARTBEAT_TTL_S = 0.0
    operation = running(account=account, worker="gone:1")
    watch = StaleOperationWatch(interval_s=0.01)

    async def two_checks():
        task = asyncio.ensure_future(watch.run(engine=None))
        while watch.checks < 2:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(two_checks())
    operation.refresh_from_db()
    assert operation.status == "failed"
    assert operation.error["code"] == "WORKER_LOST"
    assert watch.status()["failed"] == 1
