"""Run the web server (daphne); in embedded mode the engine runs on the same event loop."""

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with daphne; starts the embedded engine when configured."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        # daphne.server installs the asyncio Twisted reactor on import: import it first.
        from daphne.server import Server
        from twisted.internet import defer, reactor

        from engine.embedded import embedded_engine_ensure_started, embedded_engine_stop
        from trading_api.asgi import application

        base = f"http://{host}:{port}"
        self.stdout.write(
            f"Trading back-office ({settings.RUN_MODE} mode)\n"
            f"  dashboard  {base}/\n"
            f"  API docs   {base}/api/v1/docs/   (log in first at {base}/api/v1/auth/login/)\n"
            f"  admin      {base}/admin/\n"
            f"  health     {base}/api/v1/health\n"
            f"  WebSocket  ws://{host}:{port}/ws/v1/stream\n"
            "Credentials: see the seed output above, or `manage.py createsuperuser`.\n"
        )
        self.stdout.flush()
        reactor.callWhenRunning(embedded_engine_ensure_started)
        # On SIGTERM/SIGINT the engine stops before the loop does, so the feed stores its open
        # candle and the heartbeat is withdrawn.
        reactor.addSystemEventTrigger(
            "before",
            "shutdown",  # type: ignore[arg-type]
            lambda: defer.Deferred.fromFuture(asyncio.ensure_future(embedded_engine_stop())),
        )
        interface = host.strip("[]")
        endpoint = f"tcp:port={port}:interface={interface.replace(':', chr(92) + ':')}"
        Server(
            application=application,
            endpoints=[endpoint],
            signal_handlers=True,
            action_logger=None,
            root_path="",
            # Protocol-level pings on idle sockets; a socket that does not answer is closed.
            ping_interval=settings.STREAM_PING_INTERVAL_S,
            ping_timeout=settings.STREAM_PING_TIMEOUT_S,
        ).run()
