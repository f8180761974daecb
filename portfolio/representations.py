"""The one representation of balances and positions: REST, channel payloads and the audit."""

from typing import Any

from rest_framework import serializers

from kernel.api.renderers import jsonable
from kernel.serializers import DecimalOutputField
from portfolio.models import Balance, Position
from portfolio.selectors import position_view


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = DecimalOutputField()
    available = DecimalOutputField()
    locked = DecimalOutputField()


class PositionSerializer(serializers.Serializer):
    """A position marked to market (market fields are null without a live quote)."""

    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=["long", "short"])
    quantity = DecimalOutputField()
    average_entry_price = DecimalOutputField()
    cost_basis = DecimalOutputField()
    market_price = DecimalOutputField()
    close_price = DecimalOutputField()
    mid_price = DecimalOutputField()
    market_value = DecimalOutputField()
    unrealized_pnl = DecimalOutputField()
    unrealized_pnl_pct = DecimalOutputField()
    realized_pnl = DecimalOutputField()
    opened_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


def balance_representation(balance: Balance) -> dict[str, Any]:
    """Return a balance as `GET /balances` shows it, JSON-safe."""
    return jsonable(
        {
            "currency": balance.currency,
            "total": balance.total,
            "available": balance.available,
            "locked": balance.locked,
        }
    )


def position_representation(position: Position) -> dict[str, Any]:
    """Return a position as `GET /positions/{symbol}` shows it, marked to market, JSON-safe."""
    return jsonable(position_view(position))
