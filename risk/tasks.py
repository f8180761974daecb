"""Periodic marking of overrides past their expiry."""

from celery import shared_task


@shared_task
def risk_override_expire_due() -> int:
    """Mark expired overrides and audit each; safe to run any number of times."""
    from risk.services import risk_override_expire

    return risk_override_expire()
