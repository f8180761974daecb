"""Round-trip trades, performance and signals after a real round trip on the paper venue."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from support import wait_until
from trading_client.errors import InvalidPeriodError, OrderNotFoundError, ValidationError


@pytest.fixture(scope="module")
def round_trip(server):
    """Buy AAPL with a stop loss, sell it back: one closed trade with an R multiple."""
    client = server.client("analytics")
    started = datetime.now(UTC) - timedelta(seconds=1)
    stop_loss = (client.market.quote("AAPL").bid * Decimal("0.95")).quantize(Decimal("0.01"))
    entry = client.orders.submit("AAPL", "buy", "2", stop_loss=stop_loss, strategy="momentum")

    def filled(order_id):
        return wait_until(
            lambda: client.orders.get(order_id).status == "filled",
            timeout=20,
            what=f"order {order_id} filled",
        )

    filled(entry.id)
    exit_order = client.portfolio.close_position("AAPL")
    filled(exit_order.id)
    return client, entry, started


def test_the_round_trip_is_one_closed_trade(round_trip):
    client, entry, started = round_trip

    trades = wait_until(
        lambda: [t for t in client.analytics.trades(symbol="AAPL") if t.closed_at],
        timeout=10,
        what="the closed trade",
    )

    (trade,) = trades
    assert (trade.side, trade.quantity, trade.strategy) == ("buy", Decimal(2), "momentum")
    assert trade.entry_price == client.orders.get(entry.id).average_fill_price
    assert trade.closed_at >= trade.opened_at >= started
    assert trade.pnl is not None
    assert trade.fees > 0
    assert trade.r_multiple is not None
    assert [t.id for t in client.analytics.trades(start=started, end=datetime.now(UTC))] == [
        trade.id
    ]
    assert list(client.analytics.trades(symbol="MSFT")) == []


def test_performance_covers_the_closed_trade(round_trip):
    client, _, started = round_trip

    last_day = client.analytics.performance(days=1)
    window = client.analytics.performance(start=started, end=datetime.now(UTC) + timedelta(1))

    assert (last_day.trades, last_day.wins + last_day.losses) == (1, 1)
    assert last_day.total_pnl == window.total_pnl
    assert last_day.end > last_day.start
    assert all(isinstance(p.equity, Decimal) for p in last_day.equity_curve)
    with pytest.raises(InvalidPeriodError):
        client.analytics.performance(start=started, end=started - timedelta(days=1))
    with pytest.raises(ValidationError):
        client.analytics.performance(days=0)


def test_signals_are_posted_listed_and_scored(round_trip):
    client, entry, started = round_trip

    taken = client.signals.post(
        "momentum", "AAPL", direction="long", decision="taken", strength="0.8", order=entry.id
    )
    skipped = client.signals.post(
        "meanrev", "MSFT", direction="short", decision="skipped", reason="spread too wide"
    )

    assert (taken.strength, taken.order, taken.decision) == (Decimal("0.8"), entry.id, "taken")
    # The trade its order opened is closed already, so the outcome is known at once.
    assert taken.outcome_r == next(iter(client.analytics.trades(symbol="AAPL"))).r_multiple
    assert [s.id for s in client.signals.list(strategy="momentum")] == [taken.id]
    assert [s.id for s in client.signals.list(symbol="MSFT", start=started)] == [skipped.id]
    with pytest.raises(OrderNotFoundError):
        client.signals.post("x", "AAPL", direction="long", decision="taken", order=10**9)
