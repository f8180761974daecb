"""Orders, their events and fills, previews, and the per-item results of bulk cancels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trading_client.models._base import Model


@dataclass(frozen=True, kw_only=True)
class Fill(Model):
    id: int
    order_id: int
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str
    executed_at: datetime
    venue_exec_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderEvent(Model):
    id: int
    type: str
    status_before: str
    status_after: str
    quantity: Decimal | None = None
    price: Decimal | None = None
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Order(Model):
    """An order. `fills` and `events` are filled in by `orders.get` and
    `orders.get_by_client_id` (None where the server does not send them)."""

    id: int
    client_order_id: str
    account: int
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    quantity: Decimal
    filled_quantity: Decimal
    remaining_quantity: Decimal
    status: str
    version: int
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    expire_at: datetime | None = None
    average_fill_price: Decimal | None = None
    reject_code: str = ""
    reject_reason: str = ""
    stop_loss: Decimal | None = None
    strategy: str = ""
    signal: str | None = None
    locked_amount: Decimal | None = None
    triggered_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    fills: list[Fill] | None = None
    events: list[OrderEvent] | None = None

    @property
    def is_working(self) -> bool:
        """True while the order can still trade (new, pending, open, partially filled,
        pending cancel)."""
        return self.status in {"new", "pending", "open", "partially_filled", "pending_cancel"}


@dataclass(frozen=True, kw_only=True)
class PreviewViolation(Model):
    rule: str
    message: str
    limit: str | None = None
    value: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderPreview(Model):
    """What `POST /orders` would do, without placing anything."""

    verdict: str
    violations: list[PreviewViolation]
    symbol: str
    currency: str | None = None
    estimated_price: Decimal | None = None
    notional: Decimal | None = None
    fee: Decimal | None = None
    locked_amount: Decimal | None = None
    available: Decimal | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"


@dataclass(frozen=True, kw_only=True)
class ItemError(Model):
    """Why one item of a bulk operation was refused."""

    code: str
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class CancelResult(Model):
    """One order of `DELETE /orders` (207): its own status code and resulting status."""

    order_id: int
    status_code: int
    status: str | None = None
    error: ItemError | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300
