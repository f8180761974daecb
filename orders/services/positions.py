"""Closing positions: market orders that only reduce risk (the kill switch, `DELETE /positions`)."""

from decimal import Decimal
from typing import Any

from django.db.models import F

from access.models import Account
from kernel.db.expressions import ExactSub, ExactSum
from kernel.decimals import decimal_text
from kernel.errors import ApplicationError
from orders.enums import WORKING_STATUSES, OrderSide, OrderStatus, OrderType, TimeInForce
from orders.errors import PositionAlreadyClosing
from orders.models import Order
from orders.services.entry import order_submit
from portfolio.errors import PositionNotFound
from portfolio.models import Position

ZERO = Decimal(0)


def _closing_quantity(*, account_id: int, position: Position) -> Decimal:
    """The open quantity that working orders on the reducing side do not already close."""
    reducing_side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
    working = Order.objects.filter(
        account_id=account_id,
        instrument_id=position.instrument_id,
        side=reducing_side,
        status__in=[*WORKING_STATUSES, OrderStatus.NEW],
    ).aggregate(remaining=ExactSum(ExactSub(F("quantity"), F("filled_quantity"))))["remaining"]
    return abs(position.quantity) - (working or ZERO)


def position_close(*, account: Account, symbol: str, reason: str = "position close") -> Order:
    """Submit a market order for the open quantity of `symbol` not already being closed.

    The order is a close: it passes a stopped gate and the risk-increasing rules, and is cut to
    what the cash can pay (its `created` event then carries `unplaced_quantity`). Raises
    PositionNotFound (404) without an open position, PositionAlreadyClosing (409) when working
    orders already close all of it, RiskRejected (422) when not one lot can be paid for.
    """
    position = (
        Position.objects.select_related("instrument")
        .filter(account_id=account.pk, instrument__symbol=symbol.upper())
        .exclude(quantity=0)
        .first()
    )
    if position is None:
        raise PositionNotFound(
            f"No open position in {symbol.upper()}", details={"symbol": symbol.upper()}
        )
    quantity = _closing_quantity(account_id=account.pk, position=position)
    if quantity <= 0:
        raise PositionAlreadyClosing(
            f"Working orders already close the whole {position.instrument.symbol} position",
            details={"symbol": position.instrument.symbol},
        )
    return order_submit(
        account=account,
        symbol=position.instrument.symbol,
        side=OrderSide.SELL if position.quantity > 0 else OrderSide.BUY,
        order_type=OrderType.MARKET,
        time_in_force=TimeInForce.GTC,
        quantity=quantity,
        note=reason,
        is_close=True,
    )


def close_result(*, symbol: str, order: Order) -> dict[str, Any]:
    """The 207 item of a close: 201 when placed whole, 422 CLOSE_UNFUNDED when cut short."""
    created = order.events.filter(type="created").values_list("data", flat=True).first() or {}
    unplaced = created.get("unplaced_quantity")
    result: dict[str, Any] = {
        "symbol": symbol,
        "status_code": 201,
        "order_id": order.pk,
        "status": order.status,
    }
    if unplaced:
        result["status_code"] = 422
        result["unplaced_quantity"] = unplaced
        result["error"] = {
            "code": "CLOSE_UNFUNDED",
            "message": f"Only {decimal_text(order.quantity)} of {symbol} could be closed: the "
            f"cash cannot pay for the other {unplaced}",
        }
    return result


def position_close_all(*, account: Account, reason: str = "close all") -> list[dict[str, Any]]:
    """Close every open position; return one result per position (symbol, status_code, order).

    An item that could not close the whole position has a status code other than 201 and an
    `error`; `unplaced_quantity` tells how much stays open when a close was cut short.
    """
    results: list[dict[str, Any]] = []
    symbols = (
        Position.objects.filter(account_id=account.pk)
        .exclude(quantity=0)
        .order_by("instrument__symbol")
        .values_list("instrument__symbol", flat=True)
    )
    for symbol in list(symbols):
        try:
            order = position_close(account=account, symbol=symbol, reason=reason)
        except ApplicationError as error:
            details = error.details or {}
            results.append(
                {
                    "symbol": symbol,
                    "status_code": error.status_code,
                    "order_id": details.get("order_id"),
                    "error": {"code": error.code, "message": error.message},
                }
            )
        else:
            results.append(close_result(symbol=symbol, order=order))
    return results
