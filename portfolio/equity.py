"""Equity: cash plus positions marked to the live quote, and the snapshots of it over time."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from access.models import Account
from marketdata.errors import MarketDataUnavailable
from marketdata.selectors import quote_get
from portfolio.errors import CurrencyMismatch
from portfolio.models import Balance, EquitySnapshot, Position

HUNDRED = Decimal(100)
PCT_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class MarkedPosition:
    symbol: str
    quantity: Decimal
    average_entry_price: Decimal
    mark_price: Decimal
    realized_pnl: Decimal

    @property
    def value(self) -> Decimal:
        return self.quantity * self.mark_price

    @property
    def unrealized_pnl(self) -> Decimal:
        return (self.mark_price - self.average_entry_price) * self.quantity


@dataclass(frozen=True)
class Equity:
    cash: Decimal
    positions: list[MarkedPosition]
    realized_pnl: Decimal

    @property
    def positions_value(self) -> Decimal:
        return sum((p.value for p in self.positions), Decimal(0))

    @property
    def equity(self) -> Decimal:
        return self.cash + self.positions_value


def quote_mid_get(*, symbol: str) -> Decimal | None:
    """The live quote's mid, else its last price, else None (no live quote)."""
    try:
        quote = quote_get(symbol=symbol)
    except MarketDataUnavailable:
        return None
    bid, ask, last = quote.get("bid"), quote.get("ask"), quote.get("last")
    if bid not in (None, "") and ask not in (None, ""):
        return (Decimal(str(bid)) + Decimal(str(ask))) / 2
    if last not in (None, ""):
        return Decimal(str(last))
    return None


def mark_price_get(*, symbol: str, fallback: Decimal) -> Decimal:
    """The quote's mid, else its last price, else `fallback` (no live quote)."""
    mid = quote_mid_get(symbol=symbol)
    return fallback if mid is None else mid


def equity_compute(*, account: Account) -> Equity:
    """Cash in the base currency plus positions marked at the quote mid (else last, else cost).

    Raises CurrencyMismatch (409) when a position is quoted in another currency than the base.
    """
    currency = account.base_currency
    cash = Balance.objects.filter(account=account, currency=currency).values_list(
        "total", flat=True
    ).first() or Decimal(0)
    marked = []
    realized = Decimal(0)
    for position in Position.objects.filter(account=account).select_related("instrument"):
        realized += position.realized_pnl
        if not position.quantity:
            continue
        if position.instrument.currency != currency:
            raise CurrencyMismatch(
                f"{position.instrument.symbol} is quoted in {position.instrument.currency}, "
                f"the account's base currency is {currency}",
                details={"symbol": position.instrument.symbol},
            )
        marked.append(
            MarkedPosition(
                symbol=position.instrument.symbol,
                quantity=position.quantity,
                average_entry_price=position.average_entry_price,
                mark_price=mark_price_get(
                    symbol=position.instrument.symbol, fallback=position.average_entry_price
                ),
                realized_pnl=position.realized_pnl,
            )
        )
    return Equity(cash=cash, positions=marked, realized_pnl=realized)


def drawdown_pct_of(*, equity: Decimal, peak: Decimal) -> Decimal:
    """(peak - equity) / peak in percent, to 4 places; 0 at or above the peak or without one."""
    if peak <= 0 or equity >= peak:
        return Decimal(0)
    return ((peak - equity) / peak * HUNDRED).quantize(PCT_QUANTUM)


def equity_snapshot_record(*, account: Account, now: datetime) -> EquitySnapshot:
    """Record the account's equity at `now` with the running peak and drawdown; return the row."""
    current = equity_compute(account=account)
    equity = current.equity
    with transaction.atomic():
        # The account row serialises snapshots of one account, so the peak never goes back.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        previous = (
            EquitySnapshot.objects.filter(account=account)
            .order_by("-timestamp", "-id")
            .values_list("peak_equity", flat=True)
            .first()
        )
        peak = equity if previous is None else max(previous, equity)
        return EquitySnapshot.objects.create(
            account=account,
            timestamp=now,
            equity=equity,
            cash=current.cash,
            positions_value=current.positions_value,
            peak_equity=peak,
            drawdown_pct=drawdown_pct_of(equity=equity, peak=peak),
        )


def equity_snapshot_latest(*, account_id: int) -> EquitySnapshot | None:
    """The account's newest snapshot, or None."""
    return (
        EquitySnapshot.objects.filter(account_id=account_id).order_by("-timestamp", "-id").first()
    )


def equity_curve(
    *, account_id: int, start: datetime | None, end: datetime | None, interval_s: int, limit: int
) -> list[dict[str, Any]]:
    """Snapshots in [start, end], the last of each `interval_s` bucket, oldest first, at most
    `limit` rows (the newest ones)."""
    queryset = EquitySnapshot.objects.filter(account_id=account_id)
    if start is not None:
        queryset = queryset.filter(timestamp__gte=start)
    if end is not None:
        queryset = queryset.filter(timestamp__lte=end)
    if interval_s <= 0:
        # Without buckets only the newest `limit` rows are read.
        newest = queryset.order_by("-timestamp", "-id").values_list(
            "timestamp", "equity", "drawdown_pct"
        )[:limit]
        return [{"timestamp": t, "equity": e, "drawdown_pct": d} for t, e, d in list(newest)[::-1]]
    rows = queryset.order_by("timestamp", "id").values_list("timestamp", "equity", "drawdown_pct")
    buckets: dict[int, tuple] = {}
    for timestamp, equity, drawdown in rows.iterator():
        key = int(timestamp.timestamp()) // interval_s
        buckets[key] = (timestamp, equity, drawdown)
    points = list(buckets.values())[-limit:]
    return [{"timestamp": t, "equity": e, "drawdown_pct": d} for t, e, d in points]
