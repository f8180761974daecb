"""Risk summary and configuration, trading control, the circuit breaker and overrides."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from support import wait_until
from trading_client.errors import (
    CircuitBreakerNotTrippedError,
    OverrideNotPendingError,
    OverrideNotRevocableError,
    OverrideSelfApprovalError,
    PermissionDeniedError,
    RiskConfigVersionConflictError,
    TradingReduceOnlyError,
    TradingStoppedError,
    ValidationError,
)


def _filled(client, order_id):
    wait_until(
        lambda: client.orders.get(order_id).status == "filled",
        timeout=20,
        what=f"order {order_id} filled",
    )


def test_risk_summary_and_configuration(server):
    client = server.client("control")

    summary = client.risk.get()
    config = client.config.get()
    risk = client.config.risk()

    assert summary.account == server.accounts["Cl-Control"]
    assert summary.trading_state == "running"
    assert summary.dd_zone == "normal"
    assert {limit.name for limit in summary.limits} >= {"daily_loss", "open_orders"}
    assert summary.circuit_breaker.tripped is False
    assert config.account == summary.account
    assert config.risk == risk
    assert config.trading.state == "running"
    assert set(config.rate_limits) == {"data", "trading"}
    assert config.venue.fees["default"]["taker"] == Decimal("0.0005")


def test_update_risk_is_versioned_and_validated(server):
    client = server.client("control")
    version = client.config.risk().version

    updated = client.config.update_risk(
        version=version,
        max_order_notional=Decimal("50000"),
        blocked_symbols=["EURUSD"],
        dd_zones=[{"zone": "caution", "drawdown_pct": "5", "risk_multiplier": "0.5"}],
    )

    assert updated.version == version + 1
    assert updated.max_order_notional == Decimal("50000")
    assert updated.blocked_symbols == ["EURUSD"]
    assert updated.dd_zones[0].risk_multiplier == Decimal("0.5")
    with pytest.raises(RiskConfigVersionConflictError) as stale:
        client.config.update_risk(version=version, max_open_orders=5)
    assert stale.value.version == version + 1
    with pytest.raises(ValidationError) as bad:
        client.config.update_risk(bogus=1, max_open_orders=-1)
    assert set(bad.value.fields) == {"bogus", "max_open_orders"}
    with pytest.raises(PermissionDeniedError):
        server.client("orders-read").config.update_risk(max_open_orders=5)
    client.config.update_risk(max_order_notional=None, blocked_symbols=[], dd_zones=[])


def test_stop_cancels_and_flattens_then_start_resumes(server):
    client = server.client("control")
    bid = client.market.quote("AAPL").bid
    resting = client.orders.submit(
        "AAPL",
        "buy",
        "1",
        order_type="limit",
        limit_price=(bid * Decimal("0.8")).quantize(Decimal("0.01")),
    )
    _filled(client, client.orders.submit("SPY", "buy", "1").id)

    stopped = client.trading.stop("end of day")

    assert (stopped.state, stopped.effective_state, stopped.reason) == (
        "stopped",
        "stopped",
        "end of day",
    )
    assert [(c.order_id, c.status) for c in stopped.canceled_orders] == [(resting.id, "canceled")]
    assert [(c.symbol, c.status_code) for c in stopped.closing_orders] == [("SPY", 201)]
    assert client.trading.get().state == "stopped"
    with pytest.raises(TradingStoppedError) as refused:
        client.orders.submit("AAPL", "buy", "1")
    assert refused.value.trading_state == "stopped"
    assert "trading_state" in {v.rule for v in client.orders.preview("AAPL", "buy", "1").violations}

    running = client.trading.start("morning")

    assert (running.state, running.reason, running.actor) == ("running", "morning", "it-admin")
    _filled(client, stopped.closing_orders[0].order_id)


def test_reduce_only_refuses_what_would_grow_a_position(server):
    client = server.client("control")

    state = client.trading.reduce_only("winding down")

    try:
        assert state.state == "reduce_only"
        with pytest.raises(TradingReduceOnlyError):
            client.orders.submit("MSFT", "buy", "1")
    finally:
        client.trading.start("done")


def test_the_circuit_breaker_trips_is_reset_and_trading_restarts(server):
    client = server.client("breaker")
    # given: a daily loss limit that a fee alone breaches
    client.config.update_risk(daily_loss_limit="0.01")
    _filled(client, client.orders.submit("AAPL", "buy", "1").id)
    # when: the engine's next snapshot sees the loss
    summary = wait_until(
        lambda: (s := client.risk.get()).circuit_breaker.tripped and s,
        timeout=30,
        what="the circuit breaker to trip",
    )
    # then
    assert summary.trading_state == "halted"
    assert "daily loss" in summary.circuit_breaker.reason
    assert summary.circuit_breaker.tripped_at.tzinfo is not None
    with pytest.raises(TradingStoppedError):
        client.orders.submit("AAPL", "buy", "1")

    client.config.update_risk(daily_loss_limit=None)
    breaker = client.risk.reset_circuit_breaker("limit was a test value")

    assert breaker.tripped is False
    assert client.trading.get().state == "halted"
    with pytest.raises(CircuitBreakerNotTrippedError):
        client.risk.reset_circuit_breaker("again")
    with pytest.raises(ValidationError):
        client.trading.start()
    assert client.trading.start("reviewed").state == "running"


def test_four_eyes_override_needs_another_user(server):
    requester, approver = server.client("risk-a"), server.client("risk-b")
    expires_at = datetime.now(UTC) + timedelta(hours=1)

    override = requester.overrides.create(
        "limit",
        target="max_order_notional",
        value=Decimal("80000"),
        reason="block trade",
        expires_at=expires_at,
    )

    assert (override.status, override.requested_by) == ("pending_approval", "cl-risk-a")
    assert override.value == "80000"
    with pytest.raises(OverrideSelfApprovalError):
        requester.overrides.approve(override.id)
    approved = approver.overrides.approve(override.id)
    assert (approved.status, approved.approved_by) == ("active", "cl-risk-b")
    assert approved.expires_at == expires_at.replace(microsecond=approved.expires_at.microsecond)
    assert override.id in {o.id for o in requester.risk.get().overrides}
    assert requester.overrides.get(override.id).status == "active"
    assert override.id in {o.id for o in approver.overrides.list(status="active")}
    with pytest.raises(OverrideNotPendingError):
        approver.overrides.approve(override.id)

    revoked = requester.overrides.revoke(override.id)

    assert (revoked.status, revoked.revoked_by) == ("revoked", "cl-risk-a")
    with pytest.raises(OverrideNotRevocableError):
        requester.overrides.revoke(override.id)
    assert override.id not in {o.id for o in requester.overrides.list(status="active")}


def test_an_override_without_four_eyes_is_active_at_once(server):
    client = server.client("control")

    override = client.overrides.create(
        "risk_level",
        value="0.5",
        reason="cautious day",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )

    assert override.status == "active"
    assert client.risk.get().risk_level == Decimal("0.5")
    client.overrides.revoke(override.id)
    with pytest.raises(ValidationError):
        client.overrides.create(
            "limit",
            target="max_order_notional",
            value="1",
            reason=" ",
            expires_at=datetime.now(UTC),
        )
