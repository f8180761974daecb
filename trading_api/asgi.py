"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from kernel.api.gate import GateASGI  # noqa: E402
from streams.origin import StreamOriginValidator  # noqa: E402
from trading_api.routing import websocket_urlpatterns  # noqa: E402


class EmbeddedEngineStarter:
    """Starts the in-process engine on the server's loop when the first scope arrives.

    `manage.py serve` starts it at boot already; this covers a plain `daphne` launch.
    """

    def __init__(self, app):
        self.app = app
        self.started = False

    async def __call__(self, scope, receive, send):
        if not self.started:
            from engine.embedded import embedded_engine_ensure_started

            embedded_engine_ensure_started()
            self.started = True
        return await self.app(scope, receive, send)


application = EmbeddedEngineStarter(
    ProtocolTypeRouter(
        {
            # A source the rate limits have locked out is refused before Django (kernel.api.gate).
            "http": GateASGI(django_asgi_app),
            "websocket": StreamOriginValidator(URLRouter(websocket_urlpatterns)),
        }
    )
)
