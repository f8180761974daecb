"""Deployment writes: start one, and every change of its status through the state table."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from access.models import Account
from audit.services import audit_record
from backtests.selectors import strategy_get
from backtests.strategies import ParameterError
from deployments.enums import DeploymentEvent, DeploymentStatus
from deployments.errors import DeploymentValidationError
from deployments.events import deployment_publish
from deployments.models import Deployment
from deployments.payloads import deployment_payload
from deployments.selectors import bars_closed_until, deployment_bars
from deployments.state import deployment_next_status
from kernel.typing import Actor
from marketdata.enums import INTERVAL_SECONDS
from marketdata.selectors import instrument_get
from risk.enums import TradingStateValue
from risk.errors import TradingStopped
from risk.selectors import trading_state_effective

HUNDRED = Decimal(100)
PAUSING_STATES = (TradingStateValue.STOPPED, TradingStateValue.HALTED)


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _validated(
    *,
    strategy: str,
    interval: str,
    parameters: Any,
    capital: Decimal,
    risk_per_trade_pct: Decimal | None,
    stop_loss_pct: Decimal | None,
) -> dict[str, Any]:
    cls = strategy_get(name=strategy)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    try:
        clean = cls.parameters_validate(parameters if parameters is not None else {})
    except ParameterError as error:
        errors.update({f"parameters.{name}": msgs for name, msgs in error.fields.items()})
    if interval not in INTERVAL_SECONDS:
        errors["interval"] = [f"One of {', '.join(INTERVAL_SECONDS)}."]
    if capital is None or capital <= 0:
        errors["capital"] = ["Must be greater than 0."]
    if risk_per_trade_pct is not None and not 0 < risk_per_trade_pct <= HUNDRED:
        errors["risk_per_trade_pct"] = ["Must be greater than 0 and at most 100."]
    if stop_loss_pct is not None and not 0 < stop_loss_pct < HUNDRED:
        errors["stop_loss_pct"] = ["Must be greater than 0 and less than 100."]
    if risk_per_trade_pct is not None and stop_loss_pct is None:
        errors["stop_loss_pct"] = ["Required with risk_per_trade_pct: the risk is to the stop."]
    if errors:
        raise DeploymentValidationError(errors)
    return clean


def deployment_start(
    *,
    account: Account,
    strategy: str,
    symbol: str,
    interval: str,
    parameters: dict[str, Any] | None,
    capital: Decimal,
    risk_per_trade_pct: Decimal | None = None,
    stop_loss_pct: Decimal | None = None,
    actor: Actor = None,
) -> Deployment:
    """Start `strategy` on the live bars of `symbol`; return the running deployment.

    It acts on bars that close from now on (the history before only warms the indicators).
    Raises StrategyNotFound (404), SymbolNotFound (404) or DeploymentValidationError (400).
    """
    clean = _validated(
        strategy=strategy,
        interval=interval,
        parameters=parameters,
        capital=capital,
        risk_per_trade_pct=risk_per_trade_pct,
        stop_loss_pct=stop_loss_pct,
    )
    instrument = instrument_get(symbol=symbol)
    with transaction.atomic():
        deployment = Deployment(
            account=account,
            strategy=strategy,
            instrument=instrument,
            interval=interval,
            parameters=clean,
            capital=capital,
            risk_per_trade_pct=risk_per_trade_pct,
            stop_loss_pct=stop_loss_pct,
            created_by=_user(actor),
        )
        deployment.last_bar_at = _newest_closed_bar(deployment)
        deployment.save(force_insert=True)
        audit_record(
            action="deployment.started",
            object_type="deployment",
            object_id=deployment.pk,
            after=deployment_payload(deployment),
            account_id=account.pk,
        )
        deployment_publish(deployment=deployment, event="started")
    return deployment


def _newest_closed_bar(deployment: Deployment) -> Any:
    until = bars_closed_until(instrument_id=deployment.instrument_id, now=timezone.now())
    if until is None:
        return None
    rows = deployment_bars(deployment=deployment, after=None, until=until, limit=1)
    return rows[-1]["timestamp"] if rows else None


def deployment_transition(
    *,
    deployment_id: int,
    event: str,
    reason: str = "",
    error: str = "",
    last_bar_at: datetime | None = None,
) -> Deployment:
    """Apply `event` to the deployment through the state table, audited and published; return it.

    `last_bar_at`, when given and newer, moves the newest bar seen on (a resume skips the bars
    of the pause). Raises InvalidDeploymentTransition (409) when the table has no such edge;
    nothing changes.
    """
    with transaction.atomic():
        deployment = (
            Deployment.objects.select_for_update(of=("self",))
            .select_related("instrument")
            .get(pk=deployment_id)
        )
        status = deployment_next_status(status=deployment.status, event=event)
        before = deployment_payload(deployment)
        deployment.status = status
        deployment.status_reason = reason
        if error:
            deployment.error = error[:4000]
        if last_bar_at is not None and (
            deployment.last_bar_at is None or last_bar_at > deployment.last_bar_at
        ):
            deployment.last_bar_at = last_bar_at
        if status == DeploymentStatus.STOPPED:
            deployment.stopped_at = timezone.now()
        deployment.save()
        audit_record(
            action=f"deployment.{event}",
            object_type="deployment",
            object_id=deployment.pk,
            before=before,
            after=deployment_payload(deployment),
            account_id=deployment.account_id,
        )
        deployment_publish(deployment=deployment, event=event)
    return deployment


def deployment_pause(
    *, deployment: Deployment, reason: str = "", actor: Actor = None
) -> Deployment:
    """Pause a running deployment (no bars are acted on while paused); return it."""
    return deployment_transition(
        deployment_id=deployment.pk, event=DeploymentEvent.PAUSED, reason=reason or "paused"
    )


def deployment_resume(
    *, deployment: Deployment, reason: str = "", actor: Actor = None
) -> Deployment:
    """Resume a paused deployment from the next bar that closes; return it.

    Bars that closed while it was paused are not acted on. Raises TradingStopped (409) while
    the account's trading is stopped or halted, InvalidDeploymentTransition (409) unless paused.
    """
    state = trading_state_effective(account_id=deployment.account_id)
    if state in PAUSING_STATES:
        raise TradingStopped(
            f"Trading is {state} for this account: start trading before resuming",
            details={"trading_state": str(state)},
        )
    return deployment_transition(
        deployment_id=deployment.pk,
        event=DeploymentEvent.RESUMED,
        reason=reason,
        last_bar_at=_newest_closed_bar(deployment),
    )


def deployment_stop(*, deployment: Deployment, reason: str = "", actor: Actor = None) -> Deployment:
    """Stop the deployment for good (its position stays open); return it."""
    return deployment_transition(
        deployment_id=deployment.pk, event=DeploymentEvent.STOPPED, reason=reason or "stopped"
    )


def deployment_hold(*, deployment_id: int, trading_state: str) -> Deployment:
    """Pause a running deployment because its account's trading is stopped or halted."""
    return deployment_transition(
        deployment_id=deployment_id,
        event=DeploymentEvent.HELD,
        reason=f"trading {trading_state}",
    )


def deployment_fail(*, deployment_id: int, error: str) -> Deployment:
    """Stop a running deployment that errored, keeping the error."""
    return deployment_transition(
        deployment_id=deployment_id,
        event=DeploymentEvent.FAILED,
        reason="error",
        error=error,
    )
