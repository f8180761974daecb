"""The engine's work: decisions equal to a backtest's, orders placed once, safety, outcomes."""

from decimal import Decimal

import pytest

from analytics.models import Signal
from backtests.engine import Bars, Costs, simulate
from backtests.strategies import STRATEGIES
from control.services import trading_stop
from deployments.enums import DeploymentStatus
from deployments.models import Deployment, DeploymentDecision
from deployments.services import deployment_start
from deployments.tests.helpers import (
    HISTORY_BARS,
    MINUTE,
    T0,
    bars_store,
    close_at,
    pass_after,
    pending_fill,
)
from kernel.decimals import step_floor
from marketdata.selectors import candle_list
from orders.enums import OrderStatus
from orders.models import Order
from orders.tests.helpers import fill
from risk.services import risk_config_update, trading_reduce_only, trading_start

D = Decimal
pytestmark = pytest.mark.django_db
HISTORY = HISTORY_BARS
SMA = {"fast": 3, "slow": 8, "allow_short": True}


def _start(account, instrument, **fields):
    values = {
        "strategy": "sma_crossover",
        "interval": "1m",
        "parameters": SMA,
        "capital": D("10000"),
        **fields,
    }
    return deployment_start(account=account, symbol=instrument.symbol, **values)


def _orders(deployment):
    return Order.objects.filter(client_order_id__startswith=deployment.client_order_id_prefix)


def _backtest_decisions(instrument, *, first: int, last: int, parameters):
    rows = candle_list(
        instrument=instrument,
        interval="1m",
        start=T0 + first * MINUTE,
        limit=last - first + 1,
    )
    bars = Bars.from_columns(
        timestamps=[int(r["timestamp"].timestamp()) for r in rows],
        **{name: [r[name] for r in rows] for name in ("open", "high", "low", "close", "volume")},
    )
    costs = Costs(
        commission_rate=D(0),
        slippage_bps=D(0),
        tick_size=instrument.tick_size,
        lot_size=instrument.lot_size,
        fee_quantum=D("0.01"),
    )
    strategy = STRATEGIES["sma_crossover"](**parameters)
    run = simulate(bars=bars, strategy=strategy, initial_capital=D("10000"), costs=costs)
    return [(rows[i]["timestamp"], target) for i, target in run.decisions]


def test_live_decisions_equal_the_backtests_over_the_same_candles(account, aapl):
    # given: history, and a deployment started after it
    bars_store(aapl, 0, HISTORY)
    deployment = _start(account, aapl)
    assert deployment.last_bar_at == T0 + (HISTORY - 1) * MINUTE
    # when: bars close one at a time, a few at once, and each pass starts from scratch
    i = HISTORY
    for step in [1] * 40 + [3, 5, 2] * 8:
        bars_store(aapl, i, step)
        i += step
        pass_after(i - 1)
        pending_fill(account)
    # then: the same decisions, on the same bars, as a backtest from the warm-up on
    window = STRATEGIES["sma_crossover"](**SMA).window
    expected = _backtest_decisions(aapl, first=HISTORY - window + 1, last=i - 1, parameters=SMA)
    live = list(
        DeploymentDecision.objects.filter(deployment=deployment).values_list("bar_at", "target")
    )
    assert len(expected) == 10
    assert live == expected
    # and every decision is a signal, taken, with its order
    signals = Signal.objects.filter(account=account, strategy="sma_crossover")
    assert signals.count() == len(expected)
    assert set(signals.values_list("decision", flat=True)) == {"taken"}
    assert all(s.order_id is not None for s in signals)


def test_a_bar_processed_again_after_a_crash_places_no_second_order(account, aapl):
    # given: a decision whose orders were placed
    bars_store(aapl, 0, HISTORY)
    deployment = _start(account, aapl, parameters={"fast": 1, "slow": 2, "allow_short": True})
    i = HISTORY
    while not DeploymentDecision.objects.filter(deployment=deployment).exists():
        bars_store(aapl, i)
        pass_after(i)
        i += 1
    decision = DeploymentDecision.objects.get(deployment=deployment)
    placed = list(_orders(deployment).values_list("id", "client_order_id"))
    assert placed
    # when: the engine had died after placing them, before recording the decision (what the
    # database holds then), and a new engine runs the bar again
    signal_id = decision.signal_id
    decision.delete()
    Signal.objects.filter(pk=signal_id).delete()
    Deployment.objects.filter(pk=deployment.pk).update(
        last_bar_at=decision.bar_at - MINUTE, target=0
    )
    pass_after(i - 1)
    # then: the same orders, no new one, and the decision recorded once, naming them
    assert list(_orders(deployment).values_list("id", "client_order_id")) == placed
    again = DeploymentDecision.objects.get(deployment=deployment)
    assert again.bar_at == decision.bar_at
    assert again.signal.order_id in {pk for pk, _ in placed}


