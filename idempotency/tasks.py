"""Periodic cleanup of expired idempotency keys."""

from celery import shared_task


@shared_task
def idempotency_purge_expired() -> int:
    """Delete expired idempotency keys; safe to run any number of times."""
    from idempotency.services import idempotency_key_purge_expired

    return idempotency_key_purge_expired()
