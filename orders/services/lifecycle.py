"""Order lifecycle after entry: cancels, venue acknowledgements, fills, expiry, stop triggers."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from access.models import Account
from analytics.services import trade_apply_fill
from kernel.db.insert import row_insert_unless_taken
from kernel.db.prepared import Prepared
from kernel.decimals import decimal_text, quantize, step_floor
from kernel.errors import ApplicationError
from orders.enums import WORKING_STATUSES, OrderEventType, OrderSide, OrderStatus, OrderType
from orders.errors import FillRefused, OrderNotCancelable
from orders.events import fill_publish, venue_notify
from orders.models import Fill, Order
from orders.pricing import PRICED_BY_LIMIT, fee_charged, order_lock, price_within_terms
from orders.services.common import ZERO, order_snapshot, order_transition
from orders.services.venue import venue_epoch_check
from orders.state import order_next_status
from portfolio.events import balance_publish, position_publish
from portfolio.services import (
    balance_get_for_update,
    balance_release,
    balances_get_for_update,
    fill_account,
)

NOT_CANCELABLE = (OrderStatus.FILLED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


# Whether a venue execution is booked already (the fill path asks before any work).
_EXEC_BOOKED = Prepared(
    lambda p: Fill.objects.filter(venue_exec_id=p.venue_exec_id).values_list("pk")[:1],
    venue_exec_id=models.CharField(),
)


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


def order_cancel_all(
    *, account: Account, symbol: str | None = None, reason: str
) -> list[dict[str, Any]]:
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


def order_accept(*, order_id: int, venue_order_id: str = "", epoch: int | None = None) -> Order:
    """Record the venue's acknowledgement (pending -> open); return the order.

    Raises InvalidOrderTransition (409) unless the order is pending, VenueFenced (409) when
    `epoch` is not the current venue's.
    """
    with transaction.atomic():
        venue_epoch_check(epoch=epoch)
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


def _fill_terms_violation(order: Order, price: Decimal) -> str:
    """Why `price` is outside the order's current terms, or "" when it is within them."""
    if order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and order.triggered_at is None:
        return "the stop has not triggered"
    limit = order.limit_price if order.order_type in PRICED_BY_LIMIT else order.protection_price
    if not price_within_terms(side=order.side, price=price, limit=limit):
        kind = "limit" if order.order_type in PRICED_BY_LIMIT else "protection price"
        return f"{decimal_text(price)} is beyond the {kind} {decimal_text(limit)}"
    return ""


def _funded_quantity(
    *,
    order: Order,
    available: Decimal,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_currency: str,
    liquidity: str,
) -> tuple[Decimal, Decimal]:
    """Return (quantity, fee) of a buy fill the account can pay, the fee rescaled when cut.

    The fill as given is paid from the share of the lock it releases plus the available cash.
    Failing that, it is cut to the largest lot multiple that the whole lock plus the available
    cash pays for (the rest of the order is then canceled), down to zero.
    """
    remaining = order.quantity - order.filled_quantity
    currency = order.instrument.currency
    after = order_lock(
        side=order.side,
        quantity=remaining - quantity,
        lock_price=order.lock_price,
        symbol=order.instrument.symbol,
    )
    # A fee in another currency is paid from that balance, not from this one.
    own_fee = fee if fee_currency == currency else ZERO
    if quantity_cost(quantity, price) + own_fee <= available + order.locked_amount - after:
        return quantity, fee
    budget = available + order.locked_amount
    lot = order.instrument.lot_size
    cut = min(quantity, step_floor(budget / price, lot))
    while cut > 0:
        cut_fee = fee_charged(
            symbol=order.instrument.symbol,
            currency=currency,
            quantity=cut,
            price=price,
            liquidity=liquidity,
        )
        if quantity_cost(cut, price) + (cut_fee if fee_currency == currency else ZERO) <= budget:
            return cut, cut_fee
        cut -= lot
    return ZERO, ZERO


