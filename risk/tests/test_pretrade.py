"""Pre-trade rules: each accepts at its limit and refuses just past it; the trading-state gate."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from control.services import trading_halt, trading_stop
from marketdata.enums import InstrumentStatus
from orders.models import Order
from orders.services import order_submit
from orders.services.entry import order_intent
from portfolio.models import Position
from risk.errors import TradingReduceOnly, TradingStopped
from risk.pretrade import OrderIntent, Violation, pretrade_assess, trading_gate
from risk.services import (
    risk_config_update,
    risk_override_create,
    trading_reduce_only,
    trading_start,
)

D = Decimal


def intent(account, instrument, **fields) -> OrderIntent:
    """The intent the orders app would build: the order and the account's other orders."""
    values = {
        "account_id": account.pk,
        "instrument": instrument,
        "side": "buy",
        "order_type": "limit",
        "quantity": D("10"),
        "limit_price": D("100"),
        "stop_price": None,
        "stop_loss": None,
        "reference_price": None,
    }
    values.update(fields)
    return order_intent(**values)


def pretrade_check(*, intent: OrderIntent) -> list[Violation]:
    return pretrade_assess(intent=intent).violations


def limits(account, **changes) -> None:
    risk_config_update(account=account, changes=changes)


def rules(violations: list[Violation]) -> list[str]:
    return [violation.rule for violation in violations]


def position(account, instrument, quantity, price):
    return Position.objects.create(
        account=account,
        instrument=instrument,
        quantity=D(quantity),
        average_entry_price=D(price),
    )


def test_no_config_means_no_limits(account, aapl):
    assert pretrade_check(intent=intent(account, aapl, quantity=D("1000000"))) == []


def test_max_order_quantity_at_and_past_the_limit(account, aapl):
    limits(account, max_order_quantity="10")
    assert pretrade_check(intent=intent(account, aapl, quantity=D("10"))) == []
    assert pretrade_check(intent=intent(account, aapl, quantity=D("11"))) == [
        Violation(
            rule="max_order_quantity",
            limit="10",
            value="11",
            message="Order quantity 11 exceeds the limit 10",
        )
    ]


def test_max_order_notional_uses_the_limit_price(account, aapl):
    limits(account, max_order_notional="1000")
    assert pretrade_check(intent=intent(account, aapl, limit_price=D("100"))) == []
    violations = pretrade_check(intent=intent(account, aapl, limit_price=D("100.01")))
    assert [(v.rule, v.limit, v.value) for v in violations] == [
        ("max_order_notional", "1000", "1000.1")
    ]


def test_max_order_notional_of_a_market_order_uses_the_quote_side_it_takes(account, aapl):
    # Buying takes the ask (100.10): 10 x 100.10 = 1001.
    limits(account, max_order_notional="1001")
    market = {"order_type": "market", "limit_price": None}
    assert pretrade_check(intent=intent(account, aapl, **market)) == []
    limits(account, max_order_notional="1000.99")
    violations = pretrade_check(intent=intent(account, aapl, **market))
    assert [(v.rule, v.value) for v in violations] == [("max_order_notional", "1001")]
    # Selling takes the bid (99.90): 999.
    assert pretrade_check(intent=intent(account, aapl, side="sell", **market)) == []


def test_max_position_notional_counts_the_position_after_the_order(account, aapl):
    position(account, aapl, "10", "90")
    limits(account, max_position_notional="2000")
    assert pretrade_check(intent=intent(account, aapl, quantity=D("10"))) == []
    violations = pretrade_check(intent=intent(account, aapl, quantity=D("11")))
    assert [(v.rule, v.limit, v.value) for v in violations] == [
        ("max_position_notional", "2000", "2100")
    ]
    # A sell that shrinks the position stays well inside.
    assert pretrade_check(intent=intent(account, aapl, side="sell", quantity=D("15"))) == []


def test_max_gross_exposure_adds_every_other_position(account, aapl, msft):
    position(account, msft, "-10", "100")  # 1000 at cost, short counts in full
    limits(account, max_gross_exposure="3000")
    assert pretrade_check(intent=intent(account, aapl, quantity=D("20"))) == []
    violations = pretrade_check(intent=intent(account, aapl, quantity=D("21")))
    assert [(v.rule, v.limit, v.value) for v in violations] == [
        ("max_gross_exposure", "3000", "3100")
    ]


