"""Serve HTTP with gunicorn: one worker process per core, threads reusing database connections."""

import os

from django.core.management.base import BaseCommand
from django.db import connections
from gunicorn.app.base import BaseApplication

from kernel.runtime import publishing_loop_start


def _worker_ready(worker) -> None:
    # Each worker publishes to the channel layer from one loop of its own (see kernel.runtime).
    publishing_loop_start()


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        from trading_api.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve HTTP (not WebSockets) with gunicorn gthread workers; see README, services mode."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_WORKERS", 0)) or os.cpu_count() or 1,
            help="worker processes (default: WEB_WORKERS, else one per core)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", 8)),
            help="threads per worker, each keeping its own database connection",
        )

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options):
        self.stdout.write(f"HTTP on http://{host}:{port}: {workers} workers x {threads} threads\n")
        self.stdout.flush()
        # Nothing the master opened may be shared by the forked workers.
        connections.close_all()
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "post_worker_init": _worker_ready,
                "accesslog": None,
                "keepalive": 5,
                "graceful_timeout": 20,
                "timeout": 60,
                "control_socket_disable": True,
            }
        ).run()
