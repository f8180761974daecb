"""The engine's work on deployments: closed bars in, the strategy's decisions out as orders.

Each pass reads, per running deployment, the bars that closed since the last one it saw, feeds
them to the strategy through `StrategyRunner` (warmed with the bars before, from the database)
and turns a change of target into market orders through `order_submit`, as the backtest does:
a change of side closes first, then opens. Every decision becomes a Signal. Nothing is kept in
memory between passes: the target and the last bar are on the row, what the deployment holds
comes from its fills, and each order's client_order_id is the deployment's prefix plus the bar
and the leg, so a bar processed twice after a crash finds its orders instead of doubling them.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from analytics.enums import SignalDecision, SignalDirection
from analytics.services import signal_create
from backtests.selectors import strategy_get
from backtests.strategies import FLAT, LONG, StrategyRunner
from deployments.enums import DeploymentStatus
from deployments.events import signal_publish
from deployments.models import Deployment, DeploymentDecision
from deployments.payloads import TARGET_NAMES
from deployments.selectors import (
    bars_closed_until,
    deployment_bars,
    deployment_position,
    deployment_warmup_bars,
    deployments_running_ids,
)
from deployments.services import PAUSING_STATES, deployment_fail, deployment_hold
from deployments.state import InvalidDeploymentTransition
from kernel.decimals import decimal_text, step_ceil, step_floor
from kernel.errors import ApplicationError
from orders.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from orders.errors import DuplicateClientOrderId, RiskRejected
from orders.models import Order
from orders.services import order_submit
from risk.selectors import trading_state_effective

logger = logging.getLogger(__name__)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Failures that say nothing about the deployment: the next pass tries again.
TRANSIENT_ERRORS = (DatabaseError, RedisError, OSError)
DIRECTIONS = {LONG: SignalDirection.LONG, FLAT: SignalDirection.FLAT, -1: SignalDirection.SHORT}


@dataclass(frozen=True)
class Leg:
    """One market order of a decision: `close` (reduces what is held) or `open`."""

    name: str
    side: str
    quantity: Decimal
    stop_loss: Decimal | None = None

    @property
    def is_close(self) -> bool:
        return self.name == "close"


@dataclass
class Placed:
    """What became of a leg: its order (if one was written) and why it was refused, if it was."""

    leg: Leg
    order: Order | None
    refusal: str = ""


def _sign(quantity: Decimal) -> int:
    return (quantity > 0) - (quantity < 0)


def deployment_size(
    *, deployment: Deployment, target: int, price: Decimal
) -> tuple[Decimal, Decimal | None]:
    """Return (quantity, stop loss) of an entry at `price`: all of the capital in whole lots,
    or less when `risk_per_trade_pct` of the capital would be lost at the stop."""
    instrument = deployment.instrument
    stop = None
    if deployment.stop_loss_pct is not None:
        distance = price * deployment.stop_loss_pct / HUNDRED
        if target == LONG:
            stop = step_floor(price - distance, instrument.tick_size)
        else:
            stop = step_ceil(price + distance, instrument.tick_size)
        if stop <= 0 or stop == price:
            stop = None
    quantity = step_floor(deployment.capital / price, instrument.lot_size)
    if deployment.risk_per_trade_pct is not None and stop is not None:
        at_risk = deployment.capital * deployment.risk_per_trade_pct / HUNDRED
        quantity = min(quantity, step_floor(at_risk / abs(price - stop), instrument.lot_size))
    if quantity < instrument.min_quantity:
        return ZERO, stop
    return quantity, stop


def deployment_legs(
    *, deployment: Deployment, target: int, price: Decimal, bar_at: datetime
) -> tuple[list[Leg], str]:
    """Return the orders that move what the deployment held before `bar_at`'s decision to
    `target`, and a note on any entry that cannot be made (the capital does not buy one lot).

    The bar's own orders are left out, so a bar run again after a crash asks for the same legs
    (and finds them placed) whether or not they filled meanwhile.
    """
    held = deployment_position(
        deployment=deployment,
        excluding_prefix=client_order_id_for(deployment=deployment, bar_at=bar_at, leg=""),
    )
    holding = held["filled"] + held["working"]
    side_held = _sign(holding)
    legs: list[Leg] = []
    note = ""
    if holding and side_held != target:
        side = OrderSide.SELL if holding > 0 else OrderSide.BUY
        legs.append(Leg("close", side, abs(holding)))
    if target != FLAT and side_held != target:
        quantity, stop = deployment_size(deployment=deployment, target=target, price=price)
        if quantity > 0:
            side = OrderSide.BUY if target == LONG else OrderSide.SELL
            legs.append(Leg("open", side, quantity, stop))
        else:
            note = (
                f"capital {decimal_text(deployment.capital)} does not buy one lot at "
                f"{decimal_text(price)}"
            )
    elif not legs:
        note = f"already {TARGET_NAMES[target]}"
    return legs, note


def client_order_id_for(*, deployment: Deployment, bar_at: datetime, leg: str) -> str:
    """Return the deterministic client_order_id of a leg: prefix, bar start (epoch s), leg."""
    return f"{deployment.client_order_id_prefix}{int(bar_at.timestamp())}-{leg}"


def _place(*, deployment: Deployment, leg: Leg, bar_at: datetime) -> Placed:
    client_order_id = client_order_id_for(deployment=deployment, bar_at=bar_at, leg=leg.name)
    try:
        order = order_submit(
            account=deployment.account,
            symbol=deployment.instrument.symbol,
            side=leg.side,
            order_type=OrderType.MARKET,
            time_in_force=TimeInForce.GTC,
            quantity=leg.quantity,
            stop_loss=leg.stop_loss,
            client_order_id=client_order_id,
            strategy=deployment.strategy,
            signal=f"deployment:{deployment.pk}",
            note=f"deployment {deployment.pk}: {leg.name} after the {deployment.interval} bar "
            f"of {bar_at.isoformat()}",
            is_close=leg.is_close,
        )
    except DuplicateClientOrderId:
        # Placed before a restart: the same bar and leg is the same order.
        earlier = Order.objects.get(
            account_id=deployment.account_id, client_order_id=client_order_id
        )
        if earlier.status == OrderStatus.REJECTED:
            return Placed(leg, earlier, f"{earlier.reject_code}: {earlier.reject_reason}")
        return Placed(leg, earlier)
    except RiskRejected as error:
        rejected = Order.objects.filter(
            account_id=deployment.account_id, pk=int((error.details or {}).get("order_id") or 0)
        ).first()
        reason = rejected.reject_reason if rejected is not None else error.message
        return Placed(leg, rejected, f"{error.code}: {reason}")
    except ApplicationError as error:
        # The trading state (reduce-only), no live quote, an instrument that stopped trading.
        return Placed(leg, None, f"{error.code}: {error.message}")
    return Placed(leg, order)


def _describe(placed: list[Placed], note: str) -> tuple[str, str, Order | None]:
    """Return (signal decision, reason, the order the signal names) of a decision's legs."""
    parts = [
        f"{p.leg.name} {p.leg.side} {decimal_text(p.leg.quantity)}"
        + (f" refused ({p.refusal})" if p.refusal else f" as order {p.order.pk}" if p.order else "")
        for p in placed
    ]
    if note:
        parts.append(note)
    refused = [p for p in placed if p.refusal]
    # The entry order is the one whose round trip gives the signal its outcome R.
    linked = next((p.order for p in reversed(placed) if p.order is not None), None)
    if refused:
        decision = SignalDecision.REJECTED
    elif placed:
        decision = SignalDecision.TAKEN
    else:
        decision = SignalDecision.SKIPPED
    return decision, "; ".join(parts), linked


