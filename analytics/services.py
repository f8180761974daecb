"""Analytics writes: round-trip trades kept up to date at fill time, and reported signals."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from access.models import Account
from analytics.enums import SignalDecision
from analytics.errors import SignalOrderNotFound
from analytics.models import Signal, Trade
from audit.services import audit_record
from kernel.decimals import quantize
from kernel.enums import Side
from marketdata.selectors import instrument_get
from portfolio.accounting import PositionState, position_after_fill

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def _trade_open(*, fill: Any, quantity: Decimal, fee: Decimal) -> Trade:
    order = fill.order
    cost = quantize(quantity * fill.price)
    trade = Trade.objects.create(
        account_id=fill.account_id,
        instrument_id=fill.instrument_id,
        opening_order=order,
        side=fill.side,
        quantity=quantity,
        open_quantity=quantity,
        open_cost=cost,
        entry_quantity=quantity,
        entry_value=cost,
        entry_price=fill.price,
        average_cost=fill.price,
        fees=fee,
        pnl=-fee,
        initial_stop=order.stop_loss,
        strategy=order.strategy,
        opened_at=fill.executed_at,
    )
    audit_record(
        action="trade.opened",
        object_type="trade",
        object_id=str(trade.pk),
        after={"fill_id": fill.pk, "side": trade.side, "quantity": quantity},
        account_id=fill.account_id,
    )
    return trade


def _trade_close(*, trade: Trade, closed_at: datetime) -> None:
    trade.closed_at = closed_at
    basis = trade.entry_price * trade.quantity
    trade.pnl_pct = quantize(trade.pnl / basis * HUNDRED) if basis else None
    if trade.initial_stop is not None and trade.initial_stop != trade.entry_price:
        risk = abs(trade.entry_price - trade.initial_stop) * trade.quantity
        trade.r_multiple = quantize(trade.pnl / risk)
    if trade.opening_order_id is not None:
        Signal.objects.filter(order_id=trade.opening_order_id).update(outcome_r=trade.r_multiple)
    audit_record(
        action="trade.closed",
        object_type="trade",
        object_id=str(trade.pk),
        after={"pnl": trade.pnl, "r_multiple": trade.r_multiple},
        account_id=trade.account_id,
    )


def _signed(trade: Trade, quantity: Decimal) -> Decimal:
    return quantity if trade.side == Side.BUY else -quantity


def trade_apply_fill(*, fill: Any) -> list[Trade]:
    """Fold one fill into the account's round trips; return the trades it touched.

    Must run inside the fill's transaction. The open trade moves by the position's own rule
    (`portfolio.accounting.position_after_fill`), so its gross PnL is the position's realized
    PnL over the same fills, to the last digit; the rest of a flip opens the next trade. Fees in
    a currency other than the instrument's are not mixed into trade PnL.
    """
    quantity = fill.quantity
    fee = fill.fee if fill.fee_currency == fill.instrument.currency else ZERO
    trade = (
        Trade.objects.select_for_update()
        .filter(account_id=fill.account_id, instrument_id=fill.instrument_id, closed_at=None)
        .first()
    )
    if trade is None:
        return [_trade_open(fill=fill, quantity=quantity, fee=fee)]
    if trade.side == fill.side:
        closed, rest = ZERO, ZERO
        own = quantity if fill.side == Side.BUY else -quantity
    else:
        closed = min(trade.open_quantity, quantity)
        rest = quantity - closed
        own = -_signed(trade, closed)
    state, _ = position_after_fill(
        PositionState(_signed(trade, trade.open_quantity), trade.open_cost, trade.gross_pnl),
        signed_quantity=own,
        price=fill.price,
    )
    trade.open_quantity = abs(state.quantity)
    trade.open_cost = state.cost
    trade.average_cost = state.average_price
    trade.gross_pnl = state.realized_pnl
    if trade.side == fill.side:
        trade.entry_quantity += quantity
        trade.entry_value += quantize(quantity * fill.price)
        trade.entry_price = quantize(trade.entry_value / trade.entry_quantity)
        trade.quantity = max(trade.quantity, trade.open_quantity)
        trade.fees += fee
        trade.pnl = trade.gross_pnl - trade.fees
        trade.save()
        return [trade]
    closing_fee = fee if rest == 0 else quantize(fee * closed / quantity)
    trade.exit_quantity += closed
    trade.exit_value += quantize(closed * fill.price)
    trade.exit_price = quantize(trade.exit_value / trade.exit_quantity)
    trade.fees += closing_fee
    trade.pnl = trade.gross_pnl - trade.fees
    if trade.open_quantity == 0:
        _trade_close(trade=trade, closed_at=fill.executed_at)
    trade.save()
    if rest == 0:
        return [trade]
    return [trade, _trade_open(fill=fill, quantity=rest, fee=fee - closing_fee)]


def signal_order_get(*, account: Account, order_id: int) -> Any:
    """Return the account's order `order_id`, which a signal may name; raises SignalOrderNotFound.

    The order model is the one the signal's `order` relation points to.
    """
    orders: Any = Signal._meta.get_field("order").related_model
    order = orders.objects.filter(pk=order_id, account_id=account.pk).first()
    if order is None:
        raise SignalOrderNotFound(f"Order {order_id} not found", details={"order_id": order_id})
    return order


def signal_create(
    *,
    account: Account,
    strategy: str,
    symbol: str,
    direction: str,
    decision: str,
    strength: Decimal | None = None,
    reason: str = "",
    order_id: int | None = None,
) -> Signal:
    """Record a strategy's decision on a signal and return it.

    A taken signal linked to an order whose trade has already closed gets its outcome R at once.
    Raises SymbolNotFound (404) for a symbol that is not an instrument, and SignalOrderNotFound
    (404) when `order_id` is not an order of the account.
    """
    symbol = instrument_get(symbol=symbol).symbol
    order = None if order_id is None else signal_order_get(account=account, order_id=order_id)
    with transaction.atomic():
        signal = Signal.objects.create(
            account=account,
            strategy=strategy,
            symbol=symbol.upper(),
            direction=direction,
            strength=strength,
            decision=decision,
            reason=reason,
            order=order,
        )
        if order is not None and decision == SignalDecision.TAKEN:
            closed = (
                Trade.objects.filter(opening_order=order, closed_at__isnull=False)
                .values_list("r_multiple", flat=True)
                .first()
            )
            if closed is not None:
                signal.outcome_r = closed
                signal.save(update_fields=["outcome_r"])
        audit_record(
            action="signal.recorded",
            object_type="signal",
            object_id=str(signal.pk),
            after={
                "strategy": strategy,
                "symbol": signal.symbol,
                "direction": direction,
                "decision": decision,
                "order_id": None if order is None else order.pk,
            },
            account_id=account.pk,
        )
    return signal
