"""Celery tasks of backtests: ids in, one service call, safe to run twice."""

from celery import shared_task
from django.conf import settings


@shared_task(
    name="backtests.backtest_run",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.OPERATION_TIME_LIMIT_S,
)
def backtest_run_task(backtest_id: int) -> str:
    """Run one backtest (a sweep runs one of these per combination)."""
    from backtests.services import backtest_execute

    return backtest_execute(backtest_id=backtest_id)