def deployment_decide(
    *, deployment: Deployment, bar: dict[str, Any], target: int
) -> DeploymentDecision:
    """Act on a change of target decided after `bar` closed: place its legs, record the signal
    and the decision, and move the deployment on; return the decision (the existing one when
    this bar was decided before)."""
    bar_at = bar["timestamp"]
    existing = DeploymentDecision.objects.filter(deployment=deployment, bar_at=bar_at).first()
    if existing is not None:
        return existing
    legs, note = deployment_legs(
        deployment=deployment, target=target, price=bar["close"], bar_at=bar_at
    )
    placed: list[Placed] = []
    for leg in legs:
        placed.append(_place(deployment=deployment, leg=leg, bar_at=bar_at))
        if placed[-1].refusal:
            # Exclusive orders: without the close, an entry would leave both sides open.
            break
    decision, reason, order = _describe(placed, note)
    with transaction.atomic():
        signal = signal_create(
            account=deployment.account,
            strategy=deployment.strategy,
            symbol=deployment.instrument.symbol,
            direction=DIRECTIONS[target],
            decision=decision,
            reason=f"deployment {deployment.pk}, {deployment.interval} bar of "
            f"{bar_at.isoformat()}: {reason}"[:2000],
            order_id=None if order is None else order.pk,
        )
        row = DeploymentDecision.objects.create(
            deployment=deployment, bar_at=bar_at, target=target, signal=signal
        )
        Deployment.objects.filter(pk=deployment.pk).update(
            target=target, last_bar_at=bar_at, updated_at=timezone.now()
        )
        signal_publish(signal=signal, deployment=deployment)
    deployment.target, deployment.last_bar_at = target, bar_at
    return row


