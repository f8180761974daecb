"""Round-trip trades built at fill time, and signals with their outcome R."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import Signal, Trade
from analytics.services import signal_create
from analytics.tests.helpers import fill_at, order_make
from audit.models import AuditEntry

D = Decimal
T = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def figures(trade):
    return {
        "side": trade.side,
        "quantity": trade.quantity,
        "entry_price": trade.entry_price,
        "exit_price": trade.exit_price,
        "fees": trade.fees,
        "pnl": trade.pnl,
        "pnl_pct": trade.pnl_pct,
        "initial_stop": trade.initial_stop,
        "r_multiple": trade.r_multiple,
        "closed_at": trade.closed_at,
    }


def test_partial_exits_accumulate_into_one_trade_with_fees_and_r(account, aapl):
    buy = order_make(account, side="buy", quantity="10", stop_loss="95", strategy="trend")
    fill_at(buy, quantity="10", price="100", fee="1", at=T)
    first_exit = order_make(account, side="sell", quantity="4", price="90")
    fill_at(first_exit, quantity="4", price="110", fee="0.5", at=T + timedelta(hours=1))

    trade = Trade.objects.get()
    assert (trade.closed_at, trade.open_quantity, trade.pnl, trade.exit_price) == (
        None,
        D("6"),
        D("38.5"),
        D("110"),
    )

    second_exit = order_make(account, side="sell", quantity="6", price="90")
    fill_at(second_exit, quantity="6", price="105", fee="0.5", at=T + timedelta(hours=2))

    trade.refresh_from_db()
    # gross 4 x 10 + 6 x 5 = 70, fees 2; exit (440 + 630) / 10; risk 5 x 10 = 50.
    assert figures(trade) == {
        "side": "buy",
        "quantity": D("10"),
        "entry_price": D("100"),
        "exit_price": D("107"),
        "fees": D("2"),
        "pnl": D("68"),
        "pnl_pct": D("6.8"),
        "initial_stop": D("95"),
        "r_multiple": D("1.36"),
        "closed_at": T + timedelta(hours=2),
    }
    assert (trade.strategy, trade.opened_at) == ("trend", T)
    assert list(
        AuditEntry.objects.filter(object_type="trade").values_list("action", flat=True)
    ) == ["trade.opened", "trade.closed"]


def test_scaling_in_averages_the_entry_and_keeps_the_largest_quantity(account, aapl):
    for price in ("100", "110"):
        buy = order_make(account, side="buy", quantity="10", price=price)
        fill_at(buy, quantity="10", price=price, at=T)
    sell = order_make(account, side="sell", quantity="20", price="90")
    fill_at(sell, quantity="20", price="100", at=T + timedelta(days=1))

    trade = Trade.objects.get()
    assert figures(trade) == {
        "side": "buy",
        "quantity": D("20"),
        "entry_price": D("105"),
        "exit_price": D("100"),
        "fees": D("0"),
        "pnl": D("-100"),
        "pnl_pct": D("-4.7619047619"),
        "initial_stop": None,
        "r_multiple": None,
        "closed_at": T + timedelta(days=1),
    }


def test_a_flip_closes_one_trade_and_opens_the_next(account, aapl):
    buy = order_make(account, side="buy", quantity="10", stop_loss="90")
    fill_at(buy, quantity="10", price="100", fee="1", at=T)
    flip = order_make(account, side="sell", quantity="15", price="90", stop_loss="120")
    fill_at(flip, quantity="15", price="110", fee="3", at=T + timedelta(hours=1))

    long, short = Trade.objects.order_by("id")
    # The flip's fee is shared 10:5 between the closing and the opening part.
    assert figures(long) == {
        "side": "buy",
        "quantity": D("10"),
        "entry_price": D("100"),
        "exit_price": D("110"),
        "fees": D("3"),
        "pnl": D("97"),
        "pnl_pct": D("9.7"),
        "initial_stop": D("90"),
        "r_multiple": D("0.97"),
        "closed_at": T + timedelta(hours=1),
    }
    assert (short.side, short.quantity, short.entry_price, short.fees, short.pnl) == (
        "sell",
        D("5"),
        D("110"),
        D("1"),
        D("-1"),
    )
    assert (short.closed_at, short.initial_stop, short.opening_order_id) == (
        None,
        D("120"),
        flip.pk,
    )

    cover = order_make(account, side="buy", quantity="5", price="100")
    fill_at(cover, quantity="5", price="100", at=T + timedelta(hours=2))

    short.refresh_from_db()
    # (110 - 100) x 5 = 50, less the 1 of fees; risk |110 - 120| x 5 = 50.
    assert (short.pnl, short.r_multiple, short.exit_price, short.closed_at) == (
        D("49"),
        D("0.98"),
        D("100"),
        T + timedelta(hours=2),
    )
    assert Trade.objects.filter(closed_at=None).count() == 0


def test_a_signal_gets_the_outcome_r_when_its_order_trade_closes(account, aapl):
    buy = order_make(account, side="buy", quantity="10", stop_loss="95")
    signal = signal_create(
        account=account,
        strategy="trend",
        symbol="aapl",
        direction="long",
        decision="taken",
        strength=D("0.8"),
        order_id=buy.pk,
    )
    fill_at(buy, quantity="10", price="100", at=T)
    signal.refresh_from_db()
    assert signal.outcome_r is None

    sell = order_make(account, side="sell", quantity="10", price="90")
    fill_at(sell, quantity="10", price="90", at=T + timedelta(hours=1))

    signal.refresh_from_db()
    assert (signal.symbol, signal.outcome_r) == ("AAPL", D("-2"))
    assert (
        AuditEntry.objects.filter(action="signal.recorded", object_id=str(signal.pk)).count() == 1
    )


def test_a_skipped_signal_has_no_order_and_no_outcome(account, msft):
    signal = signal_create(
        account=account,
        strategy="trend",
        symbol="MSFT",
        direction="short",
        decision="skipped",
        reason="spread too wide",
    )
    assert Signal.objects.values_list("decision", "reason", "order", "outcome_r").get(
        pk=signal.pk
    ) == ("skipped", "spread too wide", None, None)
