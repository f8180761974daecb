"""Strategy deployments: a strategy trading live on the paper venue, and what it decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from trading_client.models._base import Model
from trading_client.models.analytics import Signal


@dataclass(frozen=True, kw_only=True)
class Deployment(Model):
    """A deployment (`running`, `paused` or `stopped`, which is final).

    `position` (signed, from its own fills), `working_quantity` and its latest `signals` come
    with `get`, `start` and the lifecycle calls; lists leave them None."""

    id: int
    account: int
    strategy: str
    symbol: str
    interval: str
    status: str
    target: str
    capital: Decimal
    parameters: dict[str, Any]
    risk_per_trade_pct: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    status_reason: str = ""
    error: str = ""
    client_order_id_prefix: str = ""
    last_bar_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    stopped_at: datetime | None = None
    position: Decimal | None = None
    working_quantity: Decimal | None = None
    signals: list[Signal] | None = None

    @property
    def stopped(self) -> bool:
        return self.status == "stopped"
