"""API keys as `/api-keys` shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trading_client.models._base import Model


@dataclass(frozen=True, kw_only=True)
class ApiKey(Model):
    id: int
    key_id: str
    name: str
    scheme: str
    scopes: list[str]
    account: int
    user: str | None = None
    expires_at: datetime | None = None
    allowed_ips: list[str] = field(default_factory=list)
    rate_limits: dict[str, Any] = field(default_factory=dict)
    public_key: str = ""
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, kw_only=True)
class CreatedApiKey(ApiKey):
    """The answer to a key's creation: the only time its `secret` is shown (None for
    Ed25519, whose private half never leaves the client)."""

    secret: str | None = None

    @property
    def token(self) -> str | None:
        """`<key_id>.<secret>`, what the simple scheme sends; None without a secret."""
        return f"{self.key_id}.{self.secret}" if self.secret else None
