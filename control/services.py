"""Trading control: the kill switch, halts, and the circuit breaker's verdict acted on.

These orchestrate the layers below: the trading state and the breaker (risk), the orders to
cancel and the closes to place (orders), the positions left open (portfolio).
"""

from datetime import datetime
from typing import Any

from django.db import transaction

from access.models import Account
from kernel.decimals import decimal_text
from kernel.typing import Actor
from orders.services import order_cancel_all
from orders.services.positions import position_close_all
from portfolio.equity import equity_snapshot_latest, equity_snapshot_record
from portfolio.models import EquitySnapshot, Position
from risk.breaker import breach_reason, circuit_breaker_trip_record, drawdown_status
from risk.enums import TradingStateValue
from risk.events import risk_event_publish
from risk.selectors import dd_zone_for, risk_config_values
from risk.services import risk_config_get_or_create, trading_state_set


def _wind_down(
    *, account: Account, reason: str, cancel_orders: bool, close_positions: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    canceled = order_cancel_all(account=account, reason=reason) if cancel_orders else []
    # The state already refuses new orders in every process; the closes placed here pass the
    # gate because they only reduce positions.
    closed = position_close_all(account=account, reason=reason) if close_positions else []
    return canceled, closed


def _flatten_failures_report(
    *, account: Account, closed: list[dict[str, Any]], reason: str, actor: Actor
) -> dict[str, Any] | None:
    """When a close could not be placed whole, halt the account naming what stays open, and
    publish a `risk.alert`; return the trading state then, else None."""
    failures = [item for item in closed if item["status_code"] != 201]
    if not failures:
        return None
    open_positions = {
        symbol: decimal_text(quantity)
        for symbol, quantity in Position.objects.filter(
            account=account, instrument__symbol__in=[item["symbol"] for item in failures]
        ).values_list("instrument__symbol", "quantity")
    }
    named = ", ".join(
        f"{item['symbol']} {open_positions.get(item['symbol'], '?')} "
        f"({item.get('unplaced_quantity') or 'none'} unplaced: {item['error']['message']})"
        for item in failures
    )
    trading = trading_state_set(
        account=account,
        state=TradingStateValue.HALTED,
        reason=f"Could not flatten after '{reason}': {named}"[:500],
        actor=actor,
    )
    with transaction.atomic():
        risk_event_publish(
            account_id=account.pk,
            event="risk.alert",
            data={
                "alert": "flatten_incomplete",
                "reason": reason,
                "positions": [
                    {
                        "symbol": item["symbol"],
                        "quantity": open_positions.get(item["symbol"]),
                        "unplaced_quantity": item.get("unplaced_quantity"),
                        "error": item["error"],
                    }
                    for item in failures
                ],
            },
        )
    return trading


def trading_stop(
    *,
    account: Account,
    reason: str,
    cancel_orders: bool = True,
    close_positions: bool = True,
    actor: Actor = None,
) -> dict[str, Any]:
    """Stop trading, then cancel open orders and flatten positions (each by default).

    Returns {trading, canceled_orders, closing_orders}; per-item refusals are reported there.
    When a position cannot be closed whole (its close is cut short or refused), the account is
    halted with a reason naming it and a `risk.alert` event goes out.
    """
    trading = trading_state_set(
        account=account, state=TradingStateValue.STOPPED, reason=reason, actor=actor
    )
    canceled, closed = _wind_down(
        account=account, reason=reason, cancel_orders=cancel_orders, close_positions=close_positions
    )
    trading = (
        _flatten_failures_report(account=account, closed=closed, reason=reason, actor=actor)
        or trading
    )
    return {"trading": trading, "canceled_orders": canceled, "closing_orders": closed}


def trading_halt(*, account: Account, reason: str, actor: Actor = None) -> dict[str, Any]:
    """Halt trading (a breaker's verdict): cancel open orders, flatten if the config says so."""
    trading = trading_state_set(
        account=account, state=TradingStateValue.HALTED, reason=reason, actor=actor
    )
    config = risk_config_get_or_create(account=account)
    canceled, closed = _wind_down(
        account=account,
        reason=reason,
        cancel_orders=True,
        close_positions=config.flatten_on_halt,
    )
    trading = (
        _flatten_failures_report(account=account, closed=closed, reason=reason, actor=actor)
        or trading
    )
    return {"trading": trading, "canceled_orders": canceled, "closing_orders": closed}


def circuit_breaker_trip(*, account: Account, reason: str, now: datetime) -> bool:
    """Trip the breaker (once) and halt trading: cancel open orders, flatten if configured.

    Returns True when this call tripped it, False when it was already tripped. In one
    transaction: a halt that fails leaves the breaker armed, so the next snapshot tries again
    instead of showing a tripped breaker on a running account.
    """
    with transaction.atomic():
        if not circuit_breaker_trip_record(account=account, reason=reason, now=now):
            return False
        trading_halt(account=account, reason=f"circuit breaker: {reason}")
    return True


def risk_evaluate(
    *, account: Account, snapshot: EquitySnapshot, previous_zone: str | None = None
) -> dict[str, Any]:
    """After a snapshot: publish a zone change, trip the breaker on a breach; return the status."""
    status = drawdown_status(account_id=account.pk, now=snapshot.timestamp)
    if previous_zone is not None and previous_zone != status["dd_zone"]:
        risk_event_publish(
            account_id=account.pk,
            event="risk.changed",
            data={
                "cause": "dd_zone",
                "dd_zone": status["dd_zone"],
                "previous_dd_zone": previous_zone,
                "risk_level": decimal_text(status["risk_level"]),
                "drawdown_pct": decimal_text(status["drawdown_pct"]),
            },
        )
    reason = breach_reason(account_id=account.pk, status=status)
    status["tripped"] = reason is not None and circuit_breaker_trip(
        account=account, reason=reason, now=snapshot.timestamp
    )
    return status


def account_risk_step(*, account: Account, now: datetime) -> dict[str, Any]:
    """Snapshot the account's equity and evaluate its risk; return the status."""
    latest = equity_snapshot_latest(account_id=account.pk)
    previous_zone = None
    if latest is not None:
        previous_zone = dd_zone_for(
            dd_zones=risk_config_values(account_id=account.pk)["dd_zones"],
            drawdown_pct=latest.drawdown_pct,
        )[0]
    snapshot = equity_snapshot_record(account=account, now=now)
    return risk_evaluate(account=account, snapshot=snapshot, previous_zone=previous_zone)
