"""Deployment reads: scoped lists and lookups, what a deployment holds, and its closed bars."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet

from analytics.models import Signal
from deployments.enums import DeploymentStatus
from deployments.errors import DeploymentNotFound
from deployments.models import Deployment
from kernel.db.expressions import ExactSub, ExactSum
from kernel.typing import AccountIds
from marketdata.enums import INTERVAL_SECONDS
from marketdata.models import Candle
from marketdata.selectors import BASE_INTERVAL, candle_list
from orders.enums import WORKING_STATUSES, OrderSide, OrderStatus
from orders.models import Fill, Order

ZERO = Decimal(0)


def deployment_list(
    *,
    account_ids: AccountIds,
    status: str | None = None,
    strategy: str | None = None,
    symbol: str | None = None,
) -> QuerySet[Deployment]:
    """Return the deployments of `account_ids` matching the filters, newest first."""
    deployments = Deployment.objects.filter(account_id__in=account_ids).select_related("instrument")
    if status:
        deployments = deployments.filter(status=status)
    if strategy:
        deployments = deployments.filter(strategy=strategy)
    if symbol:
        deployments = deployments.filter(instrument__symbol=symbol.upper())
    return deployments


def deployment_get(*, account_ids: AccountIds, deployment_id: Any) -> Deployment:
    """Return the deployment; another account's, or none, is DeploymentNotFound (404)."""
    try:
        pk = int(str(deployment_id))
    except ValueError:
        pk = None
    deployment = (
        deployment_list(account_ids=account_ids).filter(pk=pk).first() if pk is not None else None
    )
    if deployment is None:
        raise DeploymentNotFound(f"Deployment {deployment_id} not found")
    return deployment


def deployment_signals(*, deployment: Deployment, limit: int = 20) -> list[Signal]:
    """Return the signals of the deployment's decisions, newest first."""
    return list(
        Signal.objects.filter(
            pk__in=deployment.decisions.exclude(signal=None).values("signal_id")
        ).order_by("-id")[:limit]
    )


def _signed(rows: QuerySet, quantity: Any) -> Decimal:
    totals = rows.values("side").annotate(total=ExactSum(quantity))
    by_side = {row["side"]: row["total"] or ZERO for row in totals}
    return by_side.get(OrderSide.BUY, ZERO) - by_side.get(OrderSide.SELL, ZERO)


def deployment_position(
    *, deployment: Deployment, excluding_prefix: str | None = None
) -> dict[str, Decimal]:
    """Return what the deployment holds, from the fills of its own orders, and what its working
    orders would still add: {filled, working} (signed quantities).

    `excluding_prefix`: leave out orders whose client_order_id starts with it (one bar's).
    """
    prefix = deployment.client_order_id_prefix
    fills = Fill.objects.filter(
        account_id=deployment.account_id, order__client_order_id__startswith=prefix
    )
    working = Order.objects.filter(
        account_id=deployment.account_id,
        client_order_id__startswith=prefix,
        status__in=[*WORKING_STATUSES, OrderStatus.NEW],
    )
    if excluding_prefix:
        fills = fills.exclude(order__client_order_id__startswith=excluding_prefix)
        working = working.exclude(client_order_id__startswith=excluding_prefix)
    return {
        "filled": _signed(fills, F("quantity")),
        "working": _signed(working, ExactSub(F("quantity"), F("filled_quantity"))),
    }


def bars_closed_until(*, instrument_id: int, now: datetime) -> datetime | None:
    """Return the time up to which the instrument's stored candles are closed, or None.

    The feed stores a 1-minute candle when its minute ends, so the newest one ends at most a
    minute after it starts; `now` caps that for a candle stored early (a feed shutdown
    flushes the open minute, which a restart merges into).
    """
    newest = (
        Candle.objects.filter(instrument_id=instrument_id, interval=BASE_INTERVAL)
        .order_by("-ts")
        .values_list("ts", flat=True)
        .first()
    )
    if newest is None:
        return None
    return min(now, newest + timedelta(seconds=INTERVAL_SECONDS[BASE_INTERVAL]))


def deployment_bars(
    *,
    deployment: Deployment,
    after: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Return up to `limit` closed bars of the deployment's interval, oldest first: those that
    start after `after` (all, without it) and end by `until` (the closed horizon)."""
    if until is None:
        return []
    seconds = INTERVAL_SECONDS[deployment.interval]
    start = None if after is None else after + timedelta(seconds=seconds)
    rows = candle_list(
        instrument=deployment.instrument,
        interval=deployment.interval,
        start=start,
        end=until - timedelta(seconds=seconds),
        limit=limit,
    )
    return [row for row in rows if row["timestamp"] + timedelta(seconds=seconds) <= until]


def deployment_warmup_bars(
    *, deployment: Deployment, before: datetime | None, count: int
) -> list[dict[str, Any]]:
    """Return the `count` closed bars that start at or before `before`, oldest first."""
    if before is None or count <= 0:
        return []
    return candle_list(
        instrument=deployment.instrument, interval=deployment.interval, end=before, limit=count
    )


def deployments_running_ids() -> list[int]:
    """Return the ids of every running deployment, oldest first (the engine's work list)."""
    return list(
        Deployment.objects.filter(status=DeploymentStatus.RUNNING)
        .order_by("id")
        .values_list("id", flat=True)
    )
