"""Balances, positions, the portfolio summary and the equity curve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trading_client.models._base import Model
from trading_client.models.orders import ItemError


@dataclass(frozen=True, kw_only=True)
class Balance(Model):
    """Cash in one currency; `total == available + locked` always."""

    currency: str
    total: Decimal
    available: Decimal
    locked: Decimal


@dataclass(frozen=True, kw_only=True)
class Position(Model):
    """An open position. Market fields are None without a live quote. In `Portfolio.positions`
    the server leaves out `cost_basis`, `unrealized_pnl_pct` and the times."""

    symbol: str
    side: str
    quantity: Decimal
    average_entry_price: Decimal
    realized_pnl: Decimal
    cost_basis: Decimal | None = None
    market_price: Decimal | None = None
    market_value: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    unrealized_pnl_pct: Decimal | None = None
    opened_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Exposure(Model):
    gross: Decimal
    net: Decimal
    long: Decimal
    short: Decimal


@dataclass(frozen=True, kw_only=True)
class Portfolio(Model):
    account: int
    positions: list[Position]
    currency: str
    cash: Decimal
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    exposure: Exposure
    drawdown_pct: Decimal
    dd_zone: str
    risk_level: Decimal
    positions_value: Decimal | None = None
    peak_equity: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class EquityPoint(Model):
    timestamp: datetime
    equity: Decimal
    drawdown_pct: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class DrawdownPoint(Model):
    timestamp: datetime
    drawdown_pct: Decimal


@dataclass(frozen=True, kw_only=True)
class CloseResult(Model):
    """One position of `DELETE /positions` (207): the closing order, or why there is none.

    A close cut to what the cash pays is `status_code` 422 with `error.code` `CLOSE_UNFUNDED`,
    the order placed (`order_id`) and what stays open (`unplaced_quantity`)."""

    symbol: str
    status_code: int
    order_id: int | None = None
    status: str | None = None
    unplaced_quantity: Decimal | None = None
    error: ItemError | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300
