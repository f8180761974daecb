"""Admin: trades and signals, read-only (they change only through services)."""

from django.contrib import admin

from analytics.models import Signal, Trade
from kernel.admin import ReadOnlyAdmin


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "instrument",
        "side",
        "quantity",
        "entry_price",
        "exit_price",
        "pnl",
        "r_multiple",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["account", "side"]


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "strategy", "symbol", "direction", "decision", "outcome_r"]
    list_filter = ["decision", "strategy", "account"]
