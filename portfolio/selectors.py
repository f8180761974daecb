"""Portfolio reads: balances, and positions marked to the live quote."""

from decimal import Decimal
from typing import Any

from marketdata.errors import MarketDataUnavailable
from marketdata.selectors import quote_get
from portfolio.errors import PositionNotFound
from portfolio.models import Balance, Position

HUNDRED = Decimal(100)


def balance_list(*, account_id: int) -> list[Balance]:
    """Return the account's balances, by currency."""
    return list(Balance.objects.filter(account_id=account_id).order_by("currency"))


def _mark_price(position: Position) -> Decimal | None:
    """The price an open position would close at (bid for a long, ask for a short), else None."""
    try:
        quote = quote_get(symbol=position.instrument.symbol)
    except MarketDataUnavailable:
        return None
    price = quote.get("bid") if position.quantity > 0 else quote.get("ask")
    price = price if price not in (None, "") else quote.get("last")
    return Decimal(str(price)) if price not in (None, "") else None


def position_view(position: Position) -> dict[str, Any]:
    """Return a position with cost basis and, when a quote is live, market value and PnL."""
    quantity = position.quantity
    cost_basis = abs(quantity) * position.average_entry_price
    market_price = _mark_price(position) if quantity else None
    market_value = unrealized = unrealized_pct = None
    if market_price is not None:
        market_value = quantity * market_price
        unrealized = (market_price - position.average_entry_price) * quantity
        unrealized_pct = (
            (unrealized / cost_basis * HUNDRED).quantize(Decimal("0.0001"))
            if (cost_basis)
            else None
        )
    return {
        "symbol": position.instrument.symbol,
        "side": "long" if quantity >= 0 else "short",
        "quantity": quantity,
        "average_entry_price": position.average_entry_price,
        "cost_basis": cost_basis,
        "market_price": market_price,
        "market_value": market_value,
        "unrealized_pnl": unrealized,
        "unrealized_pnl_pct": unrealized_pct,
        "realized_pnl": position.realized_pnl,
        "opened_at": position.opened_at,
        "updated_at": position.updated_at,
    }


def position_list(*, account_id: int) -> list[dict[str, Any]]:
    """Return the account's open positions (non-zero quantity), by symbol, marked to market."""
    positions = (
        Position.objects.filter(account_id=account_id)
        .exclude(quantity=0)
        .select_related("instrument")
        .order_by("instrument__symbol")
    )
    return [position_view(p) for p in positions]


def position_get(*, account_id: int, symbol: str) -> dict[str, Any]:
    """Return one open position marked to market; raises PositionNotFound (404)."""
    position = (
        Position.objects.filter(account_id=account_id, instrument__symbol=symbol.upper())
        .exclude(quantity=0)
        .select_related("instrument")
        .first()
    )
    if position is None:
        raise PositionNotFound(
            f"No open position in {symbol.upper()}", details={"symbol": symbol.upper()}
        )
    return position_view(position)


def portfolio_summary(*, account: Any) -> dict[str, Any]:
    """Positions marked at the quote mid, cash, equity, PnL, exposure and the live drawdown.

    Raises CurrencyMismatch (409) when a position is quoted in another currency than the base.
    """
    from portfolio.equity import drawdown_pct_of, equity_compute, equity_snapshot_latest
    from risk.selectors import dd_zone_for, risk_config_values, risk_level_effective

    current = equity_compute(account=account)
    equity = current.equity
    values = [p.value for p in current.positions]
    unrealized = sum((p.unrealized_pnl for p in current.positions), Decimal(0))
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
        "realized_pnl": current.realized_pnl,
        "unrealized_pnl": unrealized,
        "total_pnl": current.realized_pnl + unrealized,
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
