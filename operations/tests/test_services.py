"""Operation services: transitions, refusals that change nothing, cancel, stale check, parents."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from operations.enums import OperationStatus
from operations.errors import OperationNotCancelable
from operations.models import Operation
from operations.services import (
    operation_cancel,
    operation_complete,
    operation_create,
    operation_fail,
    operation_fail_stale,
    operation_parent_refresh,
    operation_parent_start,
    operation_progress_record,
    operation_start,
    operation_stopped,
)
from operations.state import InvalidOperationTransition
from operations.tests.helpers import running, snapshot

pytestmark = pytest.mark.django_db


def _actions(operation) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="operation", object_id=str(operation.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_create_is_pending_audited_with_its_task_id(account):
    operation = operation_create(account=account, type="backtest", items_total=10)
    assert operation.status == OperationStatus.PENDING
    assert operation.task_id == f"operation-{operation.pk}"
    assert operation.phase == "queued"
    assert _actions(operation) == ["operation.created"]


def test_start_progress_complete(account):
    # given
    operation = operation_create(account=account, type="backtest")
    # when
    started = operation_start(operation_id=operation.pk, worker="host:42")
    ack = operation_progress_record(
        operation_id=operation.pk, items_done=3, items_total=10, phase="simulating",
        metrics={"bars": 3},
    )  # fmt: skip
    done = operation_complete(operation_id=operation.pk, result={"answer": 42})
    # then
    assert started.status == "running"
    assert started.worker == "host:42"
    assert started.attempts == 1
    assert ack.is_running
    assert not ack.is_cancel_requested
    assert done.status == "completed"
    assert done.items_done == 10
    assert done.result == {"answer": 42}
    assert done.metrics == {"bars": 3}
    assert done.finished_at is not None
    assert _actions(operation) == ["operation.created", "operation.started", "operation.completed"]


def test_fail_records_code_message_details(account):
    operation = running(account=account)
    failed = operation_fail(
        operation_id=operation.pk, code="BOOM", message="it broke", details={"x": 1}
    )
    assert failed.status == "failed"
    assert failed.error == {"code": "BOOM", "message": "it broke", "details": {"x": 1}}
    assert _actions(operation)[-1] == "operation.failed"


@pytest.mark.parametrize("finish", ["complete", "fail", "cancel_pending"])
def test_a_finished_operation_refuses_every_transition_and_nothing_changes(account, finish):
    # given: a finished operation
    operation = operation_create(account=account, type="test")
    if finish == "cancel_pending":
        operation_cancel(operation_id=operation.pk)
    else:
        operation_start(operation_id=operation.pk, worker="w:1")
        if finish == "complete":
            operation_complete(operation_id=operation.pk, result=None)
        else:
            operation_fail(operation_id=operation.pk, code="X", message="x")
    before = snapshot(operation)
    # when / then: each write is refused
    for write in (
        lambda: operation_complete(operation_id=operation.pk, result={"late": True}),
        lambda: operation_fail(operation_id=operation.pk, code="Y", message="y"),
        lambda: operation_stopped(operation_id=operation.pk, metrics={"late": 1}),
    ):
        with pytest.raises(InvalidOperationTransition):
            write()
    with pytest.raises(OperationNotCancelable) as refused:
        operation_cancel(operation_id=operation.pk)
    assert refused.value.status_code == 409
    # and starting it again is a no-op (the task of a finished operation does nothing)
    assert operation_start(operation_id=operation.pk, worker="w:2") is None
    assert snapshot(operation) == before


def test_pending_cannot_complete_and_nothing_changes(account):
    operation = operation_create(account=account, type="test")
    before = snapshot(operation)
    with pytest.raises(InvalidOperationTransition) as refused:
        operation_complete(operation_id=operation.pk, result=None)
    assert refused.value.details == {"status": "pending", "event": "completed"}
    assert snapshot(operation) == before


def test_cancel_pending_cancels_at_once(account):
    operation = operation_create(account=account, type="test")
    cancelled = operation_cancel(operation_id=operation.pk)
    assert cancelled.status == "cancelled"
    assert cancelled.finished_at is not None
    # the queued task, if delivered anyway, does nothing
    assert operation_start(operation_id=operation.pk, worker="w:1") is None
    assert Operation.objects.get(pk=operation.pk).status == "cancelled"


def test_cancel_running_is_a_request_the_checkpoint_sees(account):
    # given
    operation = running(account=account)
    # when
    requested = operation_cancel(operation_id=operation.pk)
    # then: still running until the task stops, and the next checkpoint learns it
    assert requested.status == "running"
    assert requested.cancel_requested_at is not None
    ack = operation_progress_record(operation_id=operation.pk, items_done=5, metrics={"m": 5})
    assert ack.is_cancel_requested
    stopped = operation_stopped(operation_id=operation.pk, metrics={"m": 5})
    assert stopped.status == "cancelled"
    assert stopped.metrics == {"m": 5}
    assert _actions(operation)[-2:] == ["operation.cancel_requested", "operation.cancelled"]
    # asking twice while it ran was harmless; once finished it is a 409
    with pytest.raises(OperationNotCancelable):
        operation_cancel(operation_id=operation.pk)


def test_progress_on_a_finished_operation_tells_the_task_to_stop(account):
    operation = running(account=account)
    operation_fail(operation_id=operation.pk, code="X", message="x")
    before = snapshot(operation)
    ack = operation_progress_record(operation_id=operation.pk, items_done=9)
    assert not ack.is_running
    assert snapshot(operation) == before


def test_stale_check_fails_an_operation_whose_worker_went_silent(account, settings):
    settings.OPERATION_HEARTBEAT_TTL_S = 5
    # given: one operation silent for 6 s, one that heartbeated just now, one pending
    silent = running(account=account, worker="dead-host:7")
    Operation.objects.filter(pk=silent.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=6)
    )
    alive = running(account=account, worker="live-host:8")
    pending = operation_create(account=account, type="test")
    # when
    failed = operation_fail_stale()
    # then
    assert failed == [silent.pk]
    silent.refresh_from_db()
    assert silent.status == "failed"
    assert silent.error["code"] == "WORKER_LOST"
    assert "dead-host:7" in silent.error["message"]
    assert "killed or crashed" in silent.error["message"]
    assert Operation.objects.get(pk=alive.pk).status == "running"
    assert Operation.objects.get(pk=pending.pk).status == "pending"
    # a second check finds nothing more
    assert operation_fail_stale() == []


def test_a_redelivered_task_restarts_a_stale_running_operation(account, settings):
    settings.OPERATION_HEARTBEAT_TTL_S = 5
    operation = running(account=account, worker="dead:1")
    operation_progress_record(operation_id=operation.pk, items_done=4, items_total=10)
    # a live duplicate delivery is refused
    assert operation_start(operation_id=operation.pk, worker="other:2") is None
    Operation.objects.filter(pk=operation.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=6)
    )
    restarted = operation_start(operation_id=operation.pk, worker="other:2")
    assert restarted.status == "running"
    assert restarted.worker == "other:2"
    assert restarted.attempts == 2
    assert restarted.items_done == 0
    assert _actions(operation)[-1] == "operation.restarted"


def _parent_with_children(account, count: int):
    parent = operation_create(account=account, type="sweep")
    operation_parent_start(operation_id=parent.pk)
    children = [
        operation_create(account=account, type="test", parent=parent, items_total=10)
        for _ in range(count)
    ]
    return parent, children


def test_parent_progress_adds_up_its_children(account):
    parent, children = _parent_with_children(account, 3)
    for child, done in zip(children, (10, 5, 0), strict=True):
        operation_start(operation_id=child.pk, worker="w:1")
        operation_progress_record(operation_id=child.pk, items_done=done)
    operation_parent_refresh(operation_id=parent.pk, force=True)
    parent.refresh_from_db()
    assert (parent.items_done, parent.items_total) == (15, 30)
    assert parent.metrics["children"]["running"] == 3
    assert parent.status == "running"


def test_parent_completes_when_every_child_completed(account):
    parent, children = _parent_with_children(account, 2)
    for child in children:
        operation_start(operation_id=child.pk, worker="w:1")
        operation_complete(operation_id=child.pk, result=None)
    parent.refresh_from_db()
    assert parent.status == "completed"
    assert parent.result == {"children": {"completed": 2, "failed": 0, "cancelled": 0}}
    assert parent.items_done == parent.items_total == 20


def test_parent_fails_naming_the_children_that_did_not_complete(account):
    parent, children = _parent_with_children(account, 3)
    operation_start(operation_id=children[0].pk, worker="w:1")
    operation_fail(operation_id=children[0].pk, code="X", message="x")
    operation_cancel(operation_id=children[1].pk)
    operation_start(operation_id=children[2].pk, worker="w:1")
    parent.refresh_from_db()
    assert parent.status == "running"
    operation_complete(operation_id=children[2].pk, result=None)
    parent.refresh_from_db()
    assert parent.status == "failed"
    assert parent.error["code"] == "CHILD_OPERATIONS_FAILED"
    assert parent.error["details"] == {"failed": [children[0].pk], "cancelled": [children[1].pk]}
    assert str(children[0].pk) in parent.error["message"]


def test_cancelling_a_parent_cancels_its_children(account):
    parent, children = _parent_with_children(account, 3)
    operation_start(operation_id=children[0].pk, worker="w:1")
    operation_complete(operation_id=children[0].pk, result=None)
    operation_start(operation_id=children[1].pk, worker="w:1")
    # when
    operation_cancel(operation_id=parent.pk)
    # then: the pending child is cancelled, the running one asked to stop
    statuses = {c.pk: Operation.objects.get(pk=c.pk) for c in children}
    assert statuses[children[2].pk].status == "cancelled"
    assert statuses[children[1].pk].cancel_requested_at is not None
    parent.refresh_from_db()
    assert parent.status == "running"
    # and when the running child stops at its checkpoint, the parent ends cancelled
    operation_stopped(operation_id=children[1].pk, metrics=None)
    parent.refresh_from_db()
    assert parent.status == "cancelled"


def test_parent_progress_is_throttled_to_the_interval(account, settings):
    settings.OPERATION_PROGRESS_INTERVAL_S = 60
    parent, children = _parent_with_children(account, 2)
    operation_start(operation_id=children[0].pk, worker="w:1")
    operation_parent_refresh(operation_id=parent.pk, force=True)
    # within the interval, an unforced refresh writes nothing
    operation_progress_record(operation_id=children[0].pk, items_done=7)
    assert operation_parent_refresh(operation_id=parent.pk) is None
    parent.refresh_from_db()
    assert parent.items_done == 0
    # a forced one does
    operation_parent_refresh(operation_id=parent.pk, force=True)
    parent.refresh_from_db()
    assert parent.items_done == 7