def quantity_cost(quantity: Decimal, price: Decimal) -> Decimal:
    """Return the cash a fill of `quantity` at `price` moves (as the ledger books it)."""
    return quantize(quantity * price)


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
    order_version: int | None = None,
    epoch: int | None = None,
) -> Fill | None:
    """Apply one venue execution in one transaction; return the fill, or None if none was booked.

    Locks the order row, then the balance rows (before the fill row exists, so fills are booked
    in the order of their ids), then the position. Updates the order (filled quantity, average
    price, status, the lock for what remains), the position, the ledger and the balances. A buy
    is paid from its lock and the available cash, never beyond: a fill the account cannot pay
    is cut and the rest of the order canceled (reason `insufficient_funds`); with nothing
    payable the order is canceled and None returned. None also when `venue_exec_id` was already
    applied.

    Raises FillRefused (409) for a fill larger than the remaining quantity, priced on another
    `order_version`, or outside the order's current terms (its limit, its protection price, an
    untriggered stop); InvalidOrderTransition (409) for an order that no longer works;
    VenueFenced (409) when `epoch` is not the current venue's.
    """
    quantity, price, fee = Decimal(quantity), Decimal(price), Decimal(fee)
    with transaction.atomic():
        venue_epoch_check(epoch=epoch)
        order = _order_for_update(order_id)
        if _EXEC_BOOKED.rows(venue_exec_id=venue_exec_id):
            return None
        remaining = order.quantity - order.filled_quantity
        refusal = ""
        if order_version is not None and order_version != order.version:
            refusal = f"it was priced on version {order_version}, the order is at {order.version}"
        elif quantity <= 0 or price <= 0 or fee < 0 or quantity > remaining:
            refusal = f"{decimal_text(quantity)} at {decimal_text(price)} does not fit"
        else:
            refusal = _fill_terms_violation(order, price)
        if refusal:
            raise FillRefused(
                f"Order {order.pk} cannot take this fill: {refusal}",
                details={
                    "order_id": order.pk,
                    "quantity": decimal_text(quantity),
                    "price": decimal_text(price),
                    "remaining_quantity": decimal_text(remaining),
                    "version": order.version,
                },
            )
        order_next_status(status=order.status, event=OrderEventType.PARTIALLY_FILLED)
        currency = order.instrument.currency
        fee_currency = (fee_currency or currency).upper()
        balances = balances_get_for_update(
            account_id=order.account_id, currencies={currency, fee_currency}
        )
        if fee_currency != currency and fee > balances[fee_currency].available:
            raise FillRefused(
                f"Order {order.pk} cannot take this fill: its fee of {decimal_text(fee)} "
                f"{fee_currency} is more than the account has",
                details={"order_id": order.pk, "fee": decimal_text(fee), "currency": fee_currency},
            )
        asked = quantity
        if order.side == OrderSide.BUY:
            quantity, fee = _funded_quantity(
                order=order,
                available=balances[currency].available,
                quantity=quantity,
                price=price,
                fee=fee,
                fee_currency=fee_currency,
                liquidity=liquidity,
            )
        is_cut = quantity < asked
        if quantity == 0:
            _close(
                order=order,
                event=OrderEventType.CANCELED,
                data={"reason": "insufficient_funds", "by": "venue"},
            )
            return None
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
            fee_currency=fee_currency,
            liquidity=liquidity,
            executed_at=executed_at,
            venue_exec_id=venue_exec_id,
        )
        # A venue execution already booked is a replay: nothing more to do (ON CONFLICT, so
        # no savepoint around the insert).
        if not row_insert_unless_taken(fill, unique=("venue_exec_id",)):
            return None
        before = order_snapshot(order)
        # What stays reserved is the lock rule for what stays to fill; a cut order keeps none.
        kept = ZERO
        if not is_cut:
            kept = order_lock(
                side=order.side,
                quantity=remaining - quantity,
                lock_price=order.lock_price,
                symbol=order.instrument.symbol,
            )
        release = order.locked_amount - kept
        filled_before = order.filled_quantity
        order.filled_quantity = filled_before + quantity
        order.average_fill_price = quantize(
            ((order.average_fill_price or ZERO) * filled_before + price * quantity)
            / order.filled_quantity
        )
        order.locked_amount = kept
        signed = quantity if order.side == OrderSide.BUY else -quantity
        booked, position = fill_account(
            account_id=order.account_id,
            instrument=order.instrument,
            order_id=order.pk,
            fill=fill,
            signed_quantity=signed,
            release=release,
            balances=balances,
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
            also_audit=[
                {
                    "action": "fill.executed",
                    "object_type": "fill",
                    "object_id": fill.pk,
                    "after": {
                        "order_id": order.pk,
                        "venue_exec_id": venue_exec_id,
                        "quantity": quantity,
                        "price": price,
                        "fee": fee,
                        "position_quantity": position.quantity,
                    },
                    "account_id": order.account_id,
                }
            ],
        )
        fill_publish(fill=fill)
        position_publish(position=position)
        for balance in booked:
            balance_publish(balance=balance)
        if is_cut and order.status != OrderStatus.FILLED:
            _close(
                order=order,
                event=OrderEventType.CANCELED,
                data={
                    "reason": "insufficient_funds",
                    "by": "venue",
                    "unfilled_quantity": decimal_text(asked - quantity),
                },
            )
    return fill


def order_cancel_by_venue(*, order_id: int, reason: str, epoch: int | None = None) -> Order:
    """Cancel what the venue could not trade (IOC/FOK remainder); return the order.

    An already canceled order is returned unchanged; raises InvalidOrderTransition otherwise.
    """
    with transaction.atomic():
        venue_epoch_check(epoch=epoch)
        order = _order_for_update(order_id)
        if order.status == OrderStatus.CANCELED:
            return order
        return _close(
            order=order, event=OrderEventType.CANCELED, data={"reason": reason, "by": "venue"}
        )


def order_expire(*, order_id: int, epoch: int | None = None) -> Order:
    """Expire a day/gtd order and release its lock; return it (unchanged if already expired)."""
    with transaction.atomic():
        venue_epoch_check(epoch=epoch)
        order = _order_for_update(order_id)
        if order.status == OrderStatus.EXPIRED:
            return order
        return _close(
            order=order,
            event=OrderEventType.EXPIRED,
            data={"time_in_force": order.time_in_force},
        )


def order_reject_by_venue(*, order_id: int, reason: str, epoch: int | None = None) -> Order:
    """Record the venue refusing a pending order and release its lock; return it."""
    with transaction.atomic():
        venue_epoch_check(epoch=epoch)
        order = _order_for_update(order_id)
        order.reject_code = "VENUE_REJECTED"
        order.reject_reason = reason[:2000]
        return _close(
            order=order,
            event=OrderEventType.REJECTED,
            data={"reason": reason, "by": "venue"},
            fields=("reject_code", "reject_reason"),
        )


def order_stop_trigger(*, order_id: int, triggered_at: datetime, epoch: int | None = None) -> Order:
    """Mark a stop as triggered (it now works as market / limit); return it.

    A second trigger is a no-op; raises InvalidOrderTransition for an order that no longer rests.
    """
    with transaction.atomic():
        venue_epoch_check(epoch=epoch)
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
