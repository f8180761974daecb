"""Running a job as an operation: how each ending is recorded; the checkpoint's throttle."""

import pytest

from kernel.errors import ApplicationError
from operations.errors import OperationAbandoned, OperationCancelled
from operations.models import Operation
from operations.runner import Checkpoint, Outcome, operation_run
from operations.services import operation_cancel, operation_create, operation_fail
from operations.tests.helpers import running

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _every_checkpoint_writes(settings):
    settings.OPERATION_PROGRESS_INTERVAL_S = 0.0


class Refused(ApplicationError):
    code = "JOB_REFUSED"
    status_code = 422


class FakeClock:
    """The injectable clock of a checkpoint (time is an edge of the project)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_job_that_returns_completes_with_its_result_and_metrics(account):
    operation = operation_create(account=account, type="test")

    def job(checkpoint):
        checkpoint(items_done=1, items_total=2, phase="working")
        return Outcome(result={"ok": True}, metrics={"done": 2})

    assert operation_run(operation_id=operation.pk, job=job, worker="w:1") == "completed"
    operation.refresh_from_db()
    assert (operation.status, operation.result, operation.metrics) == (
        "completed",
        {"ok": True},
        {"done": 2},
    )
    assert operation.items_done == 2


def test_a_domain_error_keeps_its_code(account):
    operation = operation_create(account=account, type="test")

    def job(checkpoint):
        raise Refused("no data for that", details={"symbol": "X"})

    assert operation_run(operation_id=operation.pk, job=job) == "failed"
    operation.refresh_from_db()
    assert operation.error == {
        "code": "JOB_REFUSED",
        "message": "no data for that",
        "details": {"symbol": "X"},
    }


def test_an_unexpected_exception_fails_with_its_type_and_message(account):
    operation = operation_create(account=account, type="test")

    def job(checkpoint):
        checkpoint(items_done=1, metrics={"partial": 1})
        raise ZeroDivisionError("division by zero")

    assert operation_run(operation_id=operation.pk, job=job) == "failed"
    operation.refresh_from_db()
    assert operation.error["code"] == "OPERATION_FAILED"
    assert operation.error["message"] == "ZeroDivisionError: division by zero"
    assert operation.metrics == {"partial": 1}


def test_cancel_requested_mid_job_stops_at_the_next_checkpoint_keeping_partial_metrics(account):
    operation = operation_create(account=account, type="test")
    steps = []

    def job(checkpoint):
        for step in range(100):
            if step == 3:
                operation_cancel(operation_id=operation.pk)  # the user, meanwhile
            checkpoint(items_done=step, items_total=100, metrics={"step": step})
            steps.append(step)
        return Outcome(result=None)

    assert operation_run(operation_id=operation.pk, job=job) == "cancelled"
    operation.refresh_from_db()
    assert operation.status == "cancelled"
    assert steps == [0, 1, 2]
    assert operation.metrics == {"step": 3}
    assert operation.items_done == 3


def test_the_task_of_a_cancelled_pending_operation_does_nothing(account):
    operation = operation_create(account=account, type="test")
    operation_cancel(operation_id=operation.pk)
    ran = []
    assert operation_run(operation_id=operation.pk, job=lambda c: ran.append(1)) == "skipped"
    assert ran == []


def test_a_job_whose_operation_was_failed_elsewhere_is_abandoned(account):
    operation = running(account=account)
    operation_fail(operation_id=operation.pk, code="WORKER_LOST", message="silent")
    checkpoint = Checkpoint(operation_id=operation.pk)
    with pytest.raises(OperationAbandoned):
        checkpoint(items_done=1)
    assert Operation.objects.get(pk=operation.pk).error["code"] == "WORKER_LOST"


def test_checkpoint_writes_at_most_once_per_interval(account):
    operation = running(account=account)
    clock = FakeClock()
    checkpoint = Checkpoint(operation_id=operation.pk, interval_s=0.1, clock=clock)
    # within an interval of the start (which was published), nothing is written
    checkpoint(items_done=0)
    assert checkpoint.writes == 0
    clock.now += 0.125  # steps exact in binary floating point
    checkpoint(items_done=1, metrics={"n": 1})
    clock.now += 0.0625
    checkpoint(items_done=2, metrics={"n": 2})
    assert checkpoint.writes == 1
    operation.refresh_from_db()
    assert operation.items_done == 1
    # the latest metrics are remembered even when not written (a cancel keeps them)
    assert checkpoint.metrics == {"n": 2}
    clock.now += 0.0625
    checkpoint(items_done=3)
    assert checkpoint.writes == 2
    operation.refresh_from_db()
    assert operation.items_done == 3


def test_checkpoint_raises_cancelled_with_the_latest_metrics(account):
    operation = running(account=account)
    operation_cancel(operation_id=operation.pk)
    checkpoint = Checkpoint(operation_id=operation.pk)
    with pytest.raises(OperationCancelled) as stop:
        checkpoint(items_done=1, metrics={"bars": 10})
    assert stop.value.metrics == {"bars": 10}