def deployment_step(*, deployment_id: int, now: datetime) -> str:
    """Run one deployment over the bars that closed since its last: "held" when its account's
    trading is stopped or halted (it is paused), "ran" when it saw bars, else "idle"."""
    deployment = Deployment.objects.select_related("instrument", "account").get(pk=deployment_id)
    if deployment.status != DeploymentStatus.RUNNING:
        return "idle"
    state = trading_state_effective(account_id=deployment.account_id)
    if state in PAUSING_STATES:
        deployment_hold(deployment_id=deployment.pk, trading_state=state)
        return "held"
    until = bars_closed_until(instrument_id=deployment.instrument_id, now=now)
    bars = deployment_bars(
        deployment=deployment,
        after=deployment.last_bar_at,
        until=until,
        limit=settings.DEPLOYMENT_MAX_BARS_PER_PASS,
    )
    if not bars:
        return "idle"
    strategy = strategy_get(name=deployment.strategy)(**deployment.parameters)
    runner = StrategyRunner(strategy, position=deployment.target)
    runner.bars.extend(
        deployment_warmup_bars(
            deployment=deployment, before=deployment.last_bar_at, count=strategy.window - 1
        )
    )
    for bar in bars:
        target = runner.on_closed_bar(bar)
        if target is not None:
            deployment_decide(deployment=deployment, bar=bar, target=target)
    Deployment.objects.filter(pk=deployment.pk, status=DeploymentStatus.RUNNING).update(
        last_bar_at=bars[-1]["timestamp"], updated_at=timezone.now()
    )
    return "ran"


def deployments_run(*, now: datetime | None = None) -> dict[str, int]:
    """One pass over every running deployment; return how many ran, were held and failed.

    A deployment that raises anything but a transient database or cache error is stopped with
    the error recorded; the others run on.
    """
    now = now or timezone.now()
    counts = {"ran": 0, "held": 0, "idle": 0, "failed": 0}
    for deployment_id in deployments_running_ids():
        try:
            outcome = deployment_step(deployment_id=deployment_id, now=now)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            logger.exception("deployment %s failed; stopping it", deployment_id)
            # Paused or stopped meanwhile: nothing is left to stop.
            with contextlib.suppress(InvalidDeploymentTransition):
                deployment_fail(
                    deployment_id=deployment_id, error=f"{type(error).__name__}: {error}"
                )
            outcome = "failed"
        counts[outcome] += 1
    return counts
