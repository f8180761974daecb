"""Round-trip trades built from fills, and the signals a strategy reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from analytics.enums import SignalDecision, SignalDirection
from orders.enums import OrderSide


def _decimal(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=settings.DECIMAL_MAX_DIGITS, decimal_places=settings.DECIMAL_PLACES, **kwargs
    )


class Trade(models.Model):
    """One round trip flat -> flat of an account in an instrument; open while closed_at is null."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="trades")
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="trades"
    )
    opening_order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    side = models.CharField(max_length=8, choices=OrderSide.choices)
    # Largest absolute quantity held during the trade.
    quantity = _decimal(default=0)
    open_quantity = _decimal(default=0)
    entry_quantity = _decimal(default=0)
    entry_value = _decimal(default=0)
    entry_price = _decimal(default=0)
    # Running average cost of the open quantity (what realized PnL is measured against).
    average_cost = _decimal(default=0)
    exit_quantity = _decimal(default=0)
    exit_value = _decimal(default=0)
    exit_price = _decimal(null=True, blank=True)
    gross_pnl = _decimal(default=0)
    fees = _decimal(default=0)
    pnl = _decimal(default=0)
    pnl_pct = _decimal(null=True, blank=True)
    initial_stop = _decimal(null=True, blank=True)
    r_multiple = _decimal(null=True, blank=True)
    strategy = models.CharField(max_length=100, blank=True, default="")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "instrument"],
                condition=Q(closed_at__isnull=True),
                name="trade_one_open_per_instrument",
            ),
            models.CheckConstraint(condition=Q(open_quantity__gte=0), name="trade_open_gte_0"),
            models.CheckConstraint(condition=Q(fees__gte=0), name="trade_fees_gte_0"),
        ]
        indexes = [
            models.Index(fields=["account", "closed_at"], name="trade_account_closed_at"),
            models.Index(fields=["account", "-id"], name="trade_account_id_desc"),
        ]

    def __str__(self) -> str:
        return f"trade {self.pk} {self.side} {self.quantity} {self.instrument_id}"


class Signal(models.Model):
    """A strategy's decision on a signal; outcome_r is filled when the order's trade closes."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="signals")
    strategy = models.CharField(max_length=100)
    symbol = models.CharField(max_length=32)
    direction = models.CharField(max_length=8, choices=SignalDirection.choices)
    strength = _decimal(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=SignalDecision.choices)
    reason = models.TextField(blank=True, default="")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="signals"
    )
    outcome_r = _decimal(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="signal_account_id_desc"),
            models.Index(fields=["account", "created_at"], name="signal_account_created_at"),
        ]

    def __str__(self) -> str:
        return f"signal {self.pk} {self.strategy} {self.symbol} {self.decision}"
