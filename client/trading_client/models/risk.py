"""Risk summary and configuration, circuit breaker, overrides and trading control."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from trading_client.models._base import Model
from trading_client.models.orders import CancelResult
from trading_client.models.portfolio import CloseResult


@dataclass(frozen=True, kw_only=True)
class RiskLimit(Model):
    """A measurable limit and its use; `limit` and `utilization_pct` are None without a limit."""

    name: str
    used: Decimal | None = None
    limit: Decimal | None = None
    utilization_pct: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class CircuitBreaker(Model):
    tripped: bool
    reason: str = ""
    tripped_at: datetime | None = None
    account: int | None = None


@dataclass(frozen=True, kw_only=True)
class RiskOverride(Model):
    id: int
    account: int
    kind: str
    target: str
    value: str
    reason: str
    expires_at: datetime
    status: str
    requested_by: str | None = None
    approved_by: str | None = None
    revoked_by: str | None = None
    created_at: datetime | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RiskSummary(Model):
    """`GET /risk`: trading state, drawdown zone, risk level, limits in use, breaker, active
    overrides."""

    account: int
    trading_state: str
    dd_zone: str
    risk_level: Decimal
    drawdown_pct: Decimal
    limits: list[RiskLimit]
    circuit_breaker: CircuitBreaker
    overrides: list[RiskOverride] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class DrawdownZone(Model):
    zone: str
    drawdown_pct: Decimal
    risk_multiplier: Decimal


@dataclass(frozen=True, kw_only=True)
class RiskConfig(Model):
    """The account's risk configuration; a None limit means no limit."""

    version: int
    max_order_quantity: Decimal | None = None
    max_order_notional: Decimal | None = None
    max_position_notional: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_open_orders: int | None = None
    price_band_pct: Decimal | None = None
    allowed_symbols: list[str] = field(default_factory=list)
    blocked_symbols: list[str] = field(default_factory=list)
    daily_loss_limit: Decimal | None = None
    max_drawdown_pct: Decimal | None = None
    dd_zones: list[DrawdownZone] = field(default_factory=list)
    risk_per_trade_pct: Decimal | None = None
    max_orders_per_second: int | None = None
    require_four_eyes: bool = False
    flatten_on_halt: bool = False


@dataclass(frozen=True, kw_only=True)
class TradingState(Model):
    """The persisted trading state (`state`) and the one in force (`effective_state`, which
    differs while a `trading_state` override is active)."""

    state: str
    effective_state: str
    reason: str = ""
    actor: str | None = None
    changed_at: datetime | None = None
    account: int | None = None


@dataclass(frozen=True, kw_only=True)
class TradingStopResult(TradingState):
    """The kill switch's answer: the new state plus what it canceled and the orders closing
    positions, each with its own status code."""

    canceled_orders: list[CancelResult] = field(default_factory=list)
    closing_orders: list[CloseResult] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class VenueConfig(Model):
    market_data_source: str | None = None
    tick_interval_s: Decimal | None = None
    slippage_bps: Decimal | None = None
    #: fee rates by symbol (and `default`): {"default": {"maker": ..., "taker": ...}}
    fees: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    session_close_utc: str | None = None


@dataclass(frozen=True, kw_only=True)
class Config(Model):
    """`GET /config`: the effective non-secret configuration of the account."""

    account: int
    risk: RiskConfig
    trading: TradingState
    rate_limits: dict[str, str] = field(default_factory=dict)
    venue: VenueConfig | None = None
