"""Reads that combine risk with the book: the risk console and the portfolio summary."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from access.models import Account
from kernel.db.expressions import ExactAbs, ExactMax, ExactMul, ExactSum
from kernel.decimals import decimal_text
from orders.enums import WORKING_STATUSES, OrderStatus
from orders.models import Order
from portfolio.equity import drawdown_pct_of, equity_compute, equity_snapshot_latest
from portfolio.models import Position
from portfolio.selectors import close_price_get, fees_paid
from risk.breaker import circuit_breaker_get, drawdown_status
from risk.selectors import (
    dd_zone_for,
    override_active_list,
    risk_config_values,
    risk_level_effective,
    risk_limits_effective,
    trading_state_effective,
)


def _utilization(name: str, limit: Any, used: Decimal) -> dict[str, Any]:
    pct = None
    if limit is not None and Decimal(limit) > 0:
        pct = decimal_text((used / Decimal(limit) * 100).quantize(Decimal("0.01")))
    return {
        "name": name,
        "limit": None if limit is None else decimal_text(Decimal(limit)),
        "used": decimal_text(used),
        "utilization_pct": pct,
    }


def risk_summary(*, account_id: int) -> dict[str, Any]:
    """What `GET /risk` shows: trading state, risk level, measurable limits and their use."""
    limits = risk_limits_effective(account_id=account_id)
    positions = Position.objects.filter(account_id=account_id).aggregate(
        gross=ExactSum(ExactMul(ExactAbs(F("quantity")), F("average_entry_price"))),
        largest=ExactMax(ExactMul(ExactAbs(F("quantity")), F("average_entry_price"))),
    )
    orders = Order.objects.filter(account_id=account_id).aggregate(
        open_orders=Count("id", filter=Q(status__in=[*WORKING_STATUSES, OrderStatus.NEW])),
        recent=Count("id", filter=Q(created_at__gte=timezone.now() - timedelta(seconds=1))),
    )

    drawdown = drawdown_status(account_id=account_id)
    return {
        "trading_state": trading_state_effective(account_id=account_id),
        "dd_zone": drawdown["dd_zone"],
        "risk_level": decimal_text(
            risk_level_effective(account_id=account_id, drawdown_pct=drawdown["drawdown_pct"])
        ),
        "drawdown_pct": decimal_text(drawdown["drawdown_pct"]),
        "limits": [
            _utilization("daily_loss", limits["daily_loss_limit"], drawdown["daily_loss"]),
            _utilization("total_drawdown", limits["max_drawdown_pct"], drawdown["drawdown_pct"]),
            _utilization(
                "gross_exposure", limits["max_gross_exposure"], positions["gross"] or Decimal(0)
            ),
            _utilization(
                "position_notional",
                limits["max_position_notional"],
                positions["largest"] or Decimal(0),
            ),
            _utilization("open_orders", limits["max_open_orders"], Decimal(orders["open_orders"])),
            _utilization("order_rate", limits["max_orders_per_second"], Decimal(orders["recent"])),
        ],
        "circuit_breaker": circuit_breaker_get(account_id=account_id),
        "overrides": list(override_active_list(account_id=account_id)),
    }


def portfolio_summary(*, account: Account) -> dict[str, Any]:
    """Positions marked at the quote mid (the close side named beside it), cash, equity, PnL net
    of fees (gross and fees beside it), exposure and the live drawdown.

    Raises CurrencyMismatch (409) when a position is quoted in another currency than the base.
    """
    current = equity_compute(account=account)
    equity = current.equity
    values = [p.value for p in current.positions]
    unrealized = sum((p.unrealized_pnl for p in current.positions), Decimal(0))
    fees = fees_paid(account_id=account.pk, currency=account.base_currency)
    latest = equity_snapshot_latest(account_id=account.pk)
    peak = equity if latest is None else max(latest.peak_equity, equity)
    drawdown = drawdown_pct_of(equity=equity, peak=peak)
    zone = dd_zone_for(
        dd_zones=risk_config_values(account_id=account.pk)["dd_zones"], drawdown_pct=drawdown
    )[0]
    return {
        "positions": [
            {
                "symbol": p.symbol,
                "side": "long" if p.quantity > 0 else "short",
                "quantity": p.quantity,
                "average_entry_price": p.average_entry_price,
                "market_price": p.mark_price,
                "mid_price": p.mark_price,
                "close_price": close_price_get(symbol=p.symbol, quantity=p.quantity),
                "market_value": p.value,
                "unrealized_pnl": p.unrealized_pnl,
                "realized_pnl": p.realized_pnl,
            }
            for p in current.positions
        ],
        "currency": account.base_currency,
        "cash": current.cash,
        "positions_value": current.positions_value,
        "equity": equity,
        # PnL is net of fees everywhere (as in /trades and /performance); gross and fees beside.
        "realized_pnl": current.realized_pnl - fees,
        "realized_pnl_gross": current.realized_pnl,
        "fees": fees,
        "unrealized_pnl": unrealized,
        "total_pnl": current.realized_pnl - fees + unrealized,
        "total_pnl_gross": current.realized_pnl + unrealized,
        "exposure": {
            "gross": sum((abs(v) for v in values), Decimal(0)),
            "net": sum(values, Decimal(0)),
            "long": sum((v for v in values if v > 0), Decimal(0)),
            "short": sum((-v for v in values if v < 0), Decimal(0)),
        },
        "peak_equity": peak,
        "drawdown_pct": drawdown,
        "dd_zone": zone,
        "risk_level": risk_level_effective(account_id=account.pk, drawdown_pct=drawdown),
    }


def account_trading_overview(*, account_id: int) -> dict[str, Any]:
    """The kill-switch view of an account: effective trading state, what is open, the DD zone."""
    drawdown = drawdown_status(account_id=account_id)
    return {
        "trading_state": trading_state_effective(account_id=account_id),
        "open_orders": Order.objects.filter(
            account_id=account_id, status__in=[*WORKING_STATUSES, OrderStatus.NEW]
        ).count(),
        "open_positions": Position.objects.filter(account_id=account_id)
        .exclude(quantity=0)
        .count(),
        "dd_zone": drawdown["dd_zone"],
    }
