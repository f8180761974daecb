"""Operation writes: every status change goes through `_transition` (the table in `state.py`)."""

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from access.models import Account
from audit.services import audit_record
from kernel.publish import account_publish
from operations.enums import FINISHED_STATUSES, OperationEvent, OperationStatus
from operations.errors import OperationNotCancelable, OperationNotFound
from operations.models import Operation
from operations.payloads import operation_payload
from operations.state import operation_next_status

logger = logging.getLogger(__name__)

STREAM = "operations"
EVENT_PROGRESS = "operation.progress"
EVENT_FINISHED = "operation.finished"
# Error codes an operation can end with (besides a task's own ApplicationError codes).
_UNFINISHED = (OperationStatus.PENDING, OperationStatus.RUNNING)
WORKER_LOST = "WORKER_LOST"
OPERATION_FAILED = "OPERATION_FAILED"
CHILD_OPERATIONS_FAILED = "CHILD_OPERATIONS_FAILED"


def _publish(operation: Operation) -> None:
    """On commit, send the operation's REST representation to `account.<id>.operations`."""
    account_publish(
        account_id=operation.account_id,
        stream=STREAM,
        event=EVENT_FINISHED if operation.is_finished else EVENT_PROGRESS,
        data=operation_payload(operation),
    )


def _locked(operation_id: int) -> Operation:
    try:
        return Operation.objects.select_for_update().get(pk=operation_id)
    except Operation.DoesNotExist:
        raise OperationNotFound(
            f"Operation {operation_id} not found", details={"operation_id": operation_id}
        ) from None


def _transition(operation: Operation, event: str, *, now: datetime, **changes: Any) -> Operation:
    """Apply `event` to a locked operation: status from the table, fields, audit row, event.

    Raises InvalidOperationTransition (409) before anything is changed.
    """
    status = operation_next_status(status=operation.status, event=event)
    before = operation_payload(operation)
    operation.status = status
    for name, value in changes.items():
        setattr(operation, name, value)
    if status in FINISHED_STATUSES:
        operation.finished_at = now
    operation.progress_at = now
    operation.save()
    audit_record(
        action=f"operation.{event}",
        object_type="operation",
        object_id=operation.pk,
        before=before,
        after=operation_payload(operation),
        account_id=operation.account_id,
    )
    _publish(operation)
    return operation


def operation_create(
    *,
    account: Account,
    type: str,
    parent: Operation | None = None,
    items_total: int | None = None,
    phase: str = "queued",
) -> Operation:
    """Create a pending operation (audited, published); its task id is `operation-<id>`."""
    with transaction.atomic():
        operation = Operation.objects.create(
            account=account, type=type, parent=parent, items_total=items_total, phase=phase
        )
        operation.task_id = f"operation-{operation.pk}"
        operation.save(update_fields=["task_id"])
        audit_record(
            action="operation.created",
            object_type="operation",
            object_id=operation.pk,
            after=operation_payload(operation),
            account_id=operation.account_id,
        )
        _publish(operation)
    return operation


def operation_start(
    *, operation_id: int, worker: str, now: datetime | None = None
) -> Operation | None:
    """Mark the operation running on `worker`; return it, or None when the task must not run.

    None: the operation finished already (cancelled while queued, failed by the stale check), or
    it runs on a live worker (a duplicate delivery). A running operation whose heartbeat is stale
    is restarted: the broker redelivered the task of a worker that died.
    """
    now = now or timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        fields = {"worker": worker, "heartbeat_at": now, "attempts": operation.attempts + 1}
        if operation.status == OperationStatus.PENDING:
            return _transition(
                operation,
                OperationEvent.STARTED,
                now=now,
                started_at=now,
                phase="started",
                **fields,
            )
        if operation.status == OperationStatus.RUNNING and _is_stale(operation, now=now):
            return _transition(
                operation,
                OperationEvent.RESTARTED,
                now=now,
                items_done=0,
                phase="restarted",
                metrics={},
                **fields,
            )
    return None


def _is_stale(operation: Operation, *, now: datetime) -> bool:
    ttl = timedelta(seconds=settings.OPERATION_HEARTBEAT_TTL_S)
    return operation.heartbeat_at is None or operation.heartbeat_at < now - ttl


@dataclass(frozen=True)
class ProgressAck:
    """What a checkpoint learns: whether the job should go on."""

    is_running: bool
    is_cancel_requested: bool


