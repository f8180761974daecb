"""Admin: balances, ledger and positions, read-only (they change only through services)."""

from django.contrib import admin

from orders.admin import ReadOnlyAdmin
from portfolio.models import Balance, LedgerEntry, Position


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