def test_risk_rejection_is_a_rejected_signal_with_the_order(account, aapl):
    # given: a limit the entry breaks
    risk_config_update(account=account, changes={"max_order_quantity": "5"})
    bars_store(aapl, 0, HISTORY)
    deployment = _start(account, aapl, parameters={"fast": 1, "slow": 2, "allow_short": False})
    i = HISTORY
    while not Signal.objects.filter(account=account).exists():
        bars_store(aapl, i)
        pass_after(i)
        i += 1
    # then
    signal = Signal.objects.get(account=account)
    assert signal.decision == "rejected"
    assert "RISK_REJECTED" in signal.reason
    assert signal.order.status == OrderStatus.REJECTED
    assert signal.order.client_order_id.startswith(deployment.client_order_id_prefix)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.RUNNING


def test_kill_switch_pauses_the_accounts_deployments(account, aapl):
    bars_store(aapl, 0, HISTORY)
    deployment = _start(account, aapl)
    # when
    trading_stop(account=account, reason="kill switch")
    counts = pass_after(HISTORY)
    # then
    deployment.refresh_from_db()
    assert counts["held"] == 1
    assert deployment.status == DeploymentStatus.PAUSED
    assert deployment.status_reason == "trading stopped"
    # and bars that close while stopped are not acted on
    bars_store(aapl, HISTORY, 30)
    pass_after(HISTORY + 29)
    assert not _orders(deployment).exists()
    assert not DeploymentDecision.objects.filter(deployment=deployment).exists()
    trading_start(account=account, reason="all clear")


def test_reduce_only_lets_a_deployment_only_reduce(account, aapl):
    # given: a long deployment whose entry filled
    bars_store(aapl, 0, HISTORY)
    deployment = _start(account, aapl, parameters={"fast": 1, "slow": 2, "allow_short": False})
    i = HISTORY
    while not _orders(deployment).exists():
        bars_store(aapl, i)
        pass_after(i)
        i += 1
    entry = _orders(deployment).get()
    fill(entry, quantity=entry.quantity, price="100.10")
    trading_reduce_only(account=account, reason="wind down")
    # when: it keeps deciding
    for _ in range(40):
        bars_store(aapl, i)
        pass_after(i)
        i += 1
    # then: the close went through, every entry was refused by the trading state
    signals = list(Signal.objects.filter(account=account).order_by("id"))
    assert signals[0].decision == "taken"
    later = signals[1:]
    assert any(s.decision == "taken" and "close" in s.reason for s in later)
    refused = [s for s in later if s.decision == "rejected"]
    assert refused
    assert all("TRADING_REDUCE_ONLY" in s.reason for s in refused)
    for order in _orders(deployment).exclude(pk=entry.pk):
        assert order.side == "sell"
        assert order.quantity == entry.quantity


def test_outcome_r_is_filled_when_the_round_trip_closes(account, aapl):
    bars_store(aapl, 0, HISTORY)
    deployment = _start(
        account,
        aapl,
        parameters={"fast": 1, "slow": 2, "allow_short": False},
        stop_loss_pct=D("2"),
        risk_per_trade_pct=D("1"),
    )
    i = HISTORY
    while _orders(deployment).count() < 2:
        bars_store(aapl, i)
        pass_after(i)
        i += 1
        for order in _orders(deployment).filter(status=OrderStatus.PENDING):
            fill(order, quantity=order.quantity, price=order.lock_price or "100")
    entry_signal = Signal.objects.filter(account=account).order_by("id").first()
    entry = entry_signal.order
    # then: 1 % of the 10,000 at risk to a stop 2 % under the decision bar's close
    bar_at = DeploymentDecision.objects.get(signal=entry_signal).bar_at
    price = close_at(int((bar_at - T0) / MINUTE))
    stop = step_floor(price * D("0.98"), D("0.01"))
    assert entry.stop_loss == stop
    assert entry.quantity == step_floor(D(100) / (price - stop), D(1))
    # and the round trip closed by the next decision gives the entry its outcome R
    entry_signal.refresh_from_db()
    trade = entry.account.trades.get(opening_order=entry)
    assert trade.closed_at is not None
    assert entry_signal.outcome_r == trade.r_multiple
    assert entry_signal.outcome_r is not None


def test_a_deployment_that_errors_is_stopped_and_the_others_run(account, aapl):
    bars_store(aapl, 0, HISTORY)
    broken = _start(account, aapl)
    healthy = _start(account, aapl, parameters={"fast": 1, "slow": 2, "allow_short": True})
    # given: parameters the strategy refuses (a row edited behind the service's back)
    Deployment.objects.filter(pk=broken.pk).update(parameters={"fast": 9, "slow": 3})
    bars_store(aapl, HISTORY, 10)
    counts = pass_after(HISTORY + 9)
    broken.refresh_from_db()
    healthy.refresh_from_db()
    assert counts["failed"] == 1
    assert broken.status == DeploymentStatus.STOPPED
    assert broken.error.startswith("ParameterError")
    assert healthy.status == DeploymentStatus.RUNNING
    assert healthy.last_bar_at == T0 + (HISTORY + 9) * MINUTE
