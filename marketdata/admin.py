"""Admin: instruments editable; candles a read-only record."""

from django.contrib import admin

from marketdata.models import Candle, Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "asset_class", "currency", "tick_size", "lot_size", "status"]
    list_filter = ["asset_class", "status"]
    search_fields = ["symbol", "name"]
    fieldsets = [
        (None, {"fields": ["symbol", "name", "asset_class", "currency", "status"]}),
        ("Trading rules", {"fields": ["tick_size", "lot_size", "min_quantity"]}),
        (
            "Simulator",
            {
                "fields": [
                    "sim_initial_price",
                    "sim_drift",
                    "sim_volatility",
                    "sim_spread_bps",
                    "sim_tick_interval_s",
                    "sim_seed",
                ]
            },
        ),
    ]


@admin.register(Candle)
class CandleAdmin(admin.ModelAdmin):
    list_display = [
        "instrument",
        "interval",
        "ts",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "source",
    ]
    list_filter = ["interval", "source", "instrument"]
    list_select_related = ["instrument"]
    # Candle tables run to millions of rows: no exact count on every page view.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
