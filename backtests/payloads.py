"""The one representation of backtests and sweeps (REST, and what an operation's result names)."""

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from backtests.engine import Trade
from backtests.statistics import STATISTICS
from kernel.decimals import decimal_text
from operations.payloads import progress_payload

_HUNDRED = Decimal(100)
_PCT_QUANTUM = Decimal("0.000001")


def number_text(value: Decimal | int | None) -> str | int | None:
    """Return a Decimal as a plain string: no exponent, no trailing zeros, never "-0"."""
    if value is None or isinstance(value, int):
        return value
    return decimal_text(value)


def iso(value: datetime | int | None) -> str | None:
    """Return a datetime (or epoch seconds) as ISO 8601 UTC with Z."""
    if value is None:
        return None
    if isinstance(value, int):
        # Bars are whole seconds; strftime is several times cheaper than a datetime round trip.
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def trade_payload(trade: Trade, *, timestamps: list[int], mark: Decimal | None = None) -> dict:
    """Return one round trip, JSON-safe; an open trade is marked at `mark`."""
    pnl = trade.pnl(mark)
    entry_notional = trade.quantity * trade.entry_price
    return {
        "side": trade.side,
        "quantity": number_text(trade.quantity),
        "entry_bar": trade.entry_bar,
        "entry_time": iso(timestamps[trade.entry_bar]),
        "entry_price": number_text(trade.entry_price),
        "exit_bar": trade.exit_bar,
        "exit_time": iso(timestamps[trade.exit_bar]) if trade.exit_bar is not None else None,
        "exit_price": number_text(trade.exit_price),
        "pnl": number_text(pnl),
        "pnl_pct": number_text((pnl / entry_notional * _HUNDRED).quantize(_PCT_QUANTUM)),
        "fees": number_text(trade.fees),
    }


def statistics_payload(backtest) -> dict[str, Any]:
    """Return the statistics columns of a backtest as plain strings (None until it ran)."""
    return {name: number_text(getattr(backtest, name)) for name in STATISTICS}


def backtest_payload(backtest, *, detail: bool = True) -> dict[str, Any]:
    """Return a backtest as GET /backtests/{id} shows it (`detail=False`: no curves or trades)."""
    operation = backtest.operation
    payload = {
        "id": backtest.pk,
        "operation_id": backtest.operation_id,
        "status": operation.status,
        "progress": progress_payload(operation),
        "error": operation.error,
        "sweep": backtest.sweep_id,
        "strategy": backtest.strategy,
        "parameters": backtest.parameters,
        "symbol": backtest.instrument.symbol,
        "interval": backtest.interval,
        "start": iso(backtest.start),
        "end": iso(backtest.end),
        "initial_capital": number_text(backtest.initial_capital),
        "commission": number_text(backtest.commission),
        "slippage_bps": number_text(backtest.slippage_bps),
        "created_at": iso(backtest.created_at),
        "finished_at": iso(operation.finished_at),
        "bars": backtest.bars,
        "first_bar_at": iso(backtest.first_bar_at),
        "last_bar_at": iso(backtest.last_bar_at),
        "dataset_fingerprint": backtest.dataset_fingerprint or None,
        "result_hash": backtest.result_hash or None,
        **statistics_payload(backtest),
    }
    if detail:
        payload.update(
            {
                "equity_curve": backtest.equity_curve or [],
                "drawdown_curve": backtest.drawdown_curve or [],
                "trades": backtest.trades or [],
                "open_trade": backtest.open_trade,
            }
        )
    return payload


def sweep_payload(sweep, *, ranked: list, rank_by: str) -> dict[str, Any]:
    """Return a sweep with its backtests ranked by `rank_by` (best first)."""
    operation = sweep.operation
    return {
        "id": sweep.pk,
        "operation_id": sweep.operation_id,
        "status": operation.status,
        "progress": progress_payload(operation),
        "error": operation.error,
        "strategy": sweep.strategy,
        "symbol": sweep.instrument.symbol,
        "interval": sweep.interval,
        "start": iso(sweep.start),
        "end": iso(sweep.end),
        "grid": sweep.grid,
        "rank_by": rank_by,
        "combinations": len(ranked),
        "created_at": iso(sweep.created_at),
        "results": [
            {"rank": rank, **backtest_payload(backtest, detail=False)}
            for rank, backtest in enumerate(ranked, start=1)
        ],
    }
