"""Backtest reads: the strategy registry, backtests and sweeps scoped to the caller's accounts."""

from django.db.models import F, QuerySet

from backtests.errors import BacktestNotFound, StrategyNotFound, SweepNotFound
from backtests.models import Backtest, Sweep
from backtests.strategies import STRATEGIES, Strategy
from kernel.ids import id_parse
from kernel.typing import AccountIds

# Statistics a sweep can be ranked by, and whether smaller is better.
RANKABLE: dict[str, bool] = {
    "total_return_pct": False,
    "cagr_pct": False,
    "sharpe_ratio": False,
    "sortino_ratio": False,
    "max_drawdown_pct": True,
    "win_rate": False,
    "profit_factor": False,
    "exposure_pct": False,
    "total_trades": False,
    "final_equity": False,
}


def strategy_list() -> list[type[Strategy]]:
    """Return every registered strategy, by name."""
    return [STRATEGIES[name] for name in sorted(STRATEGIES)]


def strategy_get(*, name: str) -> type[Strategy]:
    """Return the strategy called `name`; raises StrategyNotFound (404)."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise StrategyNotFound(
            f"Strategy {name!r} not found", details={"known": sorted(STRATEGIES)}
        ) from None


def backtest_list(
    *,
    account_ids: AccountIds,
    strategy: str | None = None,
    symbol: str | None = None,
    sweep_id: int | None = None,
    status: str | None = None,
) -> QuerySet[Backtest]:
    """Return the backtests of `account_ids` matching the filters, newest first."""
    backtests = Backtest.objects.filter(account_id__in=account_ids).select_related(
        "operation", "instrument"
    )
    if strategy:
        backtests = backtests.filter(strategy=strategy)
    if symbol:
        backtests = backtests.filter(instrument__symbol=symbol.upper())
    if sweep_id is not None:
        backtests = backtests.filter(sweep_id=sweep_id)
    if status:
        backtests = backtests.filter(operation__status=status)
    return backtests.order_by("-id")


def backtest_get(*, backtest_id: int | str, account_ids: AccountIds) -> Backtest:
    """Return one backtest of `account_ids`; raises BacktestNotFound (404) for any other id."""
    try:
        return Backtest.objects.select_related("operation", "instrument").get(
            pk=id_parse(backtest_id), account_id__in=account_ids
        )
    except (Backtest.DoesNotExist, ValueError, TypeError):
        raise BacktestNotFound(
            f"Backtest {backtest_id} not found", details={"backtest_id": backtest_id}
        ) from None


def sweep_get(*, sweep_id: int | str, account_ids: AccountIds) -> Sweep:
    """Return one sweep of `account_ids`; raises SweepNotFound (404) for any other id."""
    try:
        return Sweep.objects.select_related("operation", "instrument").get(
            pk=id_parse(sweep_id), account_id__in=account_ids
        )
    except (Sweep.DoesNotExist, ValueError, TypeError):
        raise SweepNotFound(f"Sweep {sweep_id} not found", details={"sweep_id": sweep_id}) from None


def sweep_ranked(*, sweep: Sweep, rank_by: str) -> list[Backtest]:
    """Return the sweep's backtests best first by `rank_by`; unfinished ones last, by id."""
    column = F(rank_by)
    order = column.asc(nulls_last=True) if RANKABLE[rank_by] else column.desc(nulls_last=True)
    return list(
        Backtest.objects.filter(sweep=sweep)
        .select_related("operation", "instrument")
        .order_by(order, "id")
    )
