"""Admin: backtests and sweeps, read-only (cancel them through their operation)."""

from django.contrib import admin

from backtests.models import Backtest, Sweep


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Backtest)
class BacktestAdmin(ReadOnly):
    list_display = [
        "id",
        "account",
        "strategy",
        "instrument",
        "interval",
        "operation",
        "sweep",
        "total_return_pct",
        "sharpe_ratio",
        "total_trades",
        "created_at",
    ]
    list_filter = ["strategy", "interval"]
    exclude = ["equity_curve", "drawdown_curve", "trades"]


@admin.register(Sweep)
class SweepAdmin(ReadOnly):
    list_display = ["id", "account", "strategy", "instrument", "interval", "operation", "rank_by"]
