"""The one representation of orders, their events and fills: REST, channel payloads, audit."""

from typing import Any

from rest_framework import serializers

from kernel.serializers import DecimalOutputField, Representer
from orders.enums import OrderStatus
from orders.models import Fill, Order, OrderEvent


class FillSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    quantity = DecimalOutputField()
    price = DecimalOutputField()
    fee = DecimalOutputField()

    class Meta:
        model = Fill
        fields = [
            "id",
            "order_id",
            "symbol",
            "side",
            "quantity",
            "price",
            "fee",
            "fee_currency",
            "liquidity",
            "executed_at",
            "venue_exec_id",
        ]


class OrderEventSerializer(serializers.ModelSerializer):
    status_before = serializers.CharField(read_only=True)
    status_after = serializers.CharField(read_only=True)
    quantity = DecimalOutputField()
    price = DecimalOutputField()

    class Meta:
        model = OrderEvent
        fields = [
            "id",
            "type",
            "status_before",
            "status_after",
            "quantity",
            "price",
            "data",
            "created_at",
        ]


class OrderSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    quantity = DecimalOutputField()
    filled_quantity = DecimalOutputField()
    remaining_quantity = DecimalOutputField()
    limit_price = DecimalOutputField()
    stop_price = DecimalOutputField()
    average_fill_price = DecimalOutputField()
    stop_loss = DecimalOutputField()
    locked_amount = DecimalOutputField()

    class Meta:
        model = Order
        fields = [
            "id",
            "client_order_id",
            "account",
            "symbol",
            "side",
            "order_type",
            "time_in_force",
            "quantity",
            "filled_quantity",
            "remaining_quantity",
            "limit_price",
            "stop_price",
            "expire_at",
            "average_fill_price",
            "status",
            "reject_code",
            "reject_reason",
            "stop_loss",
            "strategy",
            "signal",
            "version",
            "locked_amount",
            "triggered_at",
            "created_at",
            "updated_at",
        ]


class OrderDetailSerializer(OrderSerializer):
    fills = FillSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "fills", "events"]


_order_representer = Representer(OrderSerializer)
_fill_representer = Representer(FillSerializer)


def order_representation(order: Order) -> dict[str, Any]:
    """Return an order as `GET /orders` shows it (without fills and events), JSON-safe."""
    return _order_representer(order)


def fill_representation(fill: Fill) -> dict[str, Any]:
    """Return a fill as `GET /fills` shows it, JSON-safe."""
    return _fill_representer(fill)


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class CancelResultSerializer(serializers.Serializer):
    """One order of a cancel-all (`order_cancel_all`): its status code, the error if refused."""

    order_id = serializers.IntegerField()
    status_code = serializers.IntegerField(help_text="200 canceled, else the refusal's status.")
    status = serializers.ChoiceField(choices=OrderStatus.choices, allow_null=True)
    error = ItemErrorSerializer(required=False)


class PositionCloseResultSerializer(serializers.Serializer):
    """One position of a close-all: 201 placed, 422 CLOSE_UNFUNDED cut short, else the refusal."""

    symbol = serializers.CharField()
    status_code = serializers.IntegerField()
    order_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(required=False)
    unplaced_quantity = serializers.CharField(required=False)
    error = ItemErrorSerializer(required=False)
