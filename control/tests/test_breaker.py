"""Drawdown zones, daily loss and the circuit breaker, driven by real orders, fills and quotes."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from control.services import account_risk_step, circuit_breaker_trip
from orders.errors import RiskRejected
from orders.models import Order
from orders.services import order_submit
from orders.tests.helpers import fill, quote_set
from portfolio.models import EquitySnapshot
from risk.breaker import circuit_breaker_get
from risk.models import CircuitBreaker, TradingState
from risk.selectors import risk_level_effective, trading_state_effective
from risk.services import risk_config_update

D = Decimal
DAY = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
ZONES = [
    {"zone": "caution", "drawdown_pct": "5", "risk_multiplier": "0.75"},
    {"zone": "danger", "drawdown_pct": "10", "risk_multiplier": "0.5"},
    {"zone": "halt", "drawdown_pct": "30", "risk_multiplier": "0"},
]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def mid(symbol: str, price: str) -> None:
    """A quote one cent either side of `price`, so the mid is `price`."""
    quote_set(symbol, bid=str(D(price) - D("0.01")), ask=str(D(price) + D("0.01")))


def long_aapl(account, quantity="500", price="100"):
    order = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D(quantity)
    )
    fill(order, quantity=quantity, price=price)
    return order


def test_zones_follow_equity_down_and_back_up(account, aapl):
    risk_config_update(account=account, changes={"dd_zones": ZONES})
    long_aapl(account)  # cash 50000, 500 AAPL
    seen = []
    for minute, price in enumerate(["100", "90", "80", "90", "96", "110", "100"]):
        mid("AAPL", price)
        status = account_risk_step(account=account, now=DAY + timedelta(minutes=minute))
        seen.append((status["dd_zone"], status["drawdown_pct"], status["risk_level"]))
    assert seen == [
        ("normal", D("0"), D("1")),
        ("caution", D("5"), D("0.75")),  # 95000 of 100000
        ("danger", D("10"), D("0.5")),  # 90000
        ("caution", D("5"), D("0.75")),
        ("normal", D("2"), D("1")),  # 98000
        ("normal", D("0"), D("1")),  # 105000: a new peak
        ("normal", D("4.7619"), D("1")),  # 100000 of 105000
    ]
    peaks = list(
        EquitySnapshot.objects.filter(account=account).values_list("equity", "peak_equity")
    )
    assert peaks[-2:] == [(D("105000"), D("105000")), (D("100000"), D("105000"))]
    assert not CircuitBreaker.objects.filter(account=account, tripped=True).exists()


def test_pretrade_risk_level_follows_the_zone(account, aapl):
    risk_config_update(account=account, changes={"dd_zones": ZONES})
    long_aapl(account)
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY)
    assert risk_level_effective(account_id=account.pk) == D("1")
    mid("AAPL", "80")
    account_risk_step(account=account, now=DAY + timedelta(minutes=1))
    assert risk_level_effective(account_id=account.pk) == D("0.5")


def test_breaker_trips_just_past_the_daily_loss_then_cancels_and_flattens(account, aapl):
    risk_config_update(account=account, changes={"daily_loss_limit": "3000"})
    long_aapl(account)
    resting = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("50"),
    )  # fmt: skip
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY)  # start of day: 100000

    mid("AAPL", "94")  # 97000: a loss of 3000, at the limit
    at_limit = account_risk_step(account=account, now=DAY + timedelta(hours=1))
    assert (at_limit["daily_loss"], at_limit["tripped"]) == (D("3000"), False)
    assert trading_state_effective(account_id=account.pk) == "running"
    assert Order.objects.get(pk=resting.pk).status != "canceled"

    mid("AAPL", "93.98")  # 96990: 3010 lost
    past = account_risk_step(account=account, now=DAY + timedelta(hours=2))
    assert (past["daily_loss"], past["tripped"]) == (D("3010"), True)
    breaker = circuit_breaker_get(account_id=account.pk)
    assert breaker == {
        "tripped": True,
        "reason": "daily loss 3010 exceeds the limit 3000",
        "tripped_at": DAY + timedelta(hours=2),
    }
    state = TradingState.objects.get(account=account)
    assert (state.state, state.reason) == (
        "halted",
        "circuit breaker: daily loss 3010 exceeds the limit 3000",
    )
    assert Order.objects.get(pk=resting.pk).status == "canceled"
    [closing] = Order.objects.filter(account=account, side="sell")
    assert (closing.order_type, closing.quantity) == ("market", D("500"))
    assert AuditEntry.objects.filter(action="risk.circuit_breaker_tripped").count() == 1

    # Still breached a minute later: the breaker does not trip twice nor close twice.
    again = account_risk_step(account=account, now=DAY + timedelta(hours=2, minutes=1))
    assert again["tripped"] is False
    assert Order.objects.filter(account=account, side="sell").count() == 1


def test_daily_loss_counts_from_the_configured_day_start(account, aapl, settings):
    settings.RISK_DAY_START_UTC = 8
    risk_config_update(account=account, changes={"daily_loss_limit": "3000"})
    long_aapl(account)
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY + timedelta(hours=7))  # yesterday's day: 100000
    mid("AAPL", "90")
    before_start = account_risk_step(account=account, now=DAY + timedelta(hours=7, minutes=59))
    assert before_start["tripped"] is True  # 5000 lost within the day that began at 08:00 (-1d)
    CircuitBreaker.objects.filter(account=account).update(tripped=False)
    mid("AAPL", "89")
    # The new day starts at 08:00 from 95000 (the last snapshot before it): 500 lost.
    after_start = account_risk_step(account=account, now=DAY + timedelta(hours=9))
    assert (after_start["daily_loss"], after_start["tripped"]) == (D("500"), False)


def test_breaker_trips_past_the_max_drawdown(account, aapl):
    risk_config_update(
        account=account, changes={"max_drawdown_pct": "10", "flatten_on_halt": False}
    )
    long_aapl(account)
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY)
    mid("AAPL", "80")  # 90000: exactly 10%
    assert account_risk_step(account=account, now=DAY + timedelta(minutes=1))["tripped"] is False
    mid("AAPL", "79.98")  # 89990: 10.01%
    assert account_risk_step(account=account, now=DAY + timedelta(minutes=2))["tripped"] is True
    assert circuit_breaker_get(account_id=account.pk)["reason"] == (
        "drawdown 10.01% exceeds the maximum 10%"
    )
    assert trading_state_effective(account_id=account.pk) == "halted"
    assert not Order.objects.filter(account=account, side="sell").exists()


def test_halt_zone_trips_the_breaker(account, aapl):
    risk_config_update(account=account, changes={"dd_zones": ZONES})
    long_aapl(account)
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY)
    mid("AAPL", "40")  # 70000: 30%
    status = account_risk_step(account=account, now=DAY + timedelta(minutes=1))
    assert (status["dd_zone"], status["tripped"]) == ("halt", True)
    assert circuit_breaker_get(account_id=account.pk)["reason"] == (
        "drawdown 30% is in the halt zone"
    )


def test_reset_needs_control_and_a_reason(account, aapl, trader, risk_manager):
    circuit_breaker_trip(account=account, reason="daily loss 10 exceeds the limit 5", now=DAY)
    tripped = {"tripped": True, "reason": "daily loss 10 exceeds the limit 5", "tripped_at": DAY}

    refused = post(client_for(trader), "/api/v1/risk/circuit-breaker/reset", {"reason": "ok"})
    assert refused.status_code == 403
    assert circuit_breaker_get(account_id=account.pk) == tripped

    no_reason = post(client_for(risk_manager), "/api/v1/risk/circuit-breaker/reset", {})
    assert (no_reason.status_code, no_reason.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert circuit_breaker_get(account_id=account.pk) == tripped

    reset = post(
        client_for(risk_manager), "/api/v1/risk/circuit-breaker/reset", {"reason": "reviewed"}
    )
    assert reset.status_code == 200
    assert reset.json()["tripped"] is False
    row = CircuitBreaker.objects.get(account=account)
    assert (row.tripped, row.reset_reason, row.reset_by) == (False, "reviewed", risk_manager)
    body = client_for(risk_manager).get("/api/v1/risk").json()
    assert body["circuit_breaker"]["tripped"] is False
    # Re-arming the breaker does not restart trading: that is a separate, deliberate step.
    assert body["trading_state"] == "halted"

    twice = post(
        client_for(risk_manager), "/api/v1/risk/circuit-breaker/reset", {"reason": "again"}
    )
    assert (twice.status_code, twice.json()["error"]["code"]) == (
        409,
        "CIRCUIT_BREAKER_NOT_TRIPPED",
    )


def test_risk_shows_drawdown_daily_loss_and_breaker(account, aapl, viewer):
    risk_config_update(
        account=account,
        changes={"dd_zones": ZONES, "daily_loss_limit": "20000", "max_drawdown_pct": "25"},
    )
    long_aapl(account)
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY)
    mid("AAPL", "90")
    account_risk_step(account=account, now=DAY + timedelta(minutes=1))
    body = client_for(viewer).get("/api/v1/risk").json()
    assert (body["dd_zone"], body["risk_level"], body["drawdown_pct"]) == ("caution", "0.75", "5")
    limits = {item["name"]: item for item in body["limits"]}
    assert limits["total_drawdown"] == {
        "name": "total_drawdown", "limit": "25", "used": "5", "utilization_pct": "20",
    }  # fmt: skip
    assert limits["daily_loss"]["limit"] == "20000"
    assert body["circuit_breaker"] == {"tripped": False, "reason": "", "tripped_at": None}


def test_risk_per_trade_uses_the_zone_multiplier(account, aapl):
    risk_config_update(account=account, changes={"dd_zones": ZONES, "risk_per_trade_pct": "1"})
    long_aapl(account)  # equity at cost: 50000 cash + 500 x 100
    mid("AAPL", "100")
    account_risk_step(account=account, now=DAY)
    mid("AAPL", "80")  # danger: multiplier 0.5, so 100000 x 1% x 0.5 = 500 may be risked
    account_risk_step(account=account, now=DAY + timedelta(minutes=1))

    def buy(stop_loss):
        return order_submit(
            account=account, symbol="AAPL", side="buy", order_type="limit", quantity=D("10"),
            limit_price=D("80.01"), stop_loss=D(stop_loss),
        )  # fmt: skip

    assert buy("30.01").status != "rejected"  # (80.01 - 30.01) x 10 = 500
    with pytest.raises(RiskRejected) as refused:
        buy("30")  # 500.1
    [violation] = refused.value.details["violations"]
    assert (violation["rule"], violation["limit"], violation["value"]) == (
        "risk_per_trade_pct",
        "500",
        "500.1",
    )
