"""The one WebSocket endpoint, /ws/v1/stream: JSON actions in, typed messages out."""

import asyncio
import logging
import time

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from access.credentials import api_key_verify_signature, websocket_message
from access.errors import CredentialRejected
from access.selectors import account_ids_for, scopes_for
from kernel.api.parsers import json_loads
from kernel.api.renderers import json_dumps

logger = logging.getLogger(__name__)


# WebSocket close code for a socket that did not (or failed to) authenticate.
CLOSE_NOT_AUTHENTICATED = 4401


def _jwt_principal(token: str):
    """(user, validated token) for a JWT access token; raises InvalidToken/TokenError."""
    authenticator = JWTAuthentication()
    validated = authenticator.get_validated_token(token.encode())
    return authenticator.get_user(validated), validated


class StreamConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches each client message on its `action` to an `action_<name>` handler.

    A socket must authenticate first (JWT access token, or a signed API key); until then only
    `authenticate` and `ping` are served, and after `auth_timeout_s` it is closed with 4401.
    `timer` is the clock (seconds) used to check signed timestamps.
    """

    auth_timeout_s: float = 5.0
    unauthenticated_actions = frozenset({"authenticate", "ping"})
    timer = staticmethod(time.time)

    async def connect(self) -> None:
        self.scope["user"] = AnonymousUser()
        self.scope["api_key"] = None
        self.authenticated = False
        self.account_ids: list[int] = []
        self.scopes: frozenset[str] = frozenset()
        await self.accept()
        self._auth_deadline = asyncio.ensure_future(self._close_if_unauthenticated())

    async def disconnect(self, code) -> None:
        deadline = getattr(self, "_auth_deadline", None)
        if deadline is not None:
            deadline.cancel()

    async def _close_if_unauthenticated(self) -> None:
        await asyncio.sleep(self.auth_timeout_s)
        if not self.authenticated:
            await self.send_error("NOT_AUTHENTICATED", "Authenticate within the time allowed")
            await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def receive_json(self, content, **kwargs) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        if not self.authenticated and action not in self.unauthenticated_actions:
            await self.send_error("NOT_AUTHENTICATED", "Authenticate first")
            return
        handler = getattr(self, f"action_{action}", None) if isinstance(action, str) else None
        if handler is None:
            await self.send_error("UNKNOWN_ACTION", f"Unknown action {action!r}")
            return
        await handler(content)

    async def action_authenticate(self, content: dict) -> None:
        if self.authenticated:
            await self.send_error("ALREADY_AUTHENTICATED", "This socket is authenticated")
            return
        try:
            if content.get("token"):
                user, credential = await sync_to_async(_jwt_principal)(str(content["token"]))
                api_key = None
            elif content.get("api_key"):
                timestamp = str(content.get("timestamp", ""))
                api_key = await sync_to_async(api_key_verify_signature)(
                    key_id=str(content["api_key"]),
                    timestamp=timestamp,
                    signature=str(content.get("signature", "")),
                    message=websocket_message(timestamp=timestamp),
                    client_ip=(self.scope.get("client") or [None])[0],
                    now_ms=int(self.timer() * 1000),
                )
                user, credential = api_key.user, api_key
            else:
                raise CredentialRejected("Send `token`, or `api_key`, `timestamp`, `signature`")
        except CredentialRejected as error:
            await self._refuse(error.code, error.message)
            return
        except (InvalidToken, TokenError):
            await self._refuse("AUTHENTICATION_FAILED", "Invalid or expired token")
            return
        self.scope["user"], self.scope["api_key"] = user, api_key
        self.account_ids, self.scopes = await sync_to_async(self._access_load)()
        self.authenticated = True
        await self.send_json(
            {
                "type": "authenticated",
                "user": user.get_username(),
                "credential": "api_key" if api_key is not None else "jwt",
                "key_id": getattr(credential, "key_id", None),
                "scopes": sorted(self.scopes),
                "accounts": self.account_ids,
            }
        )

    def _access_load(self) -> tuple[list[int], frozenset[str]]:
        """Accounts the socket may follow and the scopes it holds, fixed at authentication."""
        return list(account_ids_for(self.scope)), scopes_for(self.scope)

    async def _refuse(self, code: str, message: str) -> None:
        await self.send_error(code, message)
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

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