def test_max_open_orders_counts_working_orders_and_this_one(account, aapl):
    limits(account, max_open_orders=2)
    order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip
    assert pretrade_check(intent=intent(account, aapl)) == []
    second = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip
    violations = pretrade_check(intent=intent(account, aapl))
    assert [(v.rule, v.limit, v.value) for v in violations] == [("max_open_orders", "2", "3")]
    # Modifying an open order does not count it twice.
    assert pretrade_check(intent=intent(account, aapl, exclude_order_id=second.pk)) == []


def test_price_band_around_the_quote_side_the_order_takes(account, aapl):
    # A buy is measured against the ask, 100.10: 5% is 5.005 either way.
    limits(account, price_band_pct="5")
    for price in ("105.105", "95.095"):
        assert pretrade_check(intent=intent(account, aapl, limit_price=D(price))) == []
    # The caller's reference_price equal to the limit price does not hide the band.
    at_limit = intent(account, aapl, limit_price=D("105.106"), reference_price=D("105.106"))
    violations = pretrade_check(intent=at_limit)
    assert [(v.rule, v.limit, v.value) for v in violations] == [("price_band_pct", "5", "5.000999")]
    # A sell is measured against the bid, 99.90: 94.905 is exactly 5% below.
    assert pretrade_check(intent=intent(account, aapl, side="sell", limit_price=D("94.905"))) == []
    violations = pretrade_check(intent=intent(account, aapl, side="sell", limit_price=D("94.90")))
    assert rules(violations) == ["price_band_pct"]


def test_price_band_without_a_quote_uses_a_given_reference(account):
    from marketdata.tests.factories import InstrumentFactory

    unquoted = InstrumentFactory(symbol="NOQ")
    limits(account, price_band_pct="5")
    assert pretrade_check(intent=intent(account, unquoted, limit_price=D("105"))) == []
    given = {"reference_price": D("100")}
    assert pretrade_check(intent=intent(account, unquoted, limit_price=D("105"), **given)) == []
    violations = pretrade_check(intent=intent(account, unquoted, limit_price=D("105.01"), **given))
    assert [(v.rule, v.value) for v in violations] == [("price_band_pct", "5.01")]


def test_allowed_and_blocked_symbols(account, aapl):
    limits(account, allowed_symbols=["aapl", "MSFT"])
    assert pretrade_check(intent=intent(account, aapl)) == []
    limits(account, allowed_symbols=["MSFT"], blocked_symbols=["AAPL"])
    assert rules(pretrade_check(intent=intent(account, aapl))) == [
        "allowed_symbols",
        "blocked_symbols",
    ]


def test_instrument_must_be_trading(account, aapl):
    aapl.status = InstrumentStatus.HALTED
    aapl.save()
    assert rules(pretrade_check(intent=intent(account, aapl))) == ["instrument_trading"]


def test_risk_per_trade_at_and_past_the_limit(account, aapl):
    # Equity 100,000 cash, 1% -> 1,000 at risk; entry 100, stop 90: 10 per share.
    limits(account, risk_per_trade_pct="1")
    assert pretrade_check(intent=intent(account, aapl, quantity=D("100"), stop_loss=D("90"))) == []
    violations = pretrade_check(intent=intent(account, aapl, quantity=D("101"), stop_loss=D("90")))
    assert [(v.rule, v.limit, v.value) for v in violations] == [
        ("risk_per_trade_pct", "1000", "1010")
    ]
    # Without a stop loss the rule does not apply.
    assert pretrade_check(intent=intent(account, aapl, quantity=D("101"))) == []


