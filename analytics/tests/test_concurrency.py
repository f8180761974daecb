"""Concurrent fills of one account and instrument on PostgreSQL build exactly one round trip."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from analytics.models import Trade
from analytics.tests.helpers import fill_at, order_make

D = Decimal
T = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _fill_all_at_once(orders, *, price):
    barrier = threading.Barrier(len(orders))

    def execute(order):
        try:
            barrier.wait()
            return fill_at(order, quantity="1", price=price, at=T)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        return [result.pk for result in pool.map(execute, orders)]


def test_concurrent_entries_and_exits_make_one_trade(account, aapl):
    buys = [order_make(account, side="buy", quantity="1") for _ in range(6)]
    assert len(_fill_all_at_once(buys, price="100")) == 6

    trade = Trade.objects.get()
    assert (trade.open_quantity, trade.quantity, trade.entry_price) == (D("6"), D("6"), D("100"))

    sells = [order_make(account, side="sell", quantity="1", price="90") for _ in range(6)]
    assert len(_fill_all_at_once(sells, price="101")) == 6

    trade.refresh_from_db()
    assert (trade.open_quantity, trade.pnl, trade.exit_price, trade.closed_at) == (
        D("0"),
        D("6"),
        D("101"),
        T,
    )
    assert Trade.objects.count() == 1
