"""The one representation of risk overrides (REST, channel events, the audit trail), the trading
state and the circuit breaker."""

from typing import Any

from rest_framework import serializers

from risk.enums import TradingStateValue
from risk.models import RiskOverride


class RiskOverrideSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", default=None)
    approved_by = serializers.CharField(source="approved_by.username", default=None)
    revoked_by = serializers.CharField(source="revoked_by.username", default=None)

    class Meta:
        model = RiskOverride
        fields = [
            "id",
            "account",
            "kind",
            "target",
            "value",
            "reason",
            "expires_at",
            "status",
            "requested_by",
            "approved_by",
            "revoked_by",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


def override_representation(override: RiskOverride) -> dict[str, Any]:
    """Return an override as `GET /risk/overrides/{id}` shows it, JSON-safe."""
    return dict(RiskOverrideSerializer(override).data)


class TradingStateSerializer(serializers.Serializer):
    """The trading state as `trading_state_view` gives it (`GET /trading`, `/config`)."""

    state = serializers.ChoiceField(choices=TradingStateValue.choices)
    reason = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    effective_state = serializers.ChoiceField(
        choices=TradingStateValue.choices, help_text="The state orders are held to (overrides)."
    )


class CircuitBreakerSerializer(serializers.Serializer):
    """The breaker as `circuit_breaker_get` gives it."""

    tripped = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    tripped_at = serializers.DateTimeField(allow_null=True)
