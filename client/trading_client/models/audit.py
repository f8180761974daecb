"""The audit trail and its verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trading_client.models._base import Model


@dataclass(frozen=True, kw_only=True)
class AuditEntry(Model):
    id: int
    seq: int
    timestamp: datetime
    kind: str
    action: str
    actor: str
    hash: str
    prev_hash: str
    object_type: str = ""
    object_id: str = ""
    account_id: int | None = None
    actor_id: int | None = None
    credential: str = ""
    method: str = ""
    path: str = ""
    status_code: int | None = None
    ip: str = ""
    request_id: str = ""
    params: Any = None
    duration_ms: int | None = None
    before: Any = None
    after: Any = None


@dataclass(frozen=True, kw_only=True)
class AuditVerification(Model):
    """Whether the hash chain is intact; else the first broken row and why."""

    intact: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""
