"""Helpers of deployment tests: 1-minute candles stored as the feed stores them, and passes."""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from deployments.trading import deployments_run
from marketdata.candles import Bar
from marketdata.services import candles_record
from orders.enums import OrderStatus
from orders.models import Order
from orders.tests.helpers import fill

D = Decimal
T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# Bars stored before a deployment starts (its warm-up).
HISTORY_BARS = 30


def close_at(i: int) -> Decimal:
    """A deterministic wave around 100 that crosses its averages often."""
    value = 100 + 2 * math.sin(i / 4) + 0.7 * math.sin(i / 1.7)
    return D(str(round(value, 2)))


def bars_store(instrument, first: int, count: int = 1) -> None:
    """Store the 1-minute bars `first` .. `first + count - 1` through the feed's own service."""
    bars = []
    for i in range(first, first + count):
        open_, close = close_at(i - 1), close_at(i)
        bars.append(
            Bar(
                symbol=instrument.symbol,
                interval="1m",
                ts=T0 + i * MINUTE,
                open=open_,
                high=max(open_, close) + D("0.05"),
                low=min(open_, close) - D("0.05"),
                close=close,
                volume=D(100),
                source="simulator",
            )
        )
    candles_record(bars=bars, instrument_ids={instrument.symbol: instrument.pk})


def pass_after(i: int) -> dict[str, int]:
    """One engine pass just after bar `i` closed (a fresh pass: nothing kept in memory)."""
    return deployments_run(now=T0 + (i + 1) * MINUTE + timedelta(seconds=1))


def pending_fill(account) -> int:
    """Fill the account's pending market orders at the fixtures' quote, through the service the
    paper venue uses (the venue itself runs in the integration tests); return how many."""
    pending = Order.objects.filter(account=account, status=OrderStatus.PENDING)
    count = 0
    for order in pending:
        price = "100.10" if order.side == "buy" else "99.90"
        fill(order, quantity=order.quantity, price=price)
        count += 1
    return count
