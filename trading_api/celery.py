"""Celery application; eager and in-process in embedded mode, Redis-brokered in services mode."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")

app = Celery("trading_api")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
