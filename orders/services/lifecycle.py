"""Order lifecycle after entry: cancels, venue acknowledgements, fills, expiry, stop triggers."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from analytics.services import trade_apply_fill
from audit.services import audit_record
from marketdata.simulator import decimal_plain
from orders.enums import WORKING_STATUSES, OrderEventType, OrderSide, OrderStatus
from orders.errors import FillRefused, OrderNotCancelable
from orders.events import balance_publish, fill_publish, position_publish, venue_notify
from orders.models import Fill, Order
from orders.services.common import ZERO, order_snapshot, order_transition, q
from orders.state import order_next_status
from portfolio.services import balance_get_for_update, balance_release, fill_account
from trading_api.errors import ApplicationError

NOT_CANCELABLE = (OrderStatus.FILLED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


def _order_for_update(order_id: int) -> Order:
    return (
        Order.objects.select_for_update(of=("self",)).select_related("instrument").get(pk=order_id)
    )


def _release_lock(order: Order) -> None:
    """Give back what the order still reserves (the order row is locked by the caller)."""
    if order.locked_amount:
        balance = balance_get_for_update(
            account_id=order.account_id, currency=order.instrument.currency
        )
        balance_release(balance=balance, amount=order.locked_amount)
        order.locked_amount = ZERO
        balance_publish(balance=balance)


def _close(
    *, order: Order, event: str, data: dict[str, Any], fields: tuple[str, ...] = ()
) -> Order:
    """End a working order by `event` (canceled, expired, rejected) and release its lock."""
    before = order_snapshot(order)
    order_next_status(status=order.status, event=event)
    _release_lock(order)
    order_transition(
        order=order,
        event=event,
        before=before,
        fields=["locked_amount", *fields],
        quantity=order.quantity - order.filled_quantity,
        data=data,
    )
    return order


def order_cancel(*, order_id: int, reason: str = "canceled by client") -> Order:
    """Cancel a working order and release its lock; return it. An already canceled order is
    returned unchanged. Raises OrderNotCancelable (409) when filled, rejected or expired."""
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status == OrderStatus.CANCELED:
            return order
        if order.status in NOT_CANCELABLE:
            raise OrderNotCancelable(
                f"Order {order.pk} is {order.status} and cannot be canceled",
                details={"order_id": order.pk, "status": order.status},
            )
        _close(order=order, event=OrderEventType.CANCELED, data={"reason": reason})
        venue_notify(order_id=order.pk, action="cancel")
    return order


def order_cancel_all(*, account, symbol: str | None = None, reason: str) -> list[dict[str, Any]]:
    """Cancel every working order of the account (of `symbol` if given).

    Returns one result per order: {order_id, status_code, status} (and `error` on a refusal).
    """
    orders = Order.objects.filter(account_id=account.pk, status__in=list(WORKING_STATUSES))
    if symbol:
        orders = orders.filter(instrument__symbol=symbol.upper())
    results: list[dict[str, Any]] = []
    for order_id in list(orders.order_by("id").values_list("id", flat=True)):
        try:
            order = order_cancel(order_id=order_id, reason=reason)
        except ApplicationError as error:
            status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
            results.append(
                {
                    "order_id": order_id,
                    "status_code": error.status_code,
                    "status": status,
                    "error": {"code": error.code, "message": error.message},
                }
            )
        else:
            results.append({"order_id": order_id, "status_code": 200, "status": order.status})
    return results


def order_accept(*, order_id: int, venue_order_id: str = "") -> Order:
    """Record the venue's acknowledgement (pending -> open); return the order.

    Raises InvalidOrderTransition (409) unless the order is pending.
    """
    with transaction.atomic():
        order = _order_for_update(order_id)
        before = order_snapshot(order)
        order.venue_order_id = venue_order_id or order.venue_order_id or f"P-{order.pk}"
        order_transition(
            order=order,
            event=OrderEventType.ACCEPTED,
            before=before,
            fields=["venue_order_id"],
            data={"venue_order_id": order.venue_order_id},
        )
    return order


def order_apply_fill(
    *,
    order_id: int,
    venue_exec_id: str,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_currency: str,
    liquidity: str,
    executed_at: datetime,
) -> Fill | None:
    """Apply one venue execution in one transaction; return the fill, or None if already applied.

    Updates the order (filled quantity, average price, status), the position, the ledger and
    the balance (the lock's share released). Raises FillRefused (409) for a fill larger than the
    remaining quantity, InvalidOrderTransition (409) for an order that no longer works.
    """
    quantity, price, fee = Decimal(quantity), Decimal(price), Decimal(fee)
    with transaction.atomic():
        order = _order_for_update(order_id)
        if Fill.objects.filter(venue_exec_id=venue_exec_id).exists():
            return None
        remaining = order.quantity - order.filled_quantity
        if quantity <= 0 or price <= 0 or fee < 0 or quantity > remaining:
            raise FillRefused(
                f"Order {order.pk} cannot take a fill of {quantity} at {price}",
                details={
                    "order_id": order.pk,
                    "quantity": str(decimal_plain(quantity)),
                    "remaining_quantity": str(decimal_plain(remaining)),
                },
            )
        is_final = quantity == remaining
        event = OrderEventType.FILLED if is_final else OrderEventType.PARTIALLY_FILLED
        order_next_status(status=order.status, event=event)
        fill = Fill(
            order=order,
            account_id=order.account_id,
            instrument=order.instrument,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_currency=(fee_currency or order.instrument.currency).upper(),
            liquidity=liquidity,
            executed_at=executed_at,
            venue_exec_id=venue_exec_id,
        )
        try:
            with transaction.atomic():
                fill.save(force_insert=True)
        except IntegrityError:
            return None
        before = order_snapshot(order)
        # The lock shrinks with the remaining quantity; the last fill releases what is left.
        release = (
            order.locked_amount
            if is_final
            else min(order.locked_amount, q(order.locked_amount * quantity / remaining))
        )
        filled_before = order.filled_quantity
        order.filled_quantity = filled_before + quantity
        order.average_fill_price = q(
            ((order.average_fill_price or ZERO) * filled_before + price * quantity)
            / order.filled_quantity
        )
        order.locked_amount -= release
        signed = quantity if order.side == OrderSide.BUY else -quantity
        balances, position = fill_account(
            account_id=order.account_id,
            instrument=order.instrument,
            order_id=order.pk,
            fill=fill,
            signed_quantity=signed,
            release=release,
        )
        trade_apply_fill(fill=fill)
        order_transition(
            order=order,
            event=event,
            before=before,
            fields=["filled_quantity", "average_fill_price", "locked_amount"],
            quantity=quantity,
            price=price,
            data={"fill_id": fill.pk, "venue_exec_id": venue_exec_id, "liquidity": liquidity},
        )
        audit_record(
            action="fill.executed",
            object_type="fill",
            object_id=str(fill.pk),
            after={
                "order_id": order.pk,
                "venue_exec_id": venue_exec_id,
                "quantity": quantity,
                "price": price,
                "fee": fee,
                "position_quantity": position.quantity,
            },
            account_id=order.account_id,
        )
        fill_publish(fill=fill)
        position_publish(position=position)
        for balance in balances:
            balance_publish(balance=balance)
    return fill


def order_cancel_by_venue(*, order_id: int, reason: str) -> Order:
    """Cancel what the venue could not trade (IOC/FOK remainder); return the order.

    An already canceled order is returned unchanged; raises InvalidOrderTransition otherwise.
    """
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status == OrderStatus.CANCELED:
            return order
        return _close(
            order=order, event=OrderEventType.CANCELED, data={"reason": reason, "by": "venue"}
        )


def order_expire(*, order_id: int) -> Order:
    """Expire a day/gtd order and release its lock; return it (unchanged if already expired)."""
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status == OrderStatus.EXPIRED:
            return order
        return _close(
            order=order,
            event=OrderEventType.EXPIRED,
            data={"time_in_force": order.time_in_force},
        )


def order_reject_by_venue(*, order_id: int, reason: str) -> Order:
    """Record the venue refusing a pending order and release its lock; return it."""
    with transaction.atomic():
        order = _order_for_update(order_id)
        order.reject_code = "VENUE_REJECTED"
        order.reject_reason = reason[:2000]
        return _close(
            order=order,
            event=OrderEventType.REJECTED,
            data={"reason": reason, "by": "venue"},
            fields=("reject_code", "reject_reason"),
        )


def order_stop_trigger(*, order_id: int, triggered_at: datetime) -> Order:
    """Mark a stop as triggered (it now works as market / limit); return it.

    A second trigger is a no-op; raises InvalidOrderTransition for an order that no longer rests.
    """
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.triggered_at is not None:
            return order
        before = order_snapshot(order)
        order_next_status(status=order.status, event=OrderEventType.TRIGGERED)
        order.triggered_at = triggered_at
        order_transition(
            order=order,
            event=OrderEventType.TRIGGERED,
            before=before,
            fields=["triggered_at"],
            price=order.stop_price,
        )
    return order
