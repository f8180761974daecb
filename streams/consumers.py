"""The one WebSocket endpoint, /ws/v1/stream: JSON actions in, typed messages out."""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from trading_api.api.parsers import json_loads
from trading_api.api.renderers import json_dumps

logger = logging.getLogger(__name__)


class StreamConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches each client message on its `action` to an `action_<name>` handler."""

    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content, **kwargs) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        handler = getattr(self, f"action_{action}", None) if isinstance(action, str) else None
        if handler is None:
            await self.send_error("UNKNOWN_ACTION", f"Unknown action {action!r}")
            return
        await handler(content)

    async def action_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    async def send_error(self, code: str, message: str) -> None:
        """Send an error message; the socket stays open."""
        await self.send_json({"type": "error", "code": code, "message": message})

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            content = await self.decode_json(text_data if text_data is not None else bytes_data)
        except ValueError:
            await self.send_error("MALFORMED_MESSAGE", "Messages must be JSON objects")
            return
        await self.receive_json(content, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        return json_loads(text_data)

    @classmethod
    async def encode_json(cls, content) -> str:
        return json_dumps(content).decode()
