"""System results: health, status, identity, JWT tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trading_client.models._base import Model


@dataclass(frozen=True, kw_only=True)
class Health(Model):
    status: str


@dataclass(frozen=True, kw_only=True)
class EngineStatus(Model):
    state: str
    started_at: datetime | None = None
    uptime_s: Decimal | None = None
    pid: int | None = None
    host: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkersStatus(Model):
    state: str
    count: int | None = None


@dataclass(frozen=True, kw_only=True)
class Connections(Model):
    """Each dependency's state (`up`, `down`, `in-process`, ...)."""

    database: str | None = None
    cache: str | None = None
    channel_layer: str | None = None
    broker: str | None = None
    workers: WorkersStatus | None = None
    market_data: str | None = None


@dataclass(frozen=True, kw_only=True)
class Status(Model):
    mode: str
    version: str
    engine: EngineStatus
    connections: Connections


@dataclass(frozen=True, kw_only=True)
class UserRef(Model):
    id: int
    username: str


@dataclass(frozen=True, kw_only=True)
class CredentialInfo(Model):
    """How the caller authenticated: `type` is `jwt`, `api_key` or `session`."""

    type: str
    scheme: str | None = None
    key_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AccountRef(Model):
    id: int
    name: str
    base_currency: str


@dataclass(frozen=True, kw_only=True)
class Identity(Model):
    """`GET /me`: the user, the credential in use, roles, effective scopes and accounts."""

    user: UserRef
    credential: CredentialInfo
    roles: list[str]
    scopes: list[str]
    accounts: list[AccountRef]


@dataclass(frozen=True, kw_only=True)
class TokenPair(Model):
    """A JWT access token and the refresh token that renews it (single use: rotation)."""

    access: str
    refresh: str
