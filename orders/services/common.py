"""Shared steps of order services: pricing, the lock an order takes, and recording transitions."""

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.conf import settings

from audit.services import audit_record
from marketdata.selectors import quote_get
from orders.enums import OrderSide, OrderType
from orders.events import order_publish
from orders.models import Order, OrderEvent
from orders.state import order_next_status

ZERO = Decimal(0)
BPS = Decimal(10_000)


def quantum() -> Decimal:
    return Decimal(1).scaleb(-settings.DECIMAL_PLACES)


def q(value: Decimal) -> Decimal:
    """Return `value` rounded half-even to the project's decimal places."""
    return value.quantize(quantum(), rounding=ROUND_HALF_EVEN)


def fee_rate(*, symbol: str) -> Decimal:
    """Return the highest of the venue's maker/taker rates for `symbol` (what a lock reserves)."""
    fees = getattr(settings, "VENUE_FEES", {}) or {}
    rates = fees.get(symbol) or fees.get("default") or {}
    return max((Decimal(str(rate)) for rate in rates.values()), default=ZERO)


def order_reference_price(
    *, instrument, side: str, order_type: str, limit_price, stop_price
) -> Decimal:
    """Return the price an order is expected to trade at: its limit, its stop, or the quote.

    Raises MarketDataUnavailable (503) for a market order when no quote is live.
    """
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        return limit_price
    if order_type == OrderType.STOP:
        return stop_price
    quote = quote_get(symbol=instrument.symbol)
    price = quote.get("ask") if side == OrderSide.BUY else quote.get("bid")
    return Decimal(str(price if price is not None else quote["last"]))


def order_lock_estimate(
    *, instrument, side: str, order_type: str, quantity: Decimal, reference_price: Decimal
) -> dict[str, Decimal]:
    """Return {notional, fee, locked}: what an order of `quantity` would cost and reserve.

    A buy reserves notional + fee (market and stop orders with a slippage margin); a sell
    reserves no cash (its proceeds arrive with its fills).
    """
    notional = q(quantity * reference_price)
    fee = q(notional * fee_rate(symbol=instrument.symbol))
    if side != OrderSide.BUY:
        return {"notional": notional, "fee": fee, "locked": ZERO}
    reserve = notional
    if order_type in (OrderType.MARKET, OrderType.STOP):
        reserve = q(notional * (1 + Decimal(settings.ORDER_MARKET_LOCK_BUFFER_BPS) / BPS))
    return {
        "notional": notional,
        "fee": fee,
        "locked": q(reserve * (1 + fee_rate(symbol=instrument.symbol))),
    }


def order_snapshot(order: Order) -> dict[str, Any]:
    """Return the fields of an order the audit trail records before and after a change."""
    return {
        "status": order.status,
        "quantity": order.quantity,
        "filled_quantity": order.filled_quantity,
        "limit_price": order.limit_price,
        "stop_price": order.stop_price,
        "average_fill_price": order.average_fill_price,
        "locked_amount": order.locked_amount,
        "version": order.version,
        "triggered_at": order.triggered_at,
    }


def order_transition(
    *,
    order: Order,
    event: str,
    before: dict[str, Any],
    fields: list[str],
    quantity: Decimal | None = None,
    price: Decimal | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Move `order` along the table by `event`; save `fields`; write the event and audit row.

    Raises InvalidOrderTransition before anything is written when the table has no such edge.
    """
    status_before = before["status"]
    order.status = order_next_status(status=status_before, event=event)
    order.save(update_fields=sorted({*fields, "status", "updated_at"}))
    order_event = OrderEvent.objects.create(
        order=order,
        type=event,
        status_before=status_before,
        status_after=order.status,
        quantity=quantity,
        price=price,
        data=data or {},
    )
    audit_record(
        action=f"order.{event}",
        object_type="order",
        object_id=str(order.pk),
        before=before,
        after=order_snapshot(order),
        account_id=order.account_id,
    )
    order_publish(order=order, event=event)
    return order_event
