"""Helpers for order tests: quotes in the cache, funded accounts, fills and invariant checks."""

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from kernel.db.expressions import ExactSum
from marketdata.services import market_state_store
from orders.enums import WORKING_STATUSES, OrderSide
from orders.models import Fill, Order
from orders.services import order_apply_fill
from portfolio.models import Balance, LedgerEntry, Position

D = Decimal
T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
_exec_ids = itertools.count(1)


def quote_set(symbol: str, *, bid: str, ask: str, size: str = "1000") -> None:
    """Put a quote of `symbol` in the cache, as the feed does."""
    market_state_store(
        quotes=[
            {
                "symbol": symbol,
                "bid": D(bid),
                "ask": D(ask),
                "bid_size": D(size),
                "ask_size": D(size),
                "last": (D(bid) + D(ask)) / 2,
                "volume": D(0),
                "timestamp": T0,
                "source": "simulator",
            }
        ],
        books=[],
        ttl_s=600,
    )


def fill(order, *, quantity, price, fee="0", exec_id=None, liquidity="taker"):
    """Apply a venue fill through the service; return what it returns."""
    return order_apply_fill(
        order_id=order.pk,
        venue_exec_id=exec_id or f"X-{next(_exec_ids)}",
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        fee_currency=order.instrument.currency,
        liquidity=liquidity,
        executed_at=T0,
    )


def balance_of(account, currency="USD") -> Balance | None:
    return Balance.objects.filter(account=account, currency=currency).first()


def invariants_check(account) -> None:
    """Assert the accounting invariants of one account."""
    for balance in Balance.objects.filter(account=account):
        ledger = LedgerEntry.objects.filter(account=account, currency=balance.currency).aggregate(
            total=ExactSum("amount")
        )["total"] or D(0)
        assert balance.total == ledger
        assert balance.total == balance.available + balance.locked
        locked = Order.objects.filter(
            account=account,
            status__in=list(WORKING_STATUSES),
            instrument__currency=balance.currency,
        ).aggregate(total=ExactSum("locked_amount"))["total"] or D(0)
        assert balance.locked == locked
    for position in Position.objects.filter(account=account):
        signed = D(0)
        for side, quantity in Fill.objects.filter(
            account=account, instrument=position.instrument
        ).values_list("side", "quantity"):
            signed += quantity if side == OrderSide.BUY else -quantity
        assert position.quantity == signed
    for order in Order.objects.filter(account=account):
        assert D(0) <= order.filled_quantity <= order.quantity
        if order.status not in WORKING_STATUSES:
            assert order.locked_amount == 0
