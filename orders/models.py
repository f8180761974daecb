"""Orders, their immutable events, and fills."""

from django.db import models
from django.db.models import F, Q

from kernel.db.fields import decimal_field
from kernel.decimals import decimal_display
from orders.enums import OrderEventType, OrderSide, OrderStatus, OrderType, TimeInForce


class Liquidity(models.TextChoices):
    MAKER = "maker"
    TAKER = "taker"


class Order(models.Model):
    client_order_id = models.CharField(max_length=64)
    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="orders")
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="orders"
    )
    side = models.CharField(max_length=8, choices=OrderSide.choices)
    order_type = models.CharField(max_length=16, choices=OrderType.choices)
    time_in_force = models.CharField(max_length=8, choices=TimeInForce.choices)
    quantity = decimal_field()
    filled_quantity = decimal_field(default=0)
    limit_price = decimal_field(null=True, blank=True)
    stop_price = decimal_field(null=True, blank=True)
    expire_at = models.DateTimeField(null=True, blank=True)
    average_fill_price = decimal_field(null=True, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW)
    reject_code = models.CharField(max_length=64, blank=True, default="")
    reject_reason = models.TextField(blank=True, default="")
    stop_loss = decimal_field(null=True, blank=True)
    strategy = models.CharField(max_length=100, blank=True, default="")
    # A plain reference until signals are stored as rows of their own; null means no signal.
    signal = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    version = models.PositiveIntegerField(default=1)
    venue_order_id = models.CharField(max_length=64, blank=True, default="")
    triggered_at = models.DateTimeField(null=True, blank=True)
    # Cash this order reserves in the instrument's currency: for a buy, its remaining quantity at
    # `lock_price` plus the fee (orders.pricing.order_lock); released by fills, cancel, expiry.
    locked_amount = decimal_field(default=0)
    lock_price = decimal_field(null=True, blank=True)
    # Market and stop orders never fill beyond this price (the risk setting's protection band).
    protection_price = decimal_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "client_order_id"], name="order_account_client_order_id"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(filled_quantity__gte=0) & Q(filled_quantity__lte=F("quantity")),
                name="order_filled_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(locked_amount__gte=0), name="order_locked_amount_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="order_account_status"),
            # The per-second order-rate rule: an account's orders of the last second.
            models.Index(fields=["account", "created_at"], name="order_account_created"),
            models.Index(fields=["account", "-id"], name="order_account_id_desc"),
            models.Index(fields=["status", "instrument"], name="order_status_instrument"),
        ]

    def __str__(self) -> str:
        quantity = decimal_display(self.quantity)
        return f"order {self.pk} {self.side} {quantity} {self.instrument_id} ({self.status})"

    @property
    def remaining_quantity(self):
        return self.quantity - self.filled_quantity

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


class OrderEvent(models.Model):
    """An immutable fact about an order: what happened and the status it moved between."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=OrderEventType.choices)
    status_before = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    status_after = models.CharField(max_length=20, choices=OrderStatus.choices)
    quantity = decimal_field(null=True, blank=True)
    price = decimal_field(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="order_event_order_id")]

    def __str__(self) -> str:
        return f"{self.type} of order {self.order_id}"


class Fill(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fills")
    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="fills")
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="fills"
    )
    side = models.CharField(max_length=8, choices=OrderSide.choices)
    quantity = decimal_field()
    price = decimal_field()
    fee = decimal_field(default=0)
    fee_currency = models.CharField(max_length=10)
    liquidity = models.CharField(max_length=8, choices=Liquidity.choices)
    executed_at = models.DateTimeField()
    venue_exec_id = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fill_quantity_gt_0"),
            models.CheckConstraint(condition=Q(price__gt=0), name="fill_price_gt_0"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="fill_fee_gte_0"),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="fill_account_id_desc"),
            models.Index(fields=["account", "instrument"], name="fill_account_instrument"),
        ]

    def __str__(self) -> str:
        return f"fill {self.venue_exec_id} of order {self.order_id}"


class VenueEpoch(models.Model):
    """The fencing token of the venue that may book fills: one row, its epoch bumped by each
    venue that starts as leader. A venue whose epoch is no longer current books nothing."""

    epoch = models.PositiveBigIntegerField(default=0)
    holder = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"venue epoch {self.epoch} ({self.holder})"
