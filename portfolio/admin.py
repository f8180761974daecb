"""Admin: balances, ledger, positions and equity snapshots, read-only (services write them)."""

from django.contrib import admin

from kernel.admin import ReadOnlyAdmin
from portfolio.models import Balance, EquitySnapshot, LedgerEntry, Position


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["account", "currency", "total", "available", "locked", "updated_at"]
    list_filter = ["currency", "account"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "currency", "amount", "kind", "order", "fill", "created_at"]
    list_filter = ["kind", "currency", "account"]


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "instrument",
        "quantity",
        "average_entry_price",
        "realized_pnl",
        "opened_at",
        "updated_at",
    ]
    list_filter = ["account"]


@admin.register(EquitySnapshot)
class EquitySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["account", "timestamp", "equity", "cash", "peak_equity", "drawdown_pct"]
    list_filter = ["account"]
    date_hierarchy = "timestamp"
