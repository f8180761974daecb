"""Endpoints: /config, /config/risk, /risk, /risk/overrides, /trading and its controls."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from access.enums import Scope
from access.selectors import account_ids_for, account_resolve
from kernel.api.fields import AwareDateTimeField, IdField
from kernel.api.schema import errors
from kernel.serializers import DecimalOutputField
from risk import selectors, services
from risk.enums import DrawdownZone, OverrideKind, OverrideStatus
from risk.representations import RiskOverrideSerializer, TradingStateSerializer

# --- /config --------------------------------------------------------------------------------


def _venue_payload() -> dict:
    return {
        "market_data_source": settings.MARKET_DATA_SOURCE,
        "tick_interval_s": str(settings.MARKET_TICK_INTERVAL_S),
        "slippage_bps": str(getattr(settings, "VENUE_SLIPPAGE_BPS", "")),
        "fees": getattr(settings, "VENUE_FEES", {}),
        "session_close_utc": getattr(settings, "VENUE_SESSION_CLOSE_UTC", ""),
    }


class DrawdownZoneSerializer(serializers.Serializer):
    zone = serializers.ChoiceField(choices=DrawdownZone.choices)
    drawdown_pct = serializers.CharField()
    risk_multiplier = serializers.CharField()


class RiskConfigSerializer(serializers.Serializer):
    """The risk configuration as `risk_config_as_dict` gives it (null: no limit)."""

    max_order_quantity = DecimalOutputField()
    max_order_notional = DecimalOutputField()
    max_position_notional = DecimalOutputField()
    max_gross_exposure = DecimalOutputField()
    max_open_orders = serializers.IntegerField(allow_null=True)
    price_band_pct = DecimalOutputField()
    market_protection_pct = DecimalOutputField()
    allowed_symbols = serializers.ListField(child=serializers.CharField())
    blocked_symbols = serializers.ListField(child=serializers.CharField())
    daily_loss_limit = DecimalOutputField()
    max_drawdown_pct = DecimalOutputField()
    dd_zones = DrawdownZoneSerializer(many=True)
    risk_per_trade_pct = DecimalOutputField()
    max_orders_per_second = serializers.IntegerField(allow_null=True)
    require_four_eyes = serializers.BooleanField()
    flatten_on_halt = serializers.BooleanField()
    version = serializers.IntegerField()


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}], "nullable": True})
class _NumberInputField(serializers.Field):
    """Documentation only: `risk_config_validate` reads a number or a numeric string."""


class _DrawdownZoneInputSerializer(serializers.Serializer):
    zone = serializers.ChoiceField(choices=DrawdownZone.choices)
    drawdown_pct = _NumberInputField()
    risk_multiplier = _NumberInputField()


class RiskConfigUpdateSerializer(serializers.Serializer):
    """Documentation of `PUT /config/risk`; `risk_config_validate` is what checks the body."""

    max_order_quantity = _NumberInputField(required=False)
    max_order_notional = _NumberInputField(required=False)
    max_position_notional = _NumberInputField(required=False)
    max_gross_exposure = _NumberInputField(required=False)
    max_open_orders = _NumberInputField(required=False)
    price_band_pct = _NumberInputField(required=False)
    market_protection_pct = _NumberInputField(required=False)
    allowed_symbols = serializers.ListField(child=serializers.CharField(), required=False)
    blocked_symbols = serializers.ListField(child=serializers.CharField(), required=False)
    daily_loss_limit = _NumberInputField(required=False)
    max_drawdown_pct = _NumberInputField(required=False)
    dd_zones = _DrawdownZoneInputSerializer(many=True, required=False)
    risk_per_trade_pct = _NumberInputField(required=False)
    max_orders_per_second = _NumberInputField(required=False)
    require_four_eyes = serializers.BooleanField(required=False)
    flatten_on_halt = serializers.BooleanField(required=False)
    version = _NumberInputField(
        required=False, help_text="The version you read: 409 when the configuration moved on."
    )
    account = IdField(required=False)


class VenueConfigSerializer(serializers.Serializer):
    market_data_source = serializers.CharField()
    tick_interval_s = serializers.CharField()
    slippage_bps = serializers.CharField()
    fees = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text='Maker/taker rates by symbol, else "default".',
    )
    session_close_utc = serializers.CharField()


class RateLimitsSerializer(serializers.Serializer):
    data = serializers.CharField()  # type: ignore[assignment]  # a field, not Serializer.data
    trading = serializers.CharField()


class ConfigSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    risk = RiskConfigSerializer()
    trading = TradingStateSerializer()
    rate_limits = RateLimitsSerializer()
    venue = VenueConfigSerializer()


class ConfigView(APIView):
    """The effective, non-secret configuration of the account: risk, trading, limits, venue."""

    required_scope = Scope.READ
    rate_class = "data"

    @extend_schema(responses={200: ConfigSerializer})
    def get(self, request):
        account = account_resolve(request)
        config = selectors.risk_config_get(account=account)
        return Response(
            {
                "account": account.pk,
                "risk": selectors.risk_config_as_dict(config=config),
                "trading": selectors.trading_state_view(account_id=account.pk),
                "rate_limits": dict(settings.RATE_LIMITS),
                "venue": _venue_payload(),
            }
        )


class RiskConfigView(APIView):
    """PUT: partial, validated update of the risk configuration; returns the new version."""

    required_scope = {"GET": Scope.READ, "PUT": Scope.CONTROL}
    rate_class = "trading"

    @extend_schema(responses={200: RiskConfigSerializer})
    def get(self, request):
        account = account_resolve(request)
        config = selectors.risk_config_get(account=account)
        return Response(selectors.risk_config_as_dict(config=config))

    @extend_schema(
        request=RiskConfigUpdateSerializer, responses={200: RiskConfigSerializer, **errors(409)}
    )
    def put(self, request):
        account = account_resolve(request)
        changes = dict(request.data) if isinstance(request.data, Mapping) else request.data
        if isinstance(changes, dict):
            changes.pop("account", None)
        config = services.risk_config_update(account=account, changes=changes, actor=request.user)
        return Response(selectors.risk_config_as_dict(config=config))


# --- /risk ----------------------------------------------------------------------------------


class RiskOverrideCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(OverrideKind.choices)
    target = serializers.CharField(required=False, allow_blank=True, default="")
    # Text on purpose: a number, a limit or a trading state; the service validates it by kind.
    value = serializers.CharField()
    reason = serializers.CharField(max_length=500)
    expires_at = AwareDateTimeField()
    account = IdField(required=False)


class RiskOverrideViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Manual, time-boxed overrides. Four-eyes accounts: a different user approves; DELETE
    revokes. `?status=` and `?account=` filter the list."""

    required_scope = {
        "list": Scope.READ,
        "retrieve": Scope.READ,
        "create": Scope.CONTROL,
        "approve": Scope.CONTROL,
        "destroy": Scope.CONTROL,
    }
    serializer_class = RiskOverrideSerializer

    @property
    def rate_class(self) -> str:
        return "data" if self.request.method == "GET" else "trading"

    def get_queryset(self):
        status_filter = self.request.query_params.get("status")
        if status_filter and status_filter not in OverrideStatus.values:
            raise serializers.ValidationError({"status": [f"One of {OverrideStatus.values}."]})
        account_ids: list[int] = list(account_ids_for(self.request))
        if self.request.query_params.get("account"):
            account_ids = [account_resolve(self.request).pk]
        return selectors.risk_override_list(account_ids=account_ids, status=status_filter)

    def get_object(self):
        return selectors.risk_override_get(
            account_ids=account_ids_for(self.request), pk=self.kwargs["pk"]
        )

    @extend_schema(request=RiskOverrideCreateSerializer, responses={201: RiskOverrideSerializer})
    def create(self, request):
        serializer = RiskOverrideCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = account_resolve(request, data.get("account"))
        override = services.risk_override_create(
            account=account,
            kind=data["kind"],
            target=data["target"],
            value=data["value"],
            reason=data["reason"],
            expires_at=data["expires_at"],
            actor=request.user,
        )
        return Response(RiskOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RiskOverrideSerializer, **errors(409)})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        override = services.risk_override_approve(override=self.get_object(), actor=request.user)
        return Response(RiskOverrideSerializer(override).data)

    @extend_schema(responses={200: RiskOverrideSerializer, **errors(409)})
    def destroy(self, request, pk=None):
        override = services.risk_override_revoke(override=self.get_object(), actor=request.user)
        return Response(RiskOverrideSerializer(override).data)
