"""Portfolio reads: balances, and positions marked to the live quote."""

from decimal import Decimal
from typing import Any

from kernel.db.expressions import ExactSum
from marketdata.errors import MarketDataUnavailable
from marketdata.selectors import quote_get
from portfolio.accounting import PositionState
from portfolio.equity import quote_mid_get
from portfolio.errors import PositionNotFound
from portfolio.models import Balance, LedgerEntry, LedgerKind, Position

HUNDRED = Decimal(100)


def balance_list(*, account_id: int) -> list[Balance]:
    """Return the account's balances, by currency."""
    return list(Balance.objects.filter(account_id=account_id).order_by("currency"))


def fees_paid(*, account_id: int, currency: str) -> Decimal:
    """What the account's fills charged in `currency`, from the ledger (a positive amount)."""
    total = LedgerEntry.objects.filter(
        account_id=account_id, currency=currency, kind=LedgerKind.FEE
    ).aggregate(total=ExactSum("amount"))["total"]
    return -(total or Decimal(0)) + Decimal(0)


def close_price_get(*, symbol: str, quantity: Decimal) -> Decimal | None:
    """The price a close of `quantity` would take (bid for a long, ask for a short), else None."""
    try:
        quote = quote_get(symbol=symbol)
    except MarketDataUnavailable:
        return None
    price = quote.get("bid") if quantity > 0 else quote.get("ask")
    price = price if price not in (None, "") else quote.get("last")
    return Decimal(str(price)) if price not in (None, "") else None


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
    """Return a position with cost basis and, when a quote is live, market value and PnL.

    Marked where a close would trade (the bid for a long, the ask for a short).
    """
    quantity = position.quantity
    state = PositionState(quantity, position.cost_basis, position.realized_pnl)
    market_price = _mark_price(position) if quantity else None
    market_value = unrealized = unrealized_pct = None
    if market_price is not None:
        market_value = quantity * market_price
        unrealized = state.unrealized_pnl(market_price=market_price)
        unrealized_pct = (
            (unrealized / position.cost_basis * HUNDRED).quantize(Decimal("0.0001"))
            if position.cost_basis
            else None
        )
    return {
        "symbol": position.instrument.symbol,
        "side": "long" if quantity >= 0 else "short",
        "quantity": quantity,
        "average_entry_price": position.average_entry_price,
        "cost_basis": position.cost_basis,
        "market_price": market_price,
        "close_price": market_price,
        "mid_price": quote_mid_get(symbol=position.instrument.symbol) if quantity else None,
        "market_value": market_value,
        "unrealized_pnl": unrealized,
        "unrealized_pnl_pct": unrealized_pct,
        "realized_pnl": position.realized_pnl,
        "opened_at": position.opened_at,
        "updated_at": position.updated_at,
    }


def position_open_list(*, account_id: int) -> list[Position]:
    """Return the account's open positions (non-zero quantity), by symbol."""
    return list(
        Position.objects.filter(account_id=account_id)
        .exclude(quantity=0)
        .select_related("instrument")
        .order_by("instrument__symbol")
    )


def position_open_get(*, account_id: int, symbol: str) -> Position:
    """Return one open position; raises PositionNotFound (404)."""
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
    return position
