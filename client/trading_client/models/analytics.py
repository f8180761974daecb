"""Round-trip trades, performance figures and strategy signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from trading_client.models._base import Model, json_name
from trading_client.models.portfolio import DrawdownPoint, EquityPoint


@dataclass(frozen=True, kw_only=True)
class Trade(Model):
    """One round trip flat -> flat; `closed_at`, `exit_price` and the results are None while
    it is open."""

    id: int
    symbol: str
    side: str
    quantity: Decimal
    entry_price: Decimal
    opened_at: datetime
    exit_price: Decimal | None = None
    closed_at: datetime | None = None
    pnl: Decimal | None = None
    pnl_pct: Decimal | None = None
    fees: Decimal | None = None
    initial_stop: Decimal | None = None
    r_multiple: Decimal | None = None
    strategy: str = ""


@dataclass(frozen=True, kw_only=True)
class Performance(Model):
    """Figures of the trades closed in [`start`, `end`) (JSON `from`/`to`)."""

    start: datetime = field(metadata=json_name("from"))
    end: datetime = field(metadata=json_name("to"))
    trades: int
    wins: int
    losses: int
    total_pnl: Decimal
    win_rate: Decimal | None = None
    total_r: Decimal | None = None
    avg_r: Decimal | None = None
    profit_factor: Decimal | None = None
    expectancy: Decimal | None = None
    avg_win: Decimal | None = None
    avg_loss: Decimal | None = None
    sharpe: Decimal | None = None
    sortino: Decimal | None = None
    max_drawdown_pct: Decimal | None = None
    equity_curve: list[EquityPoint] = field(default_factory=list)
    drawdown_curve: list[DrawdownPoint] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Signal(Model):
    id: int
    strategy: str
    symbol: str
    direction: str
    decision: str
    strength: Decimal | None = None
    reason: str = ""
    order: int | None = None
    outcome_r: Decimal | None = None
    created_at: datetime | None = None
