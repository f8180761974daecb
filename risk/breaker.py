"""Drawdown zone, daily loss and the circuit breaker that halts an account breaching a limit."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from access.models import Account
from audit.services import audit_record
from kernel.decimals import decimal_text
from portfolio.equity import equity_snapshot_latest
from portfolio.models import EquitySnapshot
from risk.enums import DrawdownZone
from risk.errors import CircuitBreakerNotTripped, OverrideInvalid
from risk.events import risk_event_publish
from risk.models import CircuitBreaker
from risk.selectors import dd_zone_for, risk_config_values, risk_limits_effective


def day_start_get(*, now: datetime) -> datetime:
    """The start of the risk day containing `now`: today (UTC) at RISK_DAY_START_UTC hours."""
    now = now.astimezone(UTC)
    start = datetime.combine(now.date(), time(hour=settings.RISK_DAY_START_UTC), tzinfo=now.tzinfo)
    return start if start <= now else start - timedelta(days=1)


def start_of_day_equity_get(*, account_id: int, now: datetime) -> Decimal | None:
    """Equity at the day start: the last snapshot at or before it, else the day's first one."""
    start = day_start_get(now=now)
    snapshots = EquitySnapshot.objects.filter(account_id=account_id)
    before = (
        snapshots.filter(timestamp__lte=start)
        .order_by("-timestamp", "-id")
        .values_list("equity", flat=True)
        .first()
    )
    if before is not None:
        return before
    return (
        snapshots.filter(timestamp__gt=start, timestamp__lte=now)
        .order_by("timestamp", "id")
        .values_list("equity", flat=True)
        .first()
    )


def drawdown_status(*, account_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The latest snapshot's drawdown, its zone and multiplier, and the day's loss (Decimals)."""
    now = now or timezone.now()
    latest = equity_snapshot_latest(account_id=account_id)
    drawdown = latest.drawdown_pct if latest is not None else Decimal(0)
    zone, multiplier = dd_zone_for(
        dd_zones=risk_config_values(account_id=account_id)["dd_zones"], drawdown_pct=drawdown
    )
    daily_loss = Decimal(0)
    if latest is not None:
        start_equity = start_of_day_equity_get(account_id=account_id, now=now)
        if start_equity is not None:
            daily_loss = start_equity - latest.equity
    return {
        "equity": latest.equity if latest is not None else None,
        "drawdown_pct": drawdown,
        "dd_zone": zone,
        "risk_level": multiplier,
        "daily_loss": daily_loss,
    }


def circuit_breaker_get(*, account_id: int) -> dict[str, Any]:
    """{tripped, reason, tripped_at}; an account never tripped is not tripped."""
    row = CircuitBreaker.objects.filter(account_id=account_id).first()
    if row is None:
        return {"tripped": False, "reason": "", "tripped_at": None}
    return {"tripped": row.tripped, "reason": row.reason, "tripped_at": row.tripped_at}


def breach_reason(*, account_id: int, status: dict[str, Any]) -> str | None:
    """Why the account must halt (daily loss, max drawdown, halt zone), or None."""
    limits = risk_limits_effective(account_id=account_id)
    daily_limit, max_drawdown = limits["daily_loss_limit"], limits["max_drawdown_pct"]
    reasons = []
    if daily_limit is not None and status["daily_loss"] > daily_limit:
        reasons.append(
            f"daily loss {decimal_text(status['daily_loss'])} exceeds the limit "
            f"{decimal_text(Decimal(daily_limit))}"
        )
    if max_drawdown is not None and status["drawdown_pct"] > max_drawdown:
        reasons.append(
            f"drawdown {decimal_text(status['drawdown_pct'])}% exceeds the maximum "
            f"{decimal_text(Decimal(max_drawdown))}%"
        )
    if status["dd_zone"] == DrawdownZone.HALT:
        reasons.append(f"drawdown {decimal_text(status['drawdown_pct'])}% is in the halt zone")
    return "; ".join(reasons) or None


def circuit_breaker_trip_record(*, account: Account, reason: str, now: datetime) -> bool:
    """Record the breaker tripping (once) and publish it; True if this call tripped it.

    Call it in the transaction that halts the account (`control.services.circuit_breaker_trip`).
    """
    CircuitBreaker.objects.get_or_create(account=account)
    row = CircuitBreaker.objects.select_for_update().get(account=account)
    if row.tripped:
        return False
    before = circuit_breaker_get(account_id=account.pk)
    row.tripped, row.reason, row.tripped_at = True, reason, now
    row.save(update_fields=["tripped", "reason", "tripped_at"])
    after = {"tripped": True, "reason": reason, "tripped_at": now.isoformat()}
    audit_record(
        action="risk.circuit_breaker_tripped",
        object_type="circuit_breaker",
        object_id=account.pk,
        before={**before, "tripped_at": None},
        after=after,
        account_id=account.pk,
    )
    risk_event_publish(
        account_id=account.pk,
        event="risk.changed",
        data={"cause": "circuit_breaker", "circuit_breaker": after},
    )
    return True


def circuit_breaker_reset(*, account: Account, reason: str, actor: Any = None) -> dict[str, Any]:
    """Re-arm a tripped breaker; trading stays halted until started. Returns the breaker.

    Raises OverrideInvalid (400 VALIDATION_ERROR) without a reason, CircuitBreakerNotTripped (409).
    """
    reason = (reason or "").strip()
    if not reason:
        raise OverrideInvalid(
            "Resetting the circuit breaker needs a reason",
            details={"fields": {"reason": ["This field is required."]}},
        )
    with transaction.atomic():
        row = CircuitBreaker.objects.select_for_update().filter(account=account).first()
        if row is None or not row.tripped:
            raise CircuitBreakerNotTripped("The circuit breaker is not tripped")
        before = {"tripped": True, "reason": row.reason}
        row.tripped, row.reset_reason, row.reset_at = False, reason, timezone.now()
        row.reset_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save(update_fields=["tripped", "reset_reason", "reset_at", "reset_by"])
        audit_record(
            action="risk.circuit_breaker_reset",
            object_type="circuit_breaker",
            object_id=account.pk,
            before=before,
            after={"tripped": False, "reset_reason": reason},
            account_id=account.pk,
        )
        risk_event_publish(
            account_id=account.pk,
            event="risk.changed",
            data={"cause": "circuit_breaker_reset", "circuit_breaker": {"tripped": False}},
        )
    return circuit_breaker_get(account_id=account.pk)
