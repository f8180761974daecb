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


class OpenPositionFilter(admin.SimpleListFilter):
    """Open positions by default: a flat position (quantity 0) is history, shown on request."""

    title = "quantity"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "open"), ("flat", "flat"), ("all", "all")]

    def value(self):
        return super().value() or "open"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.exclude(quantity=0)
        if self.value() == "flat":
            return queryset.filter(quantity=0)
        return queryset


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
    list_filter = [OpenPositionFilter, "account"]


@admin.register(EquitySnapshot)
class EquitySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["account", "timestamp", "equity", "cash", "peak_equity", "drawdown_pct"]
    list_filter = ["account"]
    date_hierarchy = "timestamp"
