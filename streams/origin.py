"""Which WebSocket handshakes are accepted by their Origin header."""

from urllib.parse import urlparse

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.utils.http import is_same_domain


class StreamOriginValidator:
    """Accept handshakes without an Origin; a browser's Origin must be allowed.

    Servers and scripts send no Origin and prove who they are with a credential. A browser always
    sends one; it is allowed when it is in STREAM_ALLOWED_ORIGINS ("*" allows any) or its host is
    one of ALLOWED_HOSTS (the dashboard, served by this site). Others are refused (403).
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = dict(scope.get("headers", [])).get(b"origin")
        if origin is None or self.is_allowed(origin.decode("latin1")):
            return await self.application(scope, receive, send)
        denier = WebsocketDenier()
        return await denier(scope, receive, send)

    @staticmethod
    def is_allowed(origin: str) -> bool:
        allowed = settings.STREAM_ALLOWED_ORIGINS
        if "*" in allowed or origin in allowed:
            return True
        host = urlparse(origin).hostname
        if not host:
            return False
        return any(is_same_domain(host, pattern) for pattern in settings.ALLOWED_HOSTS)