def test_risk_level_override_scales_risk_per_trade(account, aapl):
    limits(account, risk_per_trade_pct="1")
    risk_override_create(
        account=account,
        kind="risk_level",
        value="0.5",
        reason="cautious week",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert pretrade_check(intent=intent(account, aapl, quantity=D("50"), stop_loss=D("90"))) == []
    violations = pretrade_check(intent=intent(account, aapl, quantity=D("51"), stop_loss=D("90")))
    assert [(v.rule, v.limit, v.value) for v in violations] == [
        ("risk_per_trade_pct", "500", "510")
    ]


def test_max_orders_per_second_counts_the_last_second(account, aapl):
    limits(account, max_orders_per_second=2)
    first = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip
    created = Order.objects.get(pk=first.pk).created_at
    at = created + timedelta(milliseconds=500)
    assert pretrade_check(intent=intent(account, aapl, now=at)) == []
    order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip
    Order.objects.exclude(pk=first.pk).update(created_at=created)
    violations = pretrade_check(intent=intent(account, aapl, now=at))
    assert [(v.rule, v.limit, v.value) for v in violations] == [("max_orders_per_second", "2", "3")]
    # A second later both have left the window.
    assert pretrade_check(intent=intent(account, aapl, now=created + timedelta(seconds=1))) == []


def test_every_violation_is_reported_together(account, aapl):
    limits(
        account,
        max_order_quantity="5",
        max_order_notional="500",
        price_band_pct="1",
        blocked_symbols=["AAPL"],
        risk_per_trade_pct="0.01",
    )
    violations = pretrade_check(
        intent=intent(account, aapl, limit_price=D("110"), stop_loss=D("100"))
    )
    assert rules(violations) == [
        "blocked_symbols",
        "max_order_quantity",
        "price_band_pct",
        "max_order_notional",
        "risk_per_trade_pct",
    ]


def test_limit_override_replaces_the_limit_and_stops_applying_when_expired(account, aapl):
    limits(account, max_order_quantity="10")
    override = risk_override_create(
        account=account,
        kind="limit",
        target="max_order_quantity",
        value="20",
        reason="block trade",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert pretrade_check(intent=intent(account, aapl, quantity=D("20"))) == []
    assert rules(pretrade_check(intent=intent(account, aapl, quantity=D("21")))) == [
        "max_order_quantity"
    ]
    # Past its expiry it no longer applies, even before the periodic task marks it.
    type(override).objects.filter(pk=override.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert rules(pretrade_check(intent=intent(account, aapl, quantity=D("20")))) == [
        "max_order_quantity"
    ]


def test_gate_lets_orders_through_while_running(account, aapl):
    assert trading_gate(intent=intent(account, aapl)) is None
    trading_start(account=account, reason="open")
    assert trading_gate(intent=intent(account, aapl)) is None


@pytest.mark.parametrize("stop", [trading_stop, trading_halt])
def test_gate_refuses_every_order_when_stopped_or_halted(account, aapl, stop):
    position(account, aapl, "10", "100")
    stop(account=account, reason="desk closed")
    for side in ("buy", "sell"):
        with pytest.raises(TradingStopped) as raised:
            trading_gate(intent=intent(account, aapl, side=side, quantity=D("1")))
        assert raised.value.code == "TRADING_STOPPED"
        assert raised.value.status_code == 409


def test_gate_in_reduce_only_accepts_only_reducing_orders(account, aapl):
    position(account, aapl, "10", "100")
    trading_reduce_only(account=account, reason="wind down")
    assert trading_gate(intent=intent(account, aapl, side="sell", quantity=D("10"))) is None
    assert trading_gate(intent=intent(account, aapl, side="sell", quantity=D("4"))) is None
    for side, quantity in (("buy", "1"), ("sell", "11")):
        with pytest.raises(TradingReduceOnly) as raised:
            trading_gate(intent=intent(account, aapl, side=side, quantity=D(quantity)))
        assert raised.value.code == "TRADING_REDUCE_ONLY"
        assert raised.value.status_code == 409


def test_reduce_only_counts_working_reducing_orders(account, aapl):
    position(account, aapl, "10", "100")
    resting = order_submit(
        account=account, symbol="AAPL", side="sell", order_type="limit",
        quantity=D("6"), limit_price=D("101"),
    )  # fmt: skip
    trading_reduce_only(account=account, reason="wind down")
    assert trading_gate(intent=intent(account, aapl, side="sell", quantity=D("4"))) is None
    with pytest.raises(TradingReduceOnly):
        trading_gate(intent=intent(account, aapl, side="sell", quantity=D("5")))
    # Modifying the resting order itself: only its new quantity counts.
    modify = intent(account, aapl, side="sell", quantity=D("10"), exclude_order_id=resting.pk)
    assert trading_gate(intent=modify) is None


def test_trading_state_override_replaces_the_state_while_active(account, aapl):
    trading_stop(account=account, reason="stopped", cancel_orders=False, close_positions=False)
    risk_override_create(
        account=account,
        kind="trading_state",
        value="running",
        reason="let the hedge through",
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    assert trading_gate(intent=intent(account, aapl)) is None
