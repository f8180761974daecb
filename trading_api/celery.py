"""Celery application; eager and in-process in embedded mode, Redis-brokered in services mode."""

import os

from celery import Celery
from celery.signals import worker_process_init

from kernel.runtime import publishing_loop_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")

app = Celery("trading_api")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _publishing_loop(**_signal_arguments) -> None:
    """Each worker process publishes (job progress, results) from one loop of its own."""
    publishing_loop_start()
