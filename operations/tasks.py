"""Celery tasks of operations: the periodic stale-heartbeat check."""

from celery import shared_task


@shared_task(name="operations.operation_fail_stale")
def operation_fail_stale_task() -> list[int]:
    """Fail operations whose worker stopped heartbeating (beat runs this periodically)."""
    from operations.services import operation_fail_stale

    return operation_fail_stale()
