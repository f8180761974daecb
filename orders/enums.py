"""Order vocabularies: side, type, time in force, status and the events that move it."""

from django.db import models

from kernel.enums import Side

# The side of an order is the shared trading vocabulary (round trips use it too).
OrderSide = Side


class OrderType(models.TextChoices):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(models.TextChoices):
    GTC = "gtc"
    DAY = "day"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"


class OrderStatus(models.TextChoices):
    NEW = "new"
    PENDING = "pending"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class OrderEventType(models.TextChoices):
    CREATED = "created"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    MODIFIED = "modified"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELED = "canceled"
    EXPIRED = "expired"
    # A stop's trigger price was reached: from now on it works as a market or limit order.
    TRIGGERED = "triggered"


TERMINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
WORKING_STATUSES = frozenset(
    {
        OrderStatus.PENDING,
        OrderStatus.OPEN,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_CANCEL,
    }
)
