"""Project-level Celery tasks."""

import socket

from celery import shared_task


@shared_task(name="trading_api.worker_ping")
def worker_ping(nonce: str) -> dict:
    """Return the nonce and the worker's host name: proves broker, worker and result backend."""
    return {"nonce": nonce, "worker": socket.gethostname()}
