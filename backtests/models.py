"""Backtests and sweeps: their inputs, and the results a finished run stores."""

from django.conf import settings
from django.db import models
from django.db.models import Q


def _decimal(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=settings.DECIMAL_MAX_DIGITS, decimal_places=settings.DECIMAL_PLACES, **kwargs
    )


class Sweep(models.Model):
    """A parameter grid of one strategy on one dataset: one backtest per combination."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="+")
    operation = models.OneToOneField(
        "operations.Operation", on_delete=models.PROTECT, related_name="sweep"
    )
    strategy = models.CharField(max_length=64)
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT)
    interval = models.CharField(max_length=8)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    grid = models.JSONField()
    rank_by = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"sweep #{self.pk} {self.strategy} {self.instrument_id}"


class Backtest(models.Model):
    """One run of a strategy; the result columns are empty until its operation completes."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="+")
    operation = models.OneToOneField(
        "operations.Operation", on_delete=models.PROTECT, related_name="backtest"
    )
    sweep = models.ForeignKey(
        Sweep, null=True, blank=True, on_delete=models.CASCADE, related_name="backtests"
    )
    strategy = models.CharField(max_length=64)
    parameters = models.JSONField()
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT)
    interval = models.CharField(max_length=8)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    initial_capital = _decimal()
    commission = _decimal()
    slippage_bps = _decimal()
    created_at = models.DateTimeField(auto_now_add=True)
    # Results.
    bars = models.PositiveBigIntegerField(null=True, blank=True)
    first_bar_at = models.DateTimeField(null=True, blank=True)
    last_bar_at = models.DateTimeField(null=True, blank=True)
    dataset_fingerprint = models.CharField(max_length=64, blank=True, default="")
    result_hash = models.CharField(max_length=64, blank=True, default="")
    total_return_pct = _decimal(null=True, blank=True)
    cagr_pct = _decimal(null=True, blank=True)
    sharpe_ratio = _decimal(null=True, blank=True)
    sortino_ratio = _decimal(null=True, blank=True)
    max_drawdown_pct = _decimal(null=True, blank=True)
    win_rate = _decimal(null=True, blank=True)
    profit_factor = _decimal(null=True, blank=True)
    exposure_pct = _decimal(null=True, blank=True)
    total_trades = models.PositiveIntegerField(null=True, blank=True)
    final_equity = _decimal(null=True, blank=True)
    total_fees = _decimal(null=True, blank=True)
    # [{timestamp, equity}], [{timestamp, drawdown_pct}], sampled to BACKTEST_CURVE_MAX_POINTS.
    equity_curve = models.JSONField(null=True, blank=True)
    drawdown_curve = models.JSONField(null=True, blank=True)
    trades = models.JSONField(null=True, blank=True)
    open_trade = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="backtest_account_id"),
            models.Index(fields=["account", "strategy", "-id"], name="backtest_account_strategy"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(initial_capital__gt=0), name="backtest_initial_capital_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(commission__gte=0) & Q(commission__lt="0.1"),
                name="backtest_commission_range",
            ),
            models.CheckConstraint(
                condition=Q(slippage_bps__gte=0), name="backtest_slippage_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"backtest #{self.pk} {self.strategy}"
