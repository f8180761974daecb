"""Helpers of analytics tests: orders filled at a chosen time."""

import itertools
from datetime import datetime
from decimal import Decimal

from orders.services import order_apply_fill, order_submit

D = Decimal
_exec_ids = itertools.count(1)


def order_make(account, *, side, quantity, price="100", stop_loss=None, strategy=""):
    """Place a limit order on AAPL (a buy limit at `price`, a sell limit well below the quote)."""
    return order_submit(
        account=account,
        symbol="AAPL",
        side=side,
        order_type="limit",
        quantity=D(quantity),
        limit_price=D(price),
        stop_loss=None if stop_loss is None else D(stop_loss),
        strategy=strategy,
    )


def fill_at(order, *, quantity, price, at: datetime, fee="0"):
    """Apply a venue fill of `order` executed at `at`."""
    return order_apply_fill(
        order_id=order.pk,
        venue_exec_id=f"AN-{next(_exec_ids)}",
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        fee_currency=order.instrument.currency,
        liquidity="taker",
        executed_at=at,
    )


def round_trip(account, *, entry, exit, quantity="10", stop=None, opened, closed, fee="0"):
    """One long round trip: buy `quantity` at `entry`, sell it all at `exit`."""
    buy = order_make(account, side="buy", quantity=quantity, price=entry, stop_loss=stop)
    fill_at(buy, quantity=quantity, price=entry, at=opened, fee=fee)
    sell = order_make(account, side="sell", quantity=quantity, price="90")
    fill_at(sell, quantity=quantity, price=exit, at=closed, fee=fee)
    return buy, sell
