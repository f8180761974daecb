"""Shared steps of order services: pricing, the lock an order takes, and recording transitions."""

from decimal import Decimal
from typing import Any

from audit.services import audit_record_many
from kernel.decimals import quantize
from marketdata.models import Instrument
from marketdata.selectors import quote_get
from orders.enums import OrderSide, OrderType
from orders.events import order_publish
from orders.models import Order, OrderEvent
from orders.pricing import OrderTerms, fee_rates, order_lock
from orders.representations import order_representation
from orders.state import order_next_status

ZERO = Decimal(0)


def q(value: Decimal) -> Decimal:
    """Return `value` rounded half-even to the project's decimal places."""
    return quantize(value)


def order_reference_price(
    *,
    instrument: Instrument,
    side: str,
    order_type: str,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
) -> Decimal:
    """Return the price an order is expected to trade at: its limit, its stop, or the quote.

    Raises MarketDataUnavailable (503) for a market order when no quote is live.
    """
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and limit_price is not None:
        return limit_price
    if order_type == OrderType.STOP and stop_price is not None:
        return stop_price
    quote = quote_get(symbol=instrument.symbol)
    price = quote.get("ask") if side == OrderSide.BUY else quote.get("bid")
    return Decimal(str(price if price is not None else quote["last"]))


def order_estimate(
    *,
    instrument: Instrument,
    side: str,
    quantity: Decimal,
    reference_price: Decimal,
    terms: OrderTerms,
) -> dict[str, Decimal]:
    """Return {notional, fee, locked}: what an order of `quantity` would cost and reserve.

    The notional and fee are at the reference price (the fee at the higher of the maker and
    taker rates); the lock is `orders.pricing.order_lock` at the order's lock price.
    """
    notional = q(quantity * reference_price)
    return {
        "notional": notional,
        "fee": q(notional * fee_rates(symbol=instrument.symbol).reserve),
        "locked": order_lock(
            side=side, quantity=quantity, lock_price=terms.lock_price, symbol=instrument.symbol
        ),
    }


def order_snapshot(order: Order) -> dict[str, Any]:
    """Return the order as the audit trail records it before and after a change: its REST
    representation (the same one its channel events carry)."""
    return order_representation(order)


def order_transition(
    *,
    order: Order,
    event: str,
    before: dict[str, Any],
    fields: list[str],
    quantity: Decimal | None = None,
    price: Decimal | None = None,
    data: dict[str, Any] | None = None,
    also_audit: list[dict[str, Any]] | None = None,
) -> OrderEvent:
    """Move `order` along the table by `event`; save `fields`; write the event and audit row.

    `also_audit`: more audit records of the same change (`audit_record_many`'s), written after
    the order's in the same INSERT. Raises InvalidOrderTransition before anything is written
    when the table has no such edge.
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
    after = order_snapshot(order)
    audit_record_many(
        [
            {
                "action": f"order.{event}",
                "object_type": "order",
                "object_id": order.pk,
                "before": before,
                "after": after,
                "account_id": order.account_id,
            },
            *(also_audit or []),
        ]
    )
    order_publish(order=order, event=event, representation=after)
    return order_event
