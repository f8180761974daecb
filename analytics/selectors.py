"""Analytics reads: trades, signals, and performance figures over a period."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from access.models import Account
from analytics.errors import InvalidPeriod
from analytics.models import Signal, Trade
from kernel.db.expressions import ExactMax, ExactSum
from kernel.typing import AccountIds
from portfolio.models import Balance, EquitySnapshot, Position

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# Trading days a year: annualizes a Sharpe/Sortino computed from daily returns.
PERIODS_PER_YEAR = Decimal(252)


def _q(value: Decimal) -> Decimal:
    quantum = Decimal(1).scaleb(-settings.DECIMAL_PLACES)
    return value.quantize(quantum, rounding=ROUND_HALF_EVEN)


def trade_list(
    *,
    account_ids: AccountIds,
    symbol: str | None = None,
    closed_from: datetime | None = None,
    closed_to: datetime | None = None,
) -> QuerySet[Trade]:
    """Return the trades of `account_ids`, newest first; a period selects by closing time."""
    trades = Trade.objects.filter(account_id__in=account_ids).select_related("instrument")
    if symbol:
        trades = trades.filter(instrument__symbol=symbol.upper())
    if closed_from:
        trades = trades.filter(closed_at__gte=closed_from)
    if closed_to:
        trades = trades.filter(closed_at__lt=closed_to)
    return trades


def signal_list(
    *,
    account_ids: AccountIds,
    strategy: str | None = None,
    symbol: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[Signal]:
    """Return the signals of `account_ids` matching the filters, newest first."""
    signals = Signal.objects.filter(account_id__in=account_ids)
    if strategy:
        signals = signals.filter(strategy=strategy)
    if symbol:
        signals = signals.filter(symbol=symbol.upper())
    if created_from:
        signals = signals.filter(created_at__gte=created_from)
    if created_to:
        signals = signals.filter(created_at__lt=created_to)
    return signals


def performance_period(
    *, days: int | None, start: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """Return the [start, end) period asked for: `from`/`to`, else the last `days` (30).

    Raises InvalidPeriod (400) when the start is not before the end.
    """
    end = end or now or timezone.now()
    start = start or end - timedelta(days=days or 30)
    if start >= end:
        raise InvalidPeriod("`from` must be before `to`.", details={"from": ["Must be before to."]})
    return start, end


def _ratios(returns: list[Decimal]) -> tuple[Decimal | None, Decimal | None]:
    """Return the annualized (Sharpe, Sortino) of daily returns; None where undefined."""
    n = len(returns)
    if n < 2:
        return None, None
    mean = sum(returns, ZERO) / n
    variance = sum(((r - mean) ** 2 for r in returns), ZERO) / (n - 1)
    scale = PERIODS_PER_YEAR.sqrt()
    sharpe = _q(mean / variance.sqrt() * scale) if variance > 0 else None
    downside = sum((min(r, ZERO) ** 2 for r in returns), ZERO) / n
    sortino = _q(mean / downside.sqrt() * scale) if downside > 0 else None
    return sharpe, sortino


def _curves_from_snapshots(*, account_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    snapshots = EquitySnapshot.objects.filter(
        account_id=account_id, timestamp__gte=start, timestamp__lt=end
    )
    if not snapshots.exists():
        return {}
    # The last snapshot of each day is that day's closing equity.
    last_ids = (
        snapshots.annotate(day=TruncDate("timestamp"))
        .values("day")
        .annotate(last_id=Max("id"))
        .values_list("last_id", flat=True)
    )
    closes = list(
        EquitySnapshot.objects.filter(pk__in=list(last_ids))
        .order_by("timestamp", "id")
        .values_list("timestamp", "equity", "drawdown_pct")
    )
    returns = [today[1] / yesterday[1] - 1 for yesterday, today in pairwise(closes) if yesterday[1]]
    max_drawdown = snapshots.aggregate(value=ExactMax("drawdown_pct"))["value"] or ZERO
    return {
        "returns": returns,
        "max_drawdown_pct": max_drawdown,
        "equity_curve": [{"timestamp": ts, "equity": equity} for ts, equity, _ in closes],
        "drawdown_curve": [{"timestamp": ts, "drawdown_pct": dd} for ts, _, dd in closes],
    }


def _curves_from_trades(*, account: Account, trades: QuerySet[Trade]) -> dict[str, Any]:
    """Equity after each closed trade, walked back from today's equity at cost.

    Today's equity at cost (cash plus positions at their average price) less the PnL booked since
    the period's first close (later trades and the open ones) is the equity before that close.
    """
    cash = (
        Balance.objects.filter(account=account, currency=account.base_currency)
        .values_list("total", flat=True)
        .first()
        or ZERO
    )
    at_cost = sum(
        (
            quantity * price
            for quantity, price in Position.objects.filter(
                account=account, instrument__currency=account.base_currency
            ).values_list("quantity", "average_entry_price")
        ),
        ZERO,
    )
    points = list(trades.order_by("closed_at", "id").values_list("closed_at", "pnl"))
    later = ZERO
    if points:
        later = (
            Trade.objects.filter(account=account)
            .filter(Q(closed_at__gte=points[0][0]) | Q(closed_at__isnull=True))
            .aggregate(total=ExactSum("pnl"))["total"]
            or ZERO
        )
    equity = cash + at_cost - later
    peak = equity
    max_drawdown = ZERO
    equity_curve, drawdown_curve = [], []
    daily: dict[Any, Decimal] = {}
    for closed_at, pnl in points:
        equity += pnl
        peak = max(peak, equity)
        drawdown = _q((peak - equity) / peak * HUNDRED) if peak > 0 else ZERO
        max_drawdown = max(max_drawdown, drawdown)
        equity_curve.append({"timestamp": closed_at, "equity": equity})
        drawdown_curve.append({"timestamp": closed_at, "drawdown_pct": drawdown})
        day = closed_at.date() if closed_at is not None else None
        daily[day] = daily.get(day, ZERO) + pnl
    return {
        "returns": list(daily.values()),
        "max_drawdown_pct": max_drawdown,
        "equity_curve": equity_curve,
        "drawdown_curve": drawdown_curve,
    }


def performance_get(*, account: Account, start: datetime, end: datetime) -> dict[str, Any]:
    """Return the performance figures of the trades closed in [start, end) of `account`.

    Counts and sums are aggregate queries over the (account, closed_at) index; Sharpe/Sortino use
    daily returns of the equity snapshots when the period has any, else the daily closed PnL.
    """
    trades = Trade.objects.filter(account=account, closed_at__gte=start, closed_at__lt=end)
    totals = trades.aggregate(
        trades=Count("id"),
        wins=Count("id", filter=Q(pnl__gt=0)),
        losses=Count("id", filter=Q(pnl__lt=0)),
        total_pnl=ExactSum("pnl"),
        gross_pnl=ExactSum("gross_pnl"),
        fees=ExactSum("fees"),
        gross_win=ExactSum("pnl", filter=Q(pnl__gt=0)),
        gross_loss=ExactSum("pnl", filter=Q(pnl__lt=0)),
        total_r=ExactSum("r_multiple"),
        with_r=Count("r_multiple"),
    )
    count, wins, losses = totals["trades"], totals["wins"], totals["losses"]
    total_pnl = totals["total_pnl"] or ZERO
    gross_win = totals["gross_win"] or ZERO
    gross_loss = totals["gross_loss"] or ZERO
    total_r = totals["total_r"] or ZERO
    curves = _curves_from_snapshots(account_id=account.pk, start=start, end=end)
    if not curves:
        curves = _curves_from_trades(account=account, trades=trades)
    sharpe, sortino = _ratios(curves["returns"])
    return {
        "from": start,
        "to": end,
        "trades": count,
        "wins": wins,
        "losses": losses,
        "win_rate": _q(Decimal(wins) / count * HUNDRED) if count else None,
        "total_pnl": total_pnl,
        "gross_pnl": totals["gross_pnl"] or ZERO,
        "fees": totals["fees"] or ZERO,
        "total_r": total_r,
        "avg_r": _q(total_r / totals["with_r"]) if totals["with_r"] else None,
        "profit_factor": _q(gross_win / -gross_loss) if gross_loss else None,
        "expectancy": _q(total_pnl / count) if count else None,
        "avg_win": _q(gross_win / wins) if wins else None,
        "avg_loss": _q(gross_loss / losses) if losses else None,
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown_pct": curves["max_drawdown_pct"],
        "equity_curve": curves["equity_curve"],
        "drawdown_curve": curves["drawdown_curve"],
        "notes": performance_notes(
            trades=count,
            losses=losses,
            days_of_returns=len(curves["returns"]),
            curve_points=len(curves["equity_curve"]),
        ),
    }


def performance_notes(
    *, trades: int, losses: int, days_of_returns: int, curve_points: int
) -> list[str]:
    """Why figures of a short or empty history are null or thin, in words (empty: none are)."""
    notes = []
    if not trades:
        notes.append(
            "No trade closed in the period: win_rate, expectancy, avg_win, avg_loss, avg_r and "
            "profit_factor are null until one does."
        )
    elif not losses:
        notes.append(
            "No losing trade in the period: profit_factor is null (no losses to divide by)."
        )
    if days_of_returns < 2:
        notes.append(
            f"Sharpe and Sortino need daily returns of at least 2 days; the period has "
            f"{days_of_returns}. Equity snapshots are taken every EQUITY_SNAPSHOT_INTERVAL_S "
            "seconds while the engine runs, or trades close on more days."
        )
    if curve_points < 2:
        notes.append(
            f"The equity curve has {curve_points} point(s): one per UTC day with an equity "
            "snapshot (or per closed trade without snapshots)."
        )
    return notes
