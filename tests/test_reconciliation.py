"""PnL is defined once, net of fees: /portfolio, /trades, /performance and the equity curve agree
to the cent on one book (a closed round trip with fees, an open position marked at the mid)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from access.tests.helpers import key_make, simple_client
from orders.services import order_submit
from orders.tests.helpers import T0, fill, quote_set
from portfolio.equity import equity_snapshot_record
from tests.fixtures import CASH

D = Decimal
PERIOD = "from=2026-01-03T00:00:00Z&to=2026-01-07T00:00:00Z"


@pytest.fixture(autouse=True)
def _rate_limits(generous_rate_limits):
    """Four reads in a row with one key; the limits are tested apart."""


def _market(account, symbol: str, side: str, quantity: str, price: str, fee: str) -> None:
    order = order_submit(
        account=account, symbol=symbol, side=side, order_type="market", quantity=D(quantity)
    )
    fill(order, quantity=quantity, price=price, fee=fee)


def test_portfolio_trades_performance_and_the_equity_curve_reconcile(trader, account, aapl, msft):
    # given: a snapshot before trading, a closed AAPL round trip, an open MSFT long, a snapshot
    equity_snapshot_record(account=account, now=T0 - timedelta(days=1))
    _market(account, "AAPL", "buy", "10", "100.10", fee="0.50")
    _market(account, "AAPL", "sell", "10", "101.00", fee="0.51")  # gross 9, net 7.99
    _market(account, "MSFT", "buy", "5", "200.10", fee="0.25")  # open: net -0.25 so far
    quote_set("MSFT", bid="201.00", ask="201.20")  # mid 201.10: unrealized 5
    equity_snapshot_record(account=account, now=T0 + timedelta(hours=1))
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    client = simple_client(api_key, secret)

    # when
    portfolio = client.get("/api/v1/portfolio").json()
    trades = client.get("/api/v1/trades").json()["results"]
    performance = client.get(f"/api/v1/performance?{PERIOD}").json()
    curve = client.get(f"/api/v1/portfolio/equity?{PERIOD}").json()["results"]

    # then: the portfolio's PnL is what the equity moved
    assert D(portfolio["equity"]) - CASH == D(portfolio["total_pnl"]) == D("12.74")
    assert (portfolio["realized_pnl"], portfolio["fees"], portfolio["realized_pnl_gross"]) == (
        "7.74", "1.26", "9",
    )  # fmt: skip
    assert D(portfolio["total_pnl_gross"]) - D(portfolio["fees"]) == D(portfolio["total_pnl"])
    # the trades (open and closed) add up to the portfolio's realized figures
    assert sum(D(t["pnl"]) for t in trades) == D(portfolio["realized_pnl"])
    assert sum(D(t["fees"]) for t in trades) == D(portfolio["fees"])
    assert sum(D(t["gross_pnl"]) for t in trades) == D(portfolio["realized_pnl_gross"])
    closed = [t for t in trades if t["closed_at"] is not None]
    assert [(t["symbol"], t["gross_pnl"], t["fees"], t["pnl"]) for t in closed] == [
        ("AAPL", "9", "1.01", "7.99"),
    ]  # fmt: skip
    # performance covers the closed trades, with the same net, gross and fees
    assert (performance["total_pnl"], performance["gross_pnl"], performance["fees"]) == (
        "7.99", "9", "1.01",
    )  # fmt: skip
    # the equity curves move by the portfolio's total PnL
    assert D(curve[-1]["equity"]) - D(curve[0]["equity"]) == D(portfolio["total_pnl"])
    daily = performance["equity_curve"]
    assert D(daily[-1]["equity"]) - D(daily[0]["equity"]) == D(portfolio["total_pnl"])
    # one mark for equity (the mid), the close side named beside it
    (position,) = portfolio["positions"]
    assert (position["market_price"], position["mid_price"], position["close_price"]) == (
        "201.1", "201.1", "201",
    )  # fmt: skip
    assert client.get("/api/v1/positions/MSFT").json()["mid_price"] == "201.1"
