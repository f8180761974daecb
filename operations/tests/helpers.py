"""Helpers for operation tests: operations in a given state, audit rows, channel-layer events."""

from datetime import timedelta

from asgiref.sync import async_to_sync
from django.utils import timezone

from audit.models import AuditEntry
from operations.models import Operation
from operations.services import operation_create, operation_start


def running(*, account, worker: str = "host:1", parent=None, items_total=None) -> Operation:
    operation = operation_create(
        account=account, type="test", parent=parent, items_total=items_total
    )
    return operation_start(operation_id=operation.pk, worker=worker)


def snapshot(operation: Operation) -> tuple:
    """Everything a refused action must leave unchanged."""
    operation.refresh_from_db()
    audit_rows = AuditEntry.objects.filter(object_type="operation", object_id=str(operation.pk))
    return (
        operation.status,
        operation.phase,
        operation.items_done,
        operation.metrics,
        operation.error,
        operation.finished_at,
        operation.cancel_requested_at,
        audit_rows.count(),
    )


def long_ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def drain(layer, channel: str) -> list[dict]:
    messages = []

    async def take_all():
        while layer.channels.get(channel, None) is not None and not layer.channels[channel].empty():
            messages.append(await layer.receive(channel))

    async_to_sync(take_all)()
    return messages
