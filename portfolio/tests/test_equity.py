"""Equity, /portfolio and /portfolio/equity against hand-computed figures; the tracker."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from access.tests.factories import AccountFactory
from control.tracker import EquityTracker
from orders.services import order_submit
from orders.tests.helpers import fill, quote_set
from portfolio.equity import equity_compute, equity_snapshot_record
from portfolio.models import EquitySnapshot
from portfolio.services import balance_deposit
from risk.models import CircuitBreaker
from risk.services import risk_config_update

D = Decimal
T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def trade(account, symbol, side, quantity, price, fee="0"):
    order = order_submit(
        account=account, symbol=symbol, side=side, order_type="market", quantity=D(quantity)
    )
    fill(order, quantity=quantity, price=price, fee=fee)


def test_portfolio_numbers_match_a_hand_computation(account, aapl, msft, viewer):
    trade(account, "AAPL", "buy", "10", "100.10", fee="0.5")  # cash 100000 - 1001 - 0.5
    trade(account, "MSFT", "sell", "5", "199.90")  # cash + 999.5 -> 99998
    trade(account, "AAPL", "sell", "4", "101")  # cash + 404 -> 100402; realized 0.9 x 4 = 3.6
    EquitySnapshot.objects.create(
        account=account, timestamp=T, equity=D("101000"), cash=D("101000"),
        positions_value=D("0"), peak_equity=D("101000"), drawdown_pct=D("0"),
    )  # fmt: skip
    # Mids: AAPL 100.00, MSFT 200.00 (the fixtures' quotes).
    body = client_for(viewer).get("/api/v1/portfolio").json()

    assert body["cash"] == "100402"
    assert body["positions"] == [
        {
            "symbol": "AAPL", "side": "long", "quantity": "6", "average_entry_price": "100.1",
            "market_price": "100", "mid_price": "100", "close_price": "99.9",
            "market_value": "600", "unrealized_pnl": "-0.6", "realized_pnl": "3.6",
        },
        {
            "symbol": "MSFT", "side": "short", "quantity": "-5", "average_entry_price": "199.9",
            "market_price": "200", "mid_price": "200", "close_price": "200.1",
            "market_value": "-1000", "unrealized_pnl": "-0.5", "realized_pnl": "0",
        },
    ]  # fmt: skip
    assert body["positions_value"] == "-400"
    assert body["equity"] == "100002"  # 100402 + 600 - 1000
    # Net of the 0.5 fee: the equity rose by exactly total_pnl (100002 - 100000).
    assert (body["realized_pnl"], body["unrealized_pnl"], body["total_pnl"]) == (
        "3.1",
        "-1.1",
        "2",
    )
    assert (body["realized_pnl_gross"], body["fees"], body["total_pnl_gross"]) == (
        "3.6",
        "0.5",
        "2.5",
    )
    assert body["exposure"] == {"gross": "1600", "net": "-400", "long": "600", "short": "1000"}
    assert body["peak_equity"] == "101000"
    assert body["drawdown_pct"] == "0.9881"  # 998 / 101000
    assert (body["dd_zone"], body["risk_level"]) == ("normal", "1")


def test_equity_falls_back_to_the_entry_price_without_a_quote(account, aapl):
    from django.core.cache import cache

    trade(account, "AAPL", "buy", "10", "100.10")
    cache.clear()
    current = equity_compute(account=account)
    assert (current.cash, current.positions_value, current.equity) == (
        D("98999"),
        D("1001"),
        D("100000"),
    )


def test_snapshots_keep_the_peak_and_the_drawdown(account, aapl):
    trade(account, "AAPL", "buy", "100", "100")
    quote_set("AAPL", bid="99.99", ask="100.01")
    first = equity_snapshot_record(account=account, now=T)
    quote_set("AAPL", bid="89.99", ask="90.01")
    second = equity_snapshot_record(account=account, now=T + timedelta(minutes=1))
    assert (first.equity, first.peak_equity, first.drawdown_pct) == (D("100000"), D("100000"), 0)
    assert (second.cash, second.positions_value, second.equity) == (
        D("90000"),
        D("9000"),
        D("99000"),
    )
    assert (second.peak_equity, second.drawdown_pct) == (D("100000"), D("1"))


def _snapshots(account, equities):
    for minute, equity in enumerate(equities):
        EquitySnapshot.objects.create(
            account=account, timestamp=T + timedelta(minutes=minute), equity=D(equity),
            cash=D(equity), positions_value=D(0), peak_equity=D("100"),
            drawdown_pct=D(100) - D(equity),
        )  # fmt: skip


def test_equity_curve_filters_and_buckets(account, viewer, settings):
    _snapshots(account, ["100", "99", "98", "97", "96", "95", "94"])
    client = client_for(viewer)
    body = client.get("/api/v1/portfolio/equity").json()
    assert [p["equity"] for p in body["results"]] == ["100", "99", "98", "97", "96", "95", "94"]
    assert body["results"][1] == {
        "timestamp": "2026-01-05T12:01:00Z", "equity": "99", "drawdown_pct": "1",
    }  # fmt: skip
    ranged = client.get(
        "/api/v1/portfolio/equity",
        {"from": "2026-01-05T12:02:00Z", "to": "2026-01-05T12:04:00Z"},
    ).json()
    assert [p["equity"] for p in ranged["results"]] == ["98", "97", "96"]
    # 5-minute buckets 12:00-12:04 and 12:05-12:06: the last snapshot of each.
    bucketed = client.get("/api/v1/portfolio/equity", {"interval": "5m"}).json()
    assert [p["equity"] for p in bucketed["results"]] == ["96", "94"]
    settings.EQUITY_CURVE_MAX_POINTS = 3
    bounded = client.get("/api/v1/portfolio/equity").json()
    assert [p["equity"] for p in bounded["results"]] == ["96", "95", "94"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"interval": "7m"}, "interval"), ({"from": "yesterday"}, "from"),
     ({"from": "2026-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z"}, "from")],
)  # fmt: skip
def test_equity_curve_refuses_bad_parameters(viewer, query, field):
    response = client_for(viewer).get("/api/v1/portfolio/equity", query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert list(error["details"]["fields"]) == [field]


def test_another_accounts_curve_is_not_found(viewer, other_account):
    _snapshots(other_account, ["100"])
    response = client_for(viewer).get("/api/v1/portfolio/equity", {"account": other_account.pk})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_tracker_snapshots_every_account_then_accounts_with_new_fills(aapl):
    rich, poor = AccountFactory(name="Rich"), AccountFactory(name="Poor")
    balance_deposit(account=rich, currency="USD", amount=D("100000"))
    balance_deposit(account=poor, currency="USD", amount=D("1000"))
    risk_config_update(account=rich, changes={"daily_loss_limit": "100"})
    tracker = EquityTracker(interval_s=60)
    try:
        first = async_to_sync(tracker.step)(now=T)
        assert (first["accounts"], first["tripped"]) == (2, [])
        assert async_to_sync(tracker.fills_step)(now=T)["accounts"] == 0

        trade(rich, "AAPL", "buy", "100", "100")
        quote_set("AAPL", bid="98.99", ask="99.01")  # 100 lost on the day: at the limit
        after_fill = async_to_sync(tracker.fills_step)(now=T + timedelta(seconds=1))
        assert (after_fill["accounts"], after_fill["tripped"]) == (1, [])
        quote_set("AAPL", bid="98.98", ask="99.00")  # 101 lost
        full = async_to_sync(tracker.step)(now=T + timedelta(seconds=60))
        assert (full["accounts"], full["tripped"]) == (2, [rich.pk])
    finally:
        tracker._worker.shutdown()
    assert EquitySnapshot.objects.filter(account=rich).count() == 3
    assert EquitySnapshot.objects.filter(account=poor).count() == 2
    assert CircuitBreaker.objects.get(account=rich).tripped is True
    assert tracker.status()["snapshots"] == 5
