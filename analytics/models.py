"""Round-trip trades built from fills, and the signals a strategy reports."""

from django.db import models
from django.db.models import Q

from analytics.enums import SignalDecision, SignalDirection
from kernel.db.fields import decimal_field
from kernel.decimals import decimal_display
from kernel.enums import Side


class Trade(models.Model):
    """One round trip flat -> flat of an account in an instrument; open while closed_at is null."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="trades")
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="trades"
    )
    opening_order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    # Largest absolute quantity held during the trade.
    quantity = decimal_field(default=0)
    open_quantity = decimal_field(default=0)
    entry_quantity = decimal_field(default=0)
    entry_value = decimal_field(default=0)
    entry_price = decimal_field(default=0)
    # What the open quantity cost, and its average price: realized PnL is measured against it,
    # by the same rule as the position's (`portfolio.accounting.position_after_fill`).
    open_cost = decimal_field(default=0)
    average_cost = decimal_field(default=0)
    exit_quantity = decimal_field(default=0)
    exit_value = decimal_field(default=0)
    exit_price = decimal_field(null=True, blank=True)
    gross_pnl = decimal_field(default=0)
    fees = decimal_field(default=0)
    pnl = decimal_field(default=0)
    pnl_pct = decimal_field(null=True, blank=True)
    initial_stop = decimal_field(null=True, blank=True)
    r_multiple = decimal_field(null=True, blank=True)
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
        return f"trade {self.pk} {self.side} {decimal_display(self.quantity)} {self.instrument_id}"


class Signal(models.Model):
    """A strategy's decision on a signal; outcome_r is filled when the order's trade closes."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="signals")
    strategy = models.CharField(max_length=100)
    symbol = models.CharField(max_length=32)
    direction = models.CharField(max_length=8, choices=SignalDirection.choices)
    strength = decimal_field(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=SignalDecision.choices)
    reason = models.TextField(blank=True, default="")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="signals"
    )
    outcome_r = decimal_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="signal_account_id_desc"),
            models.Index(fields=["account", "created_at"], name="signal_account_created_at"),
        ]

    def __str__(self) -> str:
        return f"signal {self.pk} {self.strategy} {self.symbol} {self.decision}"
