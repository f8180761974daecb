"""The one representation of a deployment and of a signal it recorded (REST, channels, audit)."""

from typing import Any

from analytics.models import Signal
from deployments.models import Deployment
from kernel.decimals import decimal_text

TARGET_NAMES = {1: "long", 0: "flat", -1: "short"}


def _text(value: Any) -> str | None:
    return None if value is None else decimal_text(value)


def _time(value: Any) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def deployment_payload(deployment: Deployment) -> dict[str, Any]:
    """Return the deployment as JSON-safe data (decimals and times as strings)."""
    return {
        "id": deployment.pk,
        "account": deployment.account_id,
        "strategy": deployment.strategy,
        "symbol": deployment.instrument.symbol,
        "interval": deployment.interval,
        "parameters": deployment.parameters,
        "capital": _text(deployment.capital),
        "risk_per_trade_pct": _text(deployment.risk_per_trade_pct),
        "stop_loss_pct": _text(deployment.stop_loss_pct),
        "status": deployment.status,
        "status_reason": deployment.status_reason,
        "error": deployment.error,
        "target": TARGET_NAMES[deployment.target],
        "client_order_id_prefix": deployment.client_order_id_prefix,
        "last_bar_at": _time(deployment.last_bar_at),
        "created_at": _time(deployment.created_at),
        "updated_at": _time(deployment.updated_at),
        "stopped_at": _time(deployment.stopped_at),
    }


def signal_payload(signal: Signal) -> dict[str, Any]:
    """Return a signal with the fields and text forms of `GET /signals`."""
    return {
        "id": signal.pk,
        "strategy": signal.strategy,
        "symbol": signal.symbol,
        "direction": signal.direction,
        "strength": _text(signal.strength),
        "decision": signal.decision,
        "reason": signal.reason,
        "order": signal.order_id,
        "outcome_r": _text(signal.outcome_r),
        "created_at": _time(signal.created_at),
    }