def operation_progress_record(
    *,
    operation_id: int,
    items_done: int,
    items_total: int | None = None,
    phase: str | None = None,
    metrics: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ProgressAck:
    """Record progress and a heartbeat of a running operation and publish it (callers throttle).

    Returns whether it is still running and whether a cancel was requested. Not audited: it is
    not a status change.
    """
    now = now or timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        if operation.status != OperationStatus.RUNNING:
            return ProgressAck(is_running=False, is_cancel_requested=False)
        if items_total is not None:
            operation.items_total = items_total
        total = operation.items_total
        operation.items_done = min(items_done, total) if total is not None else items_done
        if phase is not None:
            operation.phase = phase
        if metrics is not None:
            operation.metrics = metrics
        operation.heartbeat_at = now
        operation.progress_at = now
        operation.save(
            update_fields=[
                "items_total",
                "items_done",
                "phase",
                "metrics",
                "heartbeat_at",
                "progress_at",
            ]
        )
        _publish(operation)
        ack = ProgressAck(
            is_running=True, is_cancel_requested=operation.cancel_requested_at is not None
        )
    if operation.parent_id is not None:
        operation_parent_refresh(operation_id=operation.parent_id, now=now)
    return ack


def operation_complete(
    *, operation_id: int, result: Any, metrics: dict[str, Any] | None = None
) -> Operation:
    """Mark a running operation completed with its result; raises InvalidOperationTransition."""
    now = timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        changes: dict[str, Any] = {"result": result, "phase": "completed", "heartbeat_at": now}
        if operation.items_total is not None:
            changes["items_done"] = operation.items_total
        if metrics is not None:
            changes["metrics"] = metrics
        operation = _transition(operation, OperationEvent.COMPLETED, now=now, **changes)
    _parent_refresh_of(operation, now=now)
    return operation


def operation_fail(
    *,
    operation_id: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Operation:
    """Mark a pending or running operation failed with `{code, message, details}`."""
    now = timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        changes: dict[str, Any] = {
            "error": {"code": code, "message": message, "details": details},
            "phase": "failed",
        }
        if metrics is not None:
            changes["metrics"] = metrics
        operation = _transition(operation, OperationEvent.FAILED, now=now, **changes)
    _parent_refresh_of(operation, now=now)
    return operation


def operation_stopped(*, operation_id: int, metrics: dict[str, Any] | None) -> Operation:
    """Mark a running operation cancelled after its task stopped at a checkpoint.

    `metrics` are the partial figures the task had reached; they are kept.
    """
    now = timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        changes: dict[str, Any] = {"phase": "cancelled"}
        if metrics is not None:
            changes["metrics"] = metrics
        operation = _transition(operation, OperationEvent.CANCELLED, now=now, **changes)
    _parent_refresh_of(operation, now=now)
    return operation


def operation_cancel(*, operation_id: int) -> Operation:
    """Cancel an operation and, for a parent, every unfinished child.

    Pending: cancelled at once and its queued task revoked. Running: a cancel request the task
    honours at its next checkpoint (the status changes then). Finished: OperationNotCancelable.
    Asking twice is harmless. Returns the operation as it is after the call.
    """
    now = timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        if operation.is_finished:
            raise OperationNotCancelable(
                f"Operation {operation.pk} is {operation.status}: there is nothing to cancel",
                details={"operation_id": operation.pk, "status": operation.status},
            )
        if operation.status == OperationStatus.PENDING:
            operation = _transition(operation, OperationEvent.CANCELLED, now=now, phase="cancelled")
            _revoke_on_commit(operation.task_id)
        elif operation.cancel_requested_at is None:
            before = operation_payload(operation)
            operation.cancel_requested_at = now
            operation.save(update_fields=["cancel_requested_at"])
            audit_record(
                action="operation.cancel_requested",
                object_type="operation",
                object_id=operation.pk,
                before=before,
                after=operation_payload(operation),
                account_id=operation.account_id,
            )
            _publish(operation)
    # Children one transaction each, so locks are always taken child first, then parent.
    for child_id in (
        Operation.objects.filter(parent_id=operation.pk)
        .exclude(status__in=FINISHED_STATUSES)
        .values_list("id", flat=True)
    ):
        with contextlib.suppress(OperationNotCancelable):  # it finished meanwhile
            operation_cancel(operation_id=child_id)
    if operation.parent_id is not None and operation.is_finished:
        operation_parent_refresh(operation_id=operation.parent_id, now=now)
    if Operation.objects.filter(parent_id=operation.pk).exists():
        operation_parent_refresh(operation_id=operation.pk, now=now)
    operation.refresh_from_db()
    return operation


def _revoke_on_commit(task_id: str) -> None:
    if not task_id or current_app.conf.task_always_eager:
        return

    def revoke() -> None:
        try:
            current_app.control.revoke(task_id)
        except Exception:  # the broker may be down; the task's own start check still holds
            logger.exception("could not revoke task %s", task_id)

    transaction.on_commit(revoke)


def operation_parent_start(*, operation_id: int) -> Operation:
    """Mark a parent operation (one without a task of its own) running."""
    now = timezone.now()
    with transaction.atomic():
        operation = _locked(operation_id)
        return _transition(
            operation,
            OperationEvent.STARTED,
            now=now,
            started_at=now,
            phase="running",
            attempts=operation.attempts + 1,
        )


def _parent_refresh_of(operation: Operation, *, now: datetime) -> None:
    # Not forced: the parent finishes at once when this was its last child, and otherwise its
    # progress events keep their 100 ms spacing.
    if operation.parent_id is not None:
        operation_parent_refresh(operation_id=operation.parent_id, now=now)


def operation_parent_refresh(
    *, operation_id: int, now: datetime | None = None, force: bool = False
) -> Operation | None:
    """Roll the children's progress up into the parent; finish it when every child has.

    Progress is written (and published) at most every OPERATION_PROGRESS_INTERVAL_S unless
    `force`. The parent ends cancelled if it was asked to, failed naming the children that did
    not complete, else completed. Returns the parent, or None when nothing was written.
    """
    now = now or timezone.now()
    interval = timedelta(seconds=settings.OPERATION_PROGRESS_INTERVAL_S)
    if (
        not force
        and Operation.objects.filter(
            pk=operation_id, progress_at__gt=now - interval, children__status__in=_UNFINISHED
        ).exists()
    ):
        # Throttled, and not the last child: skip without queueing on the parent's row lock,
        # which every child of a sweep would otherwise take at each checkpoint.
        return None
    with transaction.atomic():
        operation = _locked(operation_id)
        if operation.is_finished:
            return None
        children = Operation.objects.filter(parent_id=operation.pk)
        summary = children.aggregate(
            count=Count("id"),
            done=Sum("items_done"),
            total=Sum("items_total"),
            unknown_total=Count("id", filter=Q(items_total__isnull=True)),
            **{status: Count("id", filter=Q(status=status)) for status in OperationStatus.values},
        )
        finished = sum(summary[status] for status in FINISHED_STATUSES)
        all_finished = summary["count"] > 0 and finished == summary["count"]
        if not (force or all_finished) and (
            operation.progress_at is not None and operation.progress_at > now - interval
        ):
            return None
        operation.items_done = summary["done"] or 0
        operation.items_total = None if summary["unknown_total"] else (summary["total"] or 0)
        operation.metrics = {
            "children": {status: summary[status] for status in OperationStatus.values},
            "children_total": summary["count"],
        }
        operation.heartbeat_at = now
        if not all_finished or operation.status == OperationStatus.PENDING:
            operation.progress_at = now
            operation.save()
            _publish(operation)
            return operation
        return _parent_finish(operation, children=children, summary=summary, now=now)


def _parent_finish(
    operation: Operation, *, children: Any, summary: dict, now: datetime
) -> Operation:
    counts = {status: summary[status] for status in FINISHED_STATUSES}
    result = {"children": counts}
    if operation.cancel_requested_at is not None:
        return _transition(
            operation, OperationEvent.CANCELLED, now=now, phase="cancelled", result=result
        )
    if counts[OperationStatus.COMPLETED] == summary["count"]:
        return _transition(
            operation, OperationEvent.COMPLETED, now=now, phase="completed", result=result
        )
    failed = list(
        children.filter(status=OperationStatus.FAILED).order_by("id").values_list("id", flat=True)
    )
    cancelled = list(
        children.filter(status=OperationStatus.CANCELLED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    named = ", ".join(str(i) for i in failed + cancelled)
    return _transition(
        operation,
        OperationEvent.FAILED,
        now=now,
        phase="failed",
        result=result,
        error={
            "code": CHILD_OPERATIONS_FAILED,
            "message": (
                f"{len(failed) + len(cancelled)} of {summary['count']} child operations did "
                f"not complete: {named}"
            ),
            "details": {"failed": failed, "cancelled": cancelled},
        },
    )


def operation_fail_stale(*, now: datetime | None = None) -> list[int]:
    """Fail every running operation whose worker stopped heartbeating; return their ids.

    A task heartbeats at each checkpoint; silence longer than OPERATION_HEARTBEAT_TTL_S means
    its worker died (kill -9, out of memory, a lost machine). Parents have no worker of their
    own and are finished by their children instead.
    """
    now = now or timezone.now()
    ttl = settings.OPERATION_HEARTBEAT_TTL_S
    stale = list(
        Operation.objects.filter(
            status=OperationStatus.RUNNING,
            heartbeat_at__lt=now - timedelta(seconds=ttl),
            children__isnull=True,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    failed: list[int] = []
    for operation_id in stale:
        with transaction.atomic():
            operation = _locked(operation_id)
            if operation.status != OperationStatus.RUNNING or not _is_stale(operation, now=now):
                continue  # it finished or heartbeated since the query
            heartbeat = (
                operation.heartbeat_at.isoformat().replace("+00:00", "Z")
                if operation.heartbeat_at
                else "never"
            )
            operation = _transition(
                operation,
                OperationEvent.FAILED,
                now=now,
                phase="failed",
                error={
                    "code": WORKER_LOST,
                    "message": (
                        f"No heartbeat from worker {operation.worker or '(unknown)'} since "
                        f"{heartbeat} ({ttl:g} s allowed): the worker stopped (killed or "
                        "crashed) while running this operation"
                    ),
                    "details": {"worker": operation.worker, "heartbeat_at": heartbeat},
                },
            )
        failed.append(operation_id)
        _parent_refresh_of(operation, now=now)
    if failed:
        logger.warning("failed %d operation(s) whose worker stopped: %s", len(failed), failed)
    return failed
