"""Strategies, backtests, sweeps and long operations (progress, status, result, metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from trading_client.models._base import Model

FINISHED = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True, kw_only=True)
class Strategy(Model):
    """A registered strategy and the JSON schema of its parameters."""

    name: str
    title: str = ""
    description: str = ""
    parameters_schema: dict[str, Any] | None = None
    defaults: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Progress(Model):
    """How far a long operation is: a percentage (0-100), its phase, items done of total."""

    percentage: Decimal
    phase: str = ""
    items_done: int | None = None
    items_total: int | None = None


@dataclass(frozen=True, kw_only=True)
class OperationError(Model):
    """Why an operation failed: `code` is the job's own error code (`BACKTEST_NO_DATA`, ...) or
    `WORKER_LOST`, `OPERATION_FAILED`, `CHILD_OPERATIONS_FAILED` (docs/errors.md, "Operations").
    A failed job is not raised: its operation (and backtest or sweep) carries this."""

    code: str
    message: str = ""
    details: Any = None


@dataclass(frozen=True, kw_only=True)
class _Tracked(Model):
    """What every view of a long operation carries: its status and progress."""

    status: str
    progress: Progress

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True, kw_only=True)
class Operation(_Tracked):
    """A long job (a backtest, a sweep, ...) and where it is."""

    id: int
    type: str
    error: OperationError | None = None
    result: Any = None
    parent: int | None = None
    account: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class BacktestStarted(Model):
    """The answer to starting a backtest (202): follow the operation, then read the backtest."""

    backtest_id: int
    operation_id: int


@dataclass(frozen=True, kw_only=True)
class _Run(_Tracked):
    """A backtest or a sweep: a strategy over a symbol's bars, run by an operation."""

    id: int
    operation_id: int
    strategy: str
    symbol: str
    interval: str
    error: OperationError | None = None
    start: datetime | None = None
    end: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Backtest(_Run):
    """A backtest, its statistics (strings of the server, as Decimal) and, in detail, its
    curves and trades (raw JSON in `extra`)."""

    parameters: dict[str, Any] | None = None
    initial_capital: Decimal | None = None
    bars: int | None = None
    finished_at: datetime | None = None
    total_return_pct: Decimal | None = None
    cagr_pct: Decimal | None = None
    sharpe_ratio: Decimal | None = None
    sortino_ratio: Decimal | None = None
    max_drawdown_pct: Decimal | None = None
    win_rate: Decimal | None = None
    profit_factor: Decimal | None = None
    exposure_pct: Decimal | None = None
    total_trades: int | None = None
    final_equity: Decimal | None = None
    total_fees: Decimal | None = None
    commission: Decimal | None = None
    slippage_bps: Decimal | None = None
    sweep: int | None = None
    #: In a sweep's results: its place by the sweep's `rank_by` (1 is best).
    rank: int | None = None


@dataclass(frozen=True, kw_only=True)
class OperationMetrics(_Tracked):
    """A long operation's own figures (`metrics`), partial while it runs."""

    id: int
    type: str
    metrics: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SweepStarted(Model):
    """The answer to starting a sweep (202): one parent operation, one backtest per
    combination of the grid."""

    operation_id: int
    sweep_id: int
    backtest_ids: list[int]
    combinations: int


@dataclass(frozen=True, kw_only=True)
class Sweep(_Run):
    """A parameter sweep and its backtests ranked best first by `rank_by` (unfinished last)."""

    grid: dict[str, Any]
    rank_by: str
    combinations: int
    results: list[Backtest]
