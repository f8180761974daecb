"""Instruments and OHLCV candles."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from kernel.db.fields import decimal_field
from marketdata.enums import AssetClass, CandleInterval, InstrumentStatus, MarketDataSource

# Symbols become parts of channel-layer group names, which allow only these characters.
symbol_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9._-]{0,31}$", "Upper-case letters, digits, '.', '_' or '-'."
)


class Instrument(models.Model):
    symbol = models.CharField(max_length=32, unique=True, validators=[symbol_validator])
    name = models.CharField(max_length=200)
    asset_class = models.CharField(max_length=16, choices=AssetClass.choices)
    currency = models.CharField(max_length=8)
    tick_size = decimal_field()
    lot_size = decimal_field()
    min_quantity = decimal_field()
    status = models.CharField(
        max_length=16, choices=InstrumentStatus.choices, default=InstrumentStatus.TRADING
    )
    # Simulator parameters: a geometric Brownian motion with annualised drift and volatility.
    sim_initial_price = decimal_field(verbose_name="simulator initial price")
    sim_drift = decimal_field(default=0, verbose_name="simulator drift (annual)")
    sim_volatility = decimal_field(verbose_name="simulator volatility (annual)")
    sim_spread_bps = decimal_field(verbose_name="simulator spread (basis points)")
    sim_tick_interval_s = decimal_field(
        null=True,
        blank=True,
        verbose_name="simulator tick interval (s)",
        help_text="Empty: every feed tick (MARKET_TICK_INTERVAL_S).",
    )
    sim_seed = models.PositiveBigIntegerField(default=1, verbose_name="simulator seed")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(condition=Q(tick_size__gt=0), name="instrument_tick_size_gt_0"),
            models.CheckConstraint(condition=Q(lot_size__gt=0), name="instrument_lot_size_gt_0"),
            models.CheckConstraint(
                condition=Q(min_quantity__gt=0), name="instrument_min_quantity_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(sim_initial_price__gt=0), name="instrument_sim_price_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(sim_volatility__gte=0), name="instrument_sim_volatility_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(sim_spread_bps__gte=0), name="instrument_sim_spread_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(sim_tick_interval_s__isnull=True) | Q(sim_tick_interval_s__gt=0),
                name="instrument_sim_tick_interval_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return self.symbol


class Candle(models.Model):
    """One OHLCV bar; `ts` is the start of its bucket in UTC."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="candles")
    interval = models.CharField(max_length=8, choices=CandleInterval.choices)
    ts = models.DateTimeField()
    open = decimal_field()
    high = decimal_field()
    low = decimal_field()
    close = decimal_field()
    volume = decimal_field()
    source = models.CharField(max_length=16, choices=MarketDataSource.choices)

    class Meta:
        constraints = [
            # Also the index of every range query: (instrument, interval) equal, ts ranged.
            models.UniqueConstraint(
                fields=["instrument", "interval", "ts"], name="candle_unique_instrument_interval_ts"
            ),
            models.CheckConstraint(
                condition=Q(high__gte=F("open"))
                & Q(high__gte=F("close"))
                & Q(low__lte=F("open"))
                & Q(low__lte=F("close")),
                name="candle_ohlc_consistent",
            ),
            models.CheckConstraint(condition=Q(volume__gte=0), name="candle_volume_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.interval} {self.ts.isoformat()}"
